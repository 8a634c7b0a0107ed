"""A token embedding that also projects back to token logits, for weight tying."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerazoo")
class ReversibleEmbedding(keras.layers.Embedding):
    """`keras.layers.Embedding` whose table also maps hidden states back to vocabulary logits.

    `layer(tokens)` embeds as usual; `layer(hidden, reverse=True)` returns `hidden @ table.T` in float32
    (Press & Wolf 2017 weight tying, as in GPT-2). The reverse call passes the hidden states' mask on.
    """

    def call(self, inputs, reverse: bool = False):
        if not reverse:
            return super().call(inputs)
        table = ops.cast(self.embeddings, inputs.dtype)
        return ops.cast(ops.matmul(inputs, ops.transpose(table)), "float32")

    def compute_mask(self, inputs, mask=None):
        if "float" in keras.backend.standardize_dtype(inputs.dtype):
            return mask  # the reverse call: hidden states in, their mask out
        return super().compute_mask(inputs, mask)

    def compute_output_spec(self, inputs, reverse: bool = False):
        if not reverse:
            return super().compute_output_spec(inputs)
        return keras.KerasTensor((*inputs.shape[:-1], self.input_dim), dtype="float32")
