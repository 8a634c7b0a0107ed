"""Saving models without ever leaving a corrupt file behind."""

from __future__ import annotations

import os

import keras

from kerazoo._io import atomic_path


def save_model(model: keras.Model, path: str | os.PathLike, *, include_optimizer: bool = True) -> str:
    """`model.save(path)` through a temporary file and a rename, so an interrupted save keeps the old file.

    Args:
        include_optimizer: keep the compiled optimizer, its state (moments, step count), loss and metrics,
            as `model.save` does. False saves the architecture and weights alone, for inference and
            fine-tuning, a third of the size with Adam (whose moments are twice the weights); the model
            then loads uncompiled, as tf.keras's `include_optimizer=False` did.

    Returns:
        The path written, as a string.
    """
    if not str(path).endswith(".keras"):
        raise ValueError(f"`path` must end in '.keras', the Keras 3 format. Received: path={str(path)!r}")
    optimizer = getattr(model, "optimizer", None)
    with atomic_path(path) as temporary:
        if include_optimizer or optimizer is None:
            model.save(temporary)
            return str(path)
        # Keras saves the optimizer it finds, and the compile settings of a compiled model; an optimizer
        # left out with its settings kept would be rebuilt on loading and warned about as a mismatch.
        compiled = model.compiled
        model.optimizer, model.compiled = None, False
        try:
            model.save(temporary)
        finally:
            model.optimizer, model.compiled = optimizer, compiled
    return str(path)
