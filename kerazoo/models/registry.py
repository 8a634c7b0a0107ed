"""The model registry: a decorator registers a builder, `build(name, **kwargs)` is the one door.

A name is looked up once, by `info` (which refuses an unknown one with the closest registered names); the
`ModelInfo` it returns checks arguments and builds without looking the name up again.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from kerazoo._validation import boolean_flags, require_choice
from kerazoo.data import TASKS

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
        task: one of `kerazoo.data.TASKS`: "image-classification", "text-classification", "language-modeling"
            or "seq2seq".
        inputs: an `InputSpec` per input the model takes, in order.
        outputs: "probabilities" or "logits".
        paper: the reference the architecture follows.
        defaults: every keyword argument of the builder with its default value.
        small_config: keyword arguments of a tiny variant (used by the tests, handy for a quick try).
        builder: the registered function (what `build` calls, and `kerazoo.models.<name>` is).
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
    builder: Callable = field(repr=False, compare=False)
    layout_map: Callable | None = None

    @functools.cached_property
    def parameters(self) -> int:
        """Parameter count of the model built with its defaults: the zoo's are recorded (building all of
        them takes seconds and gigabytes; a test keeps the record true); others are built once to count."""
        recorded = _recorded_parameters().get(self.name)
        return recorded if recorded is not None else self.build().count_params()

    def check_arguments(self, kwargs: Mapping) -> None:
        """Refuses keyword arguments that the builder does not take, before anything is built.

        Raises:
            TypeError: for unknown keyword arguments (with the closest accepted ones).
        """
        unknown = [key for key in kwargs if key not in self.defaults]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, list(self.defaults), n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise TypeError(
                f"{self.name}() got unknown keyword argument(s): {', '.join(hints)}. "
                f"Accepted: {', '.join(self.defaults)}"
            )

    def build(self, **kwargs):
        """Builds the model; `kwargs` override its defaults (checked as `check_arguments` checks them)."""
        self.check_arguments(kwargs)
        return self.builder(**kwargs)


@functools.cache
def _recorded_parameters() -> dict[str, int]:
    return json.loads((Path(__file__).parent / PARAMETERS_FILE).read_text(encoding="utf8"))


_REGISTERED: dict[str, ModelInfo] = {}


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
    require_choice("task", task, TASKS)  # the tasks the data layer prepares data for
    if outputs not in ("probabilities", "logits"):
        raise ValueError(f"`outputs` must be 'probabilities' or 'logits'. Received: outputs={outputs!r}")
    if not inputs or not all(isinstance(spec, InputSpec) for spec in inputs):
        raise TypeError(f"`inputs` must be a tuple of InputSpec. Received: inputs={inputs!r}")

    def decorate(builder: Callable) -> Callable:
        name = builder.__name__
        if name in _REGISTERED:
            raise ValueError(
                f"A model named {name!r} is already registered (by {_REGISTERED[name].builder.__module__})."
            )
        defaults = {
            p.name: p.default
            for p in inspect.signature(arguments_of or builder).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        if arguments_of is not None:
            defaults["name"] = name
        # Flags (arguments whose default is True or False) must be bools, however the builder is called.
        builder = boolean_flags(builder, signature_of=arguments_of)
        _REGISTERED[name] = ModelInfo(
            name=name,
            family=family,
            task=task,
            inputs=tuple(inputs),
            outputs=outputs,
            paper=paper,
            defaults=MappingProxyType(defaults),
            small_config=MappingProxyType(dict(small_config or {})),
            builder=builder,
            layout_map=layout_map,
        )
        return builder

    return decorate


def list_models(pattern: str | None = None) -> list[str]:
    """Registered names, sorted; `pattern` is an fnmatch pattern such as "resnet*"."""
    names = sorted(_REGISTERED)
    return names if pattern is None else fnmatch.filter(names, pattern)


def info(name: str) -> ModelInfo:
    """The `ModelInfo` of a registered model.

    Raises:
        ValueError: for an unknown name (with the closest registered names).
    """
    if name not in _REGISTERED:
        close = difflib.get_close_matches(str(name), list(_REGISTERED), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown model name {name!r}.{hint} Registered models: {', '.join(list_models())}. "
            "See kerazoo.models.list_models()."
        )
    return _REGISTERED[name]


def layout_map(name: str, device_mesh):
    """The `keras.distribution.LayoutMap` of model `name` over `device_mesh` (JAX model parallelism).

    Raises:
        ValueError: for an unknown name, or a model whose family declares no layout map.
    """
    declared = info(name).layout_map
    if declared is None:
        with_maps = [n for n in list_models() if _REGISTERED[n].layout_map is not None]
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
    info(name).check_arguments(kwargs)


def build(name: str, /, **kwargs):
    """Builds the registered model `name`; `kwargs` override its defaults.

    Raises:
        ValueError: for an unknown name (with the closest registered names).
        TypeError: for keyword arguments the builder does not take (with the closest accepted ones).
    """
    return info(name).build(**kwargs)
