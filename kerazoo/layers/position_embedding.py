"""Learned absolute positions."""

from __future__ import annotations

import keras
from keras import ops

from kerazoo._validation import require_positive_int


@keras.saving.register_keras_serializable(package="kerazoo")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned `(max_length, dim)` position table to `(batch, seq, dim)` inputs (BERT, GPT-2).

    `start_index` shifts the positions, for decoding one step at a time. The mask passes through.

    Args:
        max_length: the longest sequence the table covers.
        initializer: initializer of the table.
    """

    def __init__(self, max_length: int, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        require_positive_int(max_length=max_length)
        self.max_length = max_length
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, input_shape):
        seq_length = input_shape[1]
        if seq_length is not None and seq_length > self.max_length:
            raise ValueError(
                f"The input is longer than `max_length`. Received: length={seq_length}, max_length={self.max_length}"
            )
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.max_length, input_shape[-1]), initializer=self.initializer
        )

    def call(self, inputs, start_index=0):
        length = ops.shape(inputs)[1]
        table = ops.slice(ops.convert_to_tensor(self.embeddings), (start_index, 0), (length, inputs.shape[-1]))
        return inputs + ops.cast(table, inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "max_length": self.max_length,
            "initializer": keras.initializers.serialize(self.initializer),
        }
