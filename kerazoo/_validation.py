"""Argument checks shared by every builder: each error names the argument, the value and what is allowed."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable


def unique_name(prefix: str) -> str:
    """`prefix_1`, `prefix_2`, ...: readable default names for the layers of an unnamed block.

    Counted by Keras's own uid counters, so `keras.backend.clear_session()` starts them again at 1, as it
    does for Keras's layer names.
    """
    import keras

    return f"{prefix}_{keras.backend.get_uid(f'kerazoo_{prefix}')}"


def require_positive_int(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def require_non_negative_int(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`{name}` must be an integer >= 0. Received: {name}={value!r}")


def require_fraction(**values) -> None:
    """Numbers strictly between 0 and 1, such as the share of a dataset held out."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
            raise ValueError(f"`{name}` must be a number in (0, 1). Received: {name}={value!r}")


def require_bool(**values) -> None:
    for name, value in values.items():
        if not isinstance(value, bool):
            raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")


def require_seed(seed, *, optional: bool = False) -> None:
    """An integer seed (None too where `optional`): a float or a string seeds nothing reproducibly."""
    if (optional and seed is None) or (type(seed) is int and seed >= 0):
        return
    allowed = "an integer >= 0" + (" or None" if optional else "")
    raise TypeError(f"`seed` must be {allowed}. Received: seed={seed!r}")


def require_flag(library: str, **values) -> None:
    """Flags a wrapped library documents as 1 and 0 (gensim's `sg=1`, `hs=0`): True, False, 1 or 0.

    Anything else is refused: a string is always truthy, and a float or another integer would reach the
    library's C code as something nobody asked for. A wrong type is a TypeError, another integer a ValueError.
    """
    for name, value in values.items():
        if isinstance(value, bool) or (type(value) is int and value in (0, 1)):
            continue
        error = ValueError if type(value) is int else TypeError
        raise error(f"`{name}` must be True or False (or 1 or 0, as {library} writes it). Received: {name}={value!r}")


def require_number(name: str, value, *, minimum: float | None = None, above: float | None = None) -> None:
    """A finite real number (not a bool, not NaN), optionally `>= minimum` or `> above`."""
    is_number = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if is_number and (minimum is None or value >= minimum) and (above is None or value > above):
        return
    bound = f" >= {minimum}" if minimum is not None else f" > {above}" if above is not None else ""
    raise ValueError(f"`{name}` must be a finite number{bound}. Received: {name}={value!r}")


def boolean_flags(function: Callable, *, signature_of: Callable | None = None) -> Callable:
    """`function`, refusing a non-bool for each argument whose default is True or False.

    "False" is truthy and 0 is not False to a reader: a flag silently reinterpreted builds another model
    than the one asked for. `signature_of` names the function whose signature lists the flags, for a
    wrapper that takes `**kwargs`.
    """
    signature = inspect.signature(signature_of or function)
    flags = [name for name, parameter in signature.parameters.items() if isinstance(parameter.default, bool)]
    if not flags:
        return function

    @functools.wraps(function)
    def checked(*args, **kwargs):
        given = signature.bind_partial(*args, **kwargs).arguments if signature_of is None else kwargs
        require_bool(**{name: given[name] for name in flags if name in given})
        return function(*args, **kwargs)

    return checked


def require_rate(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")


def require_choice(name: str, value, allowed: Iterable) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`{name}` must be one of {shown}. Received: {name}={value!r}")


def require_rank(name: str, tensor, rank: int, meaning: str) -> None:
    """`tensor` must be a Keras tensor of `rank` dimensions (batch included)."""
    shape = getattr(tensor, "shape", None)
    if shape is None:
        raise TypeError(f"`{name}` must be a Keras tensor {meaning}. Received: {type(tensor).__name__}")
    if len(shape) != rank:
        raise ValueError(f"`{name}` must be a {rank}-D tensor {meaning}. Received: {name}.shape={tuple(shape)}")


def require_activation(name: str, value) -> None:
    """An activation name Keras knows, a callable, or None."""
    if value is None or callable(value):
        return
    import keras

    try:
        keras.activations.get(value)
    except (ValueError, TypeError):
        known = sorted(
            n for n in dir(keras.activations) if not n.startswith("_") and n not in ("get", "serialize", "deserialize")
        )
        raise ValueError(
            f"`{name}` must be a Keras activation name, a callable or None. Received: {name}={value!r}. "
            f"Known names: {', '.join(known)}"
        ) from None
