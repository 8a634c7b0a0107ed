"""Global Keras configuration changed for a block and restored after it, whatever happens inside."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Sets the global Keras dtype policy inside the block and restores the previous one after it."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
