"""The model registry: a decorator registers a builder, `build(name, **kwargs)` is the one door."""

from __future__ import annotations

import difflib
import fnmatch
import functools
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kerazoo._validation import boolean_flags, require_choice

PARAMETERS_FILE = "parameters.json"
# What an input carries, so callers (`kerazoo train`, the tests) feed it without guessing from names.
ROLES = ("image", "token_ids", "target_ids")


@dataclass(frozen=True)
class InputSpec:
    """One model input at the builder's defaults.

    Attributes:
        name: the input's name (the key when the model takes a dict).
        role: "image" (float pixels in [0, 1]), "token_ids" (int ids, 0 = padding) or "target_ids" (a seq2seq
            decoder's ids: the target starting with its start token, teacher-forced).
        shape: without the batch axis; None where any length is accepted.
        dtype: "float32" or "int32".
    """

    name: str
    role: str
    shape: tuple
    dtype: str

    def __post_init__(self):
        require_choice("role", self.role, ROLES)

    def __str__(self) -> str:
        dims = ", ".join("seq" if size is None else str(size) for size in self.shape)
        return f"{self.name} ({dims}) {self.dtype}"


def image_input_spec(shape: tuple) -> tuple[InputSpec, ...]:
    return (InputSpec("image", "image", tuple(shape), "float32"),)


def token_input_specs(*, seq2seq: bool = False) -> tuple[InputSpec, ...]:
    if seq2seq:
        return (InputSpec("source", "token_ids", (None,), "int32"), InputSpec("target", "target_ids", (None,), "int32"))
    return (InputSpec("tokens", "token_ids", (None,), "int32"),)


@dataclass(frozen=True)
class ModelInfo:
    """What a registered model is, without building it (the parameter count builds it once, lazily).

    Attributes:
        name: the registered name.
        family: e.g. "resnet", "lstm", "transformer".
        task: e.g. "image-classification", "text-classification", "seq2seq", "language-modeling".
        inputs: an `InputSpec` per input the model takes, in order.
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
    inputs: tuple[InputSpec, ...]
    outputs: str
    paper: str
    defaults: Mapping
    small_config: Mapping
    layout_map: Callable | None = None

    @functools.cached_property
    def parameters(self) -> int:
        """Parameter count of the model built with its defaults: the zoo's are recorded (building all of
        them takes seconds and gigabytes; a test keeps the record true); others are built once to count."""
        recorded = _recorded_parameters().get(self.name)
        return recorded if recorded is not None else build(self.name).count_params()


@functools.cache
def _recorded_parameters() -> dict[str, int]:
    return json.loads((Path(__file__).parent / PARAMETERS_FILE).read_text(encoding="utf8"))


_BUILDERS: dict[str, Callable] = {}
_INFO: dict[str, ModelInfo] = {}


def register(
    *,
    family: str,
    task: str,
    inputs: tuple[InputSpec, ...],
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
    if not inputs or not all(isinstance(spec, InputSpec) for spec in inputs):
        raise TypeError(f"`inputs` must be a tuple of InputSpec. Received: inputs={inputs!r}")

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
        # Flags (arguments whose default is True or False) must be bools, however the builder is called.
        builder = boolean_flags(builder, signature_of=arguments_of)
        _BUILDERS[name] = builder
        _INFO[name] = ModelInfo(
            name=name,
            family=family,
            task=task,
            inputs=tuple(inputs),
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


def check_arguments(name: str, kwargs: Mapping) -> None:
    """Refuses keyword arguments that model `name`'s builder does not take, before anything is built.

    Raises:
        ValueError: for an unknown name (with the closest registered names).
        TypeError: for unknown keyword arguments (with the closest accepted ones).
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


def build(name: str, /, **kwargs):
    """Builds the registered model `name`; `kwargs` override its defaults.

    Raises:
        ValueError: for an unknown name (with the closest registered names).
        TypeError: for keyword arguments the builder does not take (with the closest accepted ones).
    """
    check_arguments(name, kwargs)
    return _BUILDERS[name](**kwargs)
