"""BERT's segment (token type) embedding, added to embedded tokens without losing their padding mask."""

from __future__ import annotations

import keras
from keras import ops

from kerazoo._validation import require_positive_int


@keras.saving.register_keras_serializable(package="kerazoo")
class SegmentEmbedding(keras.layers.Layer):
    """`x + table[segment_ids]`: which segment (sentence A or B) each position belongs to, as in BERT.

    Called as `SegmentEmbedding(n)(x, segment_ids)`. The output keeps the Keras mask of `x`: a
    `keras.layers.Add` of `x` and an `Embedding` of the segment ids would drop it (Keras merges masks
    with OR and has none for the segments), and padding would become visible to every later block.

    Args:
        num_segments: how many segment ids there are (BERT: 2).
        initializer: initializer of the `(num_segments, dim)` table.
    """

    def __init__(self, num_segments: int, initializer="uniform", **kwargs):
        super().__init__(**kwargs)
        require_positive_int(num_segments=num_segments)
        self.num_segments = num_segments
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, x_shape, segment_ids_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.num_segments, x_shape[-1]), initializer=self.initializer
        )

    def call(self, x, segment_ids):
        segments = ops.take(self.embeddings, ops.cast(segment_ids, "int32"), axis=0)
        return x + ops.cast(segments, x.dtype)

    def compute_output_shape(self, x_shape, segment_ids_shape=None):
        return x_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_segments": self.num_segments,
            "initializer": keras.initializers.serialize(self.initializer),
        }
