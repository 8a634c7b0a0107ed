"""A learned bias on the last axis."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerazoo")
class Bias(keras.layers.Layer):
    """Adds a learned `(features,)` bias to the last axis of its input: the bias of an output projection
    that is a tied embedding table (`ReversibleEmbedding(reverse=True)` has none), as Marian's
    `final_logits_bias`. The mask passes through.

    Args:
        initializer: initializer of the bias (zeros).
    """

    def __init__(self, initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(input_shape[-1],), initializer=self.initializer)

    def call(self, inputs):
        return inputs + ops.cast(self.bias, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "initializer": keras.initializers.serialize(self.initializer)}
