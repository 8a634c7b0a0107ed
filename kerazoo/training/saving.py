"""Saving models without ever leaving a corrupt file behind."""

from __future__ import annotations

import os

import keras

from kerazoo._io import atomic_path


def save_model(model: keras.Model, path: str | os.PathLike) -> str:
    """`model.save(path)` through a temporary file and a rename, so an interrupted save keeps the old file.

    Returns:
        The path written, as a string.
    """
    if not str(path).endswith(".keras"):
        raise ValueError(f"`path` must end in '.keras', the Keras 3 format. Received: path={str(path)!r}")
    with atomic_path(path) as temporary:
        model.save(temporary)
    return str(path)
