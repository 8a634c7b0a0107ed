"""A padding mask from a padding id other than 0."""

from __future__ import annotations

import keras
from keras import ops

from kerazoo._validation import require_non_negative_int


@keras.saving.register_keras_serializable(package="kerazoo")
class PaddingMask(keras.layers.Layer):
    """`call(tokens, x)` returns `x` carrying the Keras mask `tokens != padding_id`.

    Keras's `Embedding(mask_zero=True)` masks id 0 only; vocabularies that pad with another id (Marian's
    `<pad>` is its last) mask their padding with this layer after an unmasked embedding. The tokens come
    first because Keras hands a layer's first input to `compute_mask`.

    Args:
        padding_id: the id that pads the token sequences.
    """

    def __init__(self, padding_id: int, **kwargs):
        super().__init__(**kwargs)
        require_non_negative_int(padding_id=padding_id)
        self.padding_id = padding_id
        self.supports_masking = True

    def call(self, tokens, x):
        return ops.copy(x)  # a tensor of its own, so that the mask is set on it and not on `x`

    def compute_mask(self, tokens, mask=None):
        return ops.not_equal(tokens, self.padding_id)

    def compute_output_shape(self, tokens_shape, x_shape):
        return x_shape

    def get_config(self):
        return {**super().get_config(), "padding_id": self.padding_id}
