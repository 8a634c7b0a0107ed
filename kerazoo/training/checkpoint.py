"""Resumable training state: one writer, atomic files, and every process restoring from the same checkpoint."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np

from kerazoo._io import atomic_path
from kerazoo.training.fine_tuning import lora_variables

STATE_FILE = "checkpoint.json"


class ResumableCheckpoint(keras.callbacks.Callback):
    """Saves weights, optimizer state and history at the end of every epoch; `restore` picks them up again.

    Only the chief (process 0) writes: two processes writing one file fail on its lock, and per-process
    files can disagree after a kill. A save is two atomic renames: first a new weights file, then
    `checkpoint.json` naming it; the previous weights file is deleted only after that, so a kill at any
    moment leaves a complete checkpoint, the old or the new. Every process restores the file that
    `checkpoint.json` names.

    A run killed during epoch e restarts at the beginning of epoch e with the weights saved after epoch
    e - 1: the part of epoch e done before the kill is replayed, nothing else. With `kerazoo.training.fit`'s
    array pipeline (batch order fixed by seed and epoch), the resumed run computes what an uninterrupted
    run would have.

    A model with LoRA layers (`fine_tuning.enable_lora`) also keeps their weights unmerged in
    `epochN.lora.npz`: Keras's weights file holds each kernel with its LoRA factors merged in and loads
    them back as zeros, from which LoRA would not train on (both factors zero give both zero gradients).
    """

    def __init__(self, directory: str | os.PathLike, *, is_writer: bool = True):
        super().__init__()
        self.directory = Path(directory)
        self.is_writer = is_writer
        self.history: dict[str, list] = {}

    @property
    def state_path(self) -> Path:
        return self.directory / STATE_FILE

    def restore(self, model: keras.Model) -> int:
        """Loads the latest checkpoint into `model` (built and compiled); returns the epochs it completed."""
        if not self.state_path.exists():
            return 0
        try:
            state = json.loads(self.state_path.read_text(encoding="utf8"))
            weights = self.directory / state["weights"]
            epochs = int(state["epochs_completed"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{self.state_path} is not a kerazoo checkpoint state file ({error}).") from None
        if not weights.exists():
            raise FileNotFoundError(f"{self.state_path} names {weights.name}, which is missing from {self.directory}.")
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            # The optimizer's variables (moments, iteration count) exist only once built; restore them too.
            optimizer.build(model.trainable_variables)
        model.load_weights(weights)
        # Checkpoints written before random states were kept resume with fresh ones.
        generators = _random_states(model) if "random_states" in state else []
        random_states = state.get("random_states", [])
        if len(random_states) != len(generators):
            raise ValueError(
                f"{self.state_path} holds {len(random_states)} random-number states; the model has "
                f"{len(generators)}. The checkpoint is of another model."
            )
        for variable, value in zip(generators, random_states, strict=True):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        self._restore_lora(model, state)
        self.history = {name: list(values) for name, values in state.get("history", {}).items()}
        return epochs

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        if self.is_writer:
            self.save(epoch + 1)

    def save(self, epochs_completed: int) -> None:
        previous = self._named_weights()
        name = f"epoch{epochs_completed:05d}.weights.h5"
        with atomic_path(self.directory / name) as temporary:
            self.model.save_weights(temporary)
        state = {
            "epochs_completed": epochs_completed,
            "weights": name,
            "history": self.history,
            "random_states": [keras.ops.convert_to_numpy(v).tolist() for v in _random_states(self.model)],
        }
        adapted = lora_variables(self.model)
        if adapted:
            state["lora"] = name.replace(".weights.h5", ".lora.npz")
            with atomic_path(self.directory / state["lora"]) as temporary, open(temporary, "wb") as file:
                np.savez(file, *(keras.ops.convert_to_numpy(variable) for variable in adapted))
        with atomic_path(self.state_path) as temporary:
            temporary.write_text(json.dumps(state, indent=1), encoding="utf8")
        if previous and previous != name:
            (self.directory / previous).unlink(missing_ok=True)
            (self.directory / previous.replace(".weights.h5", ".lora.npz")).unlink(missing_ok=True)

    def _restore_lora(self, model: keras.Model, state: dict) -> None:
        """The LoRA layers' unmerged weights, over the merged kernels and zeroed factors Keras loaded."""
        adapted = lora_variables(model)
        if not adapted and "lora" not in state:
            return
        if bool(adapted) != ("lora" in state):
            which = (
                "has LoRA layers and the checkpoint none" if adapted else "has no LoRA layers and the checkpoint has"
            )
            raise ValueError(f"{self.state_path} is of another model: this one {which}.")
        with np.load(self.directory / state["lora"]) as arrays:
            values = [arrays[f"arr_{index}"] for index in range(len(arrays.files))]
        if [tuple(value.shape) for value in values] != [tuple(variable.shape) for variable in adapted]:
            raise ValueError(f"{self.state_path}'s LoRA weights are of another model (another rank or layers).")
        for variable, value in zip(adapted, values, strict=True):
            variable.assign(value)

    def _named_weights(self) -> str | None:
        try:
            return json.loads(self.state_path.read_text(encoding="utf8"))["weights"]
        except (OSError, ValueError, KeyError):
            return None


def completed_epochs(directory: str | os.PathLike) -> int:
    """The epochs the checkpoint in `directory` has completed: 0 where there is none (or none readable,
    which `ResumableCheckpoint.restore` then reports)."""
    try:
        return int(json.loads((Path(directory) / STATE_FILE).read_text(encoding="utf8"))["epochs_completed"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _random_states(model: keras.Model) -> list:
    """The states of the model's random-number generators (dropout's, for one), in a fixed order.

    Keras counts them among `model.variables` but saves weights without them, so a resumed run would
    draw other dropout masks than an uninterrupted one; the checkpoint keeps them beside the weights.
    """
    weights = {id(variable) for variable in model.weights}
    return [variable for variable in model.variables if id(variable) not in weights]
