"""Moving a checkpoint's tensors into a zoo model: each source tensor used once, every weight assigned."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from kerazoo import models, names


class MissingTensor(ValueError):
    """A tensor the mapping looks for is not in the checkpoint."""


class Checkpoint:
    """A source's named arrays; each must be taken, and the conversion fails if one is left over.

    `has_head`: the checkpoint holds a classifier head; without one, a head the options ask for starts fresh.
    """

    def __init__(self, arrays: dict, origin: str, *, has_head: bool = False):
        self.arrays, self.origin, self.has_head = arrays, origin, has_head
        self.taken: set[str] = set()

    def take(self, name: str, *, partial: bool = False) -> np.ndarray:
        """The array `name`; `partial` for a fused array read once per part (GPT-2's c_attn)."""
        if name not in self.arrays:
            raise MissingTensor(f"{self.origin} has no tensor {name!r}: is it the architecture it claims to be?")
        if name in self.taken and not partial:
            raise ValueError(f"{self.origin}'s tensor {name!r} would be used twice.")
        self.taken.add(name)
        return np.asarray(self.arrays[name])

    def take_tied(self, name: str, same_as: str) -> None:
        """Takes an array that must equal another one (a tied output projection)."""
        if not np.array_equal(self.arrays[name], self.arrays.get(same_as)):
            raise ValueError(f"{self.origin}'s {name!r} differs from {same_as!r}; kerazoo's gpt ties them.")
        self.taken.add(name)

    def require_all_taken(self, model_name: str) -> None:
        unused = sorted(set(self.arrays) - self.taken)
        if unused:
            shown = ", ".join(f"{name} {tuple(np.shape(self.arrays[name]))}" for name in unused[:8])
            more = f" and {len(unused) - 8} more" if len(unused) > 8 else ""
            raise ValueError(f"{self.origin}'s tensors {shown}{more} have no place in {model_name}.")


def renamer(*rules) -> Callable[[str], str]:
    """A fetch function made of regex substitutions from kerazoo's weight paths to the source's names."""

    def rename(path: str) -> str:
        for pattern, replacement in rules:
            path = re.sub(pattern, replacement, path)
        return path

    return rename


def transplant(model, checkpoint: Checkpoint, fetch: Callable[[str], object], *, max_length: int | None = None) -> None:
    """Assigns every weight of `model` (but a fresh classifier head) from the checkpoint, checking shapes;
    then requires every source tensor to have been used. `fetch(path)` gives the source tensor's name, or
    the array itself where it must be reshaped or split. `max_length`: the one the user chose below the
    checkpoint's, whose position table then gives its first `max_length` rows."""
    positions = f"{names.POSITION_EMBEDDING}/embeddings"
    for variable in model.weights:
        if variable.path.startswith(f"{names.HEAD}/") and not checkpoint.has_head:
            continue  # a head the user asked for on top of a backbone checkpoint starts fresh
        try:
            found = fetch(variable.path)
            value = checkpoint.take(found) if isinstance(found, str) else found
        except MissingTensor as error:
            raise MissingTensor(f"{error} {model.name}'s {variable.path!r} {tuple(variable.shape)} needs it.") from None
        except KeyError:  # a weight the mapping does not know, added by an option the checkpoint lacks
            raise ValueError(
                f"{model.name}'s {variable.path!r} {tuple(variable.shape)} has no counterpart in {checkpoint.origin}; "
                "leave out the option that adds it."
            ) from None
        if max_length is not None and variable.path == positions and variable.shape[0] == max_length < len(value):
            value = value[:max_length]  # positions past max_length are never looked up
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"{checkpoint.origin} gives shape {tuple(value.shape)} for {model.name}'s {variable.path!r}, "
                f"which needs {tuple(variable.shape)}: is the checkpoint another size?"
            )
        variable.assign(value)  # a Keras variable casts to its own dtype
    checkpoint.require_all_taken(model.name)


def build_for_checkpoint(name: str, settings: dict, options: dict):
    """Model `name` with the settings a checkpoint fixes and the user's `options`, which may change only
    what the checkpoint leaves free."""
    clashes = sorted(
        key
        for key in options
        if key in settings
        and options[key] != settings[key]
        and key not in _FREE
        and not _shorter(key, options, settings)
    )
    if clashes:
        fixed = ", ".join(f"{key}={settings[key]!r}" for key in clashes)
        shorter = " (max_length may be lower than the checkpoint's)" if "max_length" in clashes else ""
        raise ValueError(f"The checkpoint fixes {fixed}; these options cannot change it{shorter}.")
    return models.build(name, **{**settings, **options})


def _shorter(key: str, options: dict, settings: dict) -> bool:
    """A max_length below the checkpoint's: its position table's first rows serve (see `transplant`)."""
    value = options[key]
    return key == "max_length" and isinstance(value, int) and not isinstance(value, bool) and 0 < value < settings[key]


# What a user may choose against a checkpoint's own setting: regularisation, the head and the input size.
_FREE = {"dropout", "include_top", "num_classes", "classifier_activation", "input_shape", "mask_zero", "name"}
