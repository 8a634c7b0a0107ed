"""Fixed sinusoidal positions."""

from __future__ import annotations

import keras
from keras import ops

from kerazoo._validation import require_choice

# How a table places the sines and cosines of each frequency: "interleaved" (the paper's formula, column
# 2i sin and 2i + 1 cos) or "halves" (all sines, then all cosines: fairseq, Marian, tensor2tensor).
LAYOUTS = ("interleaved", "halves")


def sinusoidal_positions(length, dim: int, max_wavelength: float = 10000.0, start_index=0, layout="interleaved"):
    """`(length, dim)` float32 table of Vaswani et al. (2017) §3.5.

    PE[pos, 2i] = sin(pos / max_wavelength^(2i/dim)), PE[pos, 2i+1] = cos(pos / max_wavelength^(2i/dim)) with
    `layout="interleaved"`; with "halves", column i is that sine and column dim / 2 + i that cosine.
    """
    require_choice("layout", layout, LAYOUTS)
    positions = ops.cast(ops.arange(length), "float32") + ops.cast(start_index, "float32")
    exponents = ops.cast(ops.arange(0, dim, 2), "float32") / dim
    angles = positions[:, None] / ops.power(max_wavelength, exponents)[None, :]  # (length, dim / 2)
    if layout == "halves":
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)
    # (length, dim / 2, 2) -> (length, dim): column 2i is sin, column 2i + 1 is cos.
    return ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (length, dim))


@keras.saving.register_keras_serializable(package="kerazoo")
class SinusoidalPositionEmbedding(keras.layers.Layer):
    """Adds the fixed sinusoidal position table of Vaswani et al. (2017) §3.5 to `(batch, seq, dim)` inputs.

    No weights; any sequence length works. `start_index` shifts the positions, for decoding one step at a
    time. The mask passes through unchanged.

    Args:
        max_wavelength: the base of the geometric progression of wavelengths (10000 in the paper).
        layout: "interleaved" (the paper's: sin and cos alternate) or "halves" (the sines, then the
            cosines, as Marian's and fairseq's tables are laid out).
    """

    def __init__(self, max_wavelength: float = 10000.0, layout: str = "interleaved", **kwargs):
        super().__init__(**kwargs)
        require_choice("layout", layout, LAYOUTS)
        self.max_wavelength = max_wavelength
        self.layout = layout
        self.supports_masking = True

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim is None or dim % 2:
            raise ValueError(f"Sinusoidal positions need an even feature width. Received: width={dim}")

    def call(self, inputs, start_index=0):
        length, dim = ops.shape(inputs)[1], inputs.shape[-1]
        table = sinusoidal_positions(length, dim, self.max_wavelength, start_index, self.layout)
        return inputs + ops.cast(table, inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        # A config saved before `layout` existed loads as "interleaved", the only table it could have had.
        return {**super().get_config(), "max_wavelength": self.max_wavelength, "layout": self.layout}
