"""Keras's ReversibleEmbedding, whose projection back onto the vocabulary carries no mask on any Keras.

Keras 3.13 (Colab's today) inherits `Embedding.compute_mask` for both directions, so the logits of a tied
output projection carry a `(batch, seq, dim)` mask of the hidden state's non-zero features, which the loss
then fails to combine with the targets' `(batch, seq)` mask; Keras 3.15 masks inside `call` and gives the
reverse direction none. This subclass does what 3.15 does, on both.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerazoo")
class ReversibleEmbedding(keras.layers.ReversibleEmbedding):
    """`keras.layers.ReversibleEmbedding`: token ids in are masked where they are 0 (with `mask_zero`),
    hidden states projected back (`reverse=True`) are not masked."""

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero or "int" not in str(inputs.dtype):  # a float input is the reverse direction
            return None
        return ops.not_equal(inputs, 0)
