"""The model registry: a decorator registers a builder, `build(name, **kwargs)` is the one door."""

from __future__ import annotations

import difflib
import fnmatch
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class ModelInfo:
    """What a registered model is, without building it (the parameter count builds it once, lazily).

    Attributes:
        name: the registered name.
        family: e.g. "resnet", "lstm", "transformer".
        task: e.g. "image-classification", "text-classification", "seq2seq", "language-modeling".
        inputs: the inputs the model takes, e.g. "image (224, 224, 3) float32".
        outputs: "probabilities" or "logits".
        paper: the reference the architecture follows.
        defaults: every keyword argument of the builder with its default value.
        small_config: keyword arguments of a tiny variant (used by the tests, handy for a quick try).
        layout_map: for model parallelism on JAX, a function of a `keras.distribution.DeviceMesh` that
            returns the family's `LayoutMap` (which weights to shard over the mesh's "model" axis); None
            when the family has none.
    """

    name: str
    family: str
    task: str
    inputs: str
    outputs: str
    paper: str
    defaults: Mapping
    small_config: Mapping
    layout_map: Callable | None = None

    @functools.cached_property
    def parameters(self) -> int:
        """Parameter count of the model built with its defaults."""
        return build(self.name).count_params()


_BUILDERS: dict[str, Callable] = {}
_INFO: dict[str, ModelInfo] = {}


def register(
    *,
    family: str,
    task: str,
    inputs: str,
    outputs: str,
    paper: str,
    small_config: Mapping | None = None,
    arguments_of: Callable | None = None,
    layout_map: Callable | None = None,
) -> Callable:
    """Registers a builder under its function name; registering a name twice is an error.

    A variant that only states its row of a family table (`def resnet50(**kwargs)`) names the family's
    generic builder in `arguments_of`; its keyword arguments are then the variant's, with `name`
    defaulting to the variant's name.
    """
    if outputs not in ("probabilities", "logits"):
        raise ValueError(f"`outputs` must be 'probabilities' or 'logits'. Received: outputs={outputs!r}")

    def decorate(builder: Callable) -> Callable:
        name = builder.__name__
        if name in _BUILDERS:
            raise ValueError(f"A model named {name!r} is already registered (by {_BUILDERS[name].__module__}).")
        defaults = {
            p.name: p.default
            for p in inspect.signature(arguments_of or builder).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        if arguments_of is not None:
            defaults["name"] = name
        _BUILDERS[name] = builder
        _INFO[name] = ModelInfo(
            name=name,
            family=family,
            task=task,
            inputs=inputs,
            outputs=outputs,
            paper=paper,
            defaults=MappingProxyType(defaults),
            small_config=MappingProxyType(dict(small_config or {})),
            layout_map=layout_map,
        )
        return builder

    return decorate


def list_models(pattern: str | None = None) -> list[str]:
    """Registered names, sorted; `pattern` is an fnmatch pattern such as "resnet*"."""
    names = sorted(_BUILDERS)
    return names if pattern is None else fnmatch.filter(names, pattern)


def _require_registered(name: str) -> None:
    if name not in _BUILDERS:
        close = difflib.get_close_matches(str(name), list(_BUILDERS), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown model name {name!r}.{hint} Registered models: {', '.join(list_models())}. "
            "See kerazoo.models.list_models()."
        )


def info(name: str) -> ModelInfo:
    """The `ModelInfo` of a registered model."""
    _require_registered(name)
    return _INFO[name]


def layout_map(name: str, device_mesh):
    """The `keras.distribution.LayoutMap` of model `name` over `device_mesh` (JAX model parallelism).

    Raises:
        ValueError: for an unknown name, or a model whose family declares no layout map.
    """
    _require_registered(name)
    declared = _INFO[name].layout_map
    if declared is None:
        with_maps = [n for n in list_models() if _INFO[n].layout_map is not None]
        raise ValueError(
            f"Model {name!r} declares no layout map for model parallelism. Models that do: {', '.join(with_maps)}"
        )
    return declared(device_mesh)


def build(name: str, **kwargs):
    """Builds the registered model `name`; `kwargs` override its defaults.

    Raises:
        ValueError: for an unknown name (with the closest registered names).
        TypeError: for keyword arguments the builder does not take (with the closest accepted ones).
    """
    _require_registered(name)
    accepted = _INFO[name].defaults
    unknown = [key for key in kwargs if key not in accepted]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, list(accepted), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise TypeError(
            f"{name}() got unknown keyword argument(s): {', '.join(hints)}. Accepted: {', '.join(accepted)}"
        )
    return _BUILDERS[name](**kwargs)
