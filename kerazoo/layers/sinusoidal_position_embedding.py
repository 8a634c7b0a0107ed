"""Fixed sinusoidal positions."""

from __future__ import annotations

import keras
from keras import ops


def sinusoidal_positions(length, dim: int, max_wavelength: float = 10000.0, start_index=0):
    """`(length, dim)` float32 table of Vaswani et al. (2017) §3.5, sin and cos interleaved.

    PE[pos, 2i] = sin(pos / max_wavelength^(2i/dim)), PE[pos, 2i+1] = cos(pos / max_wavelength^(2i/dim)).
    """
    positions = ops.cast(ops.arange(length), "float32") + ops.cast(start_index, "float32")
    exponents = ops.cast(ops.arange(0, dim, 2), "float32") / dim
    angles = positions[:, None] / ops.power(max_wavelength, exponents)[None, :]  # (length, dim / 2)
    # (length, dim / 2, 2) -> (length, dim): column 2i is sin, column 2i + 1 is cos.
    return ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (length, dim))


@keras.saving.register_keras_serializable(package="kerazoo")
class SinusoidalPositionEmbedding(keras.layers.Layer):
    """Adds the fixed sinusoidal position table of Vaswani et al. (2017) §3.5 to `(batch, seq, dim)` inputs.

    No weights; any sequence length works. `start_index` shifts the positions, for decoding one step at a
    time. The mask passes through unchanged.

    Args:
        max_wavelength: the base of the geometric progression of wavelengths (10000 in the paper).
    """

    def __init__(self, max_wavelength: float = 10000.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = max_wavelength
        self.supports_masking = True

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim is None or dim % 2:
            raise ValueError(f"Sinusoidal positions need an even feature width. Received: width={dim}")

    def call(self, inputs, start_index=0):
        table = sinusoidal_positions(ops.shape(inputs)[1], inputs.shape[-1], self.max_wavelength, start_index)
        return inputs + ops.cast(table, inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_wavelength": self.max_wavelength}
