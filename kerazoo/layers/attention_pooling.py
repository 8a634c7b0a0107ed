"""Additive attention pooling over time."""

from __future__ import annotations

import keras
from keras import ops

from kerazoo._validation import require_positive_int

# Large enough that exp() underflows to exactly 0 in float32, so padding gets no weight at all.
_MASKED_SCORE = -1e9


@keras.saving.register_keras_serializable(package="kerazoo")
class AttentionPooling(keras.layers.Layer):
    """Pools `(batch, time, features)` to `(batch, features)` with additive attention (Bahdanau et al. 2015).

    Each step gets the score `v . tanh(W h_t + b)`; the output is the softmax-weighted sum of the steps.
    Masked (padding) steps get exactly zero weight, so appending padding changes nothing. Scores and
    softmax run in float32 under mixed precision.

    Args:
        units: width of the scoring layer; `None` uses the feature width of the input.
        kernel_initializer: initializer of both scoring kernels.
    """

    def __init__(self, units: int | None = None, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if units is not None:
            require_positive_int(units=units)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        units = self.units or input_shape[-1]
        self.hidden = keras.layers.Dense(
            units,
            activation="tanh",
            kernel_initializer=self._clone_initializer(),
            dtype=self.dtype_policy,
            name="hidden",
        )
        self.hidden.build(input_shape)
        self.score = keras.layers.Dense(
            1, use_bias=False, kernel_initializer=self._clone_initializer(), dtype=self.dtype_policy, name="score"
        )
        self.score.build((*input_shape[:-1], units))

    def _clone_initializer(self):
        return self.kernel_initializer.__class__.from_config(self.kernel_initializer.get_config())

    def call(self, inputs, mask=None):
        scores = ops.cast(self.score(self.hidden(inputs))[..., 0], "float32")  # (batch, time)
        if mask is not None:
            scores = ops.where(mask, scores, _MASKED_SCORE)
        weights = ops.softmax(scores, axis=-1)
        return ops.einsum("bt,btd->bd", ops.cast(weights, inputs.dtype), inputs)

    def compute_mask(self, inputs, mask=None):
        return None  # the time axis, and with it the mask, is gone

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
