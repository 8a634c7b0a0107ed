"""Activations the published models use that Keras names differently."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="kerazoo")
def gelu_tanh(x):
    """GELU with the tanh approximation (Hendrycks & Gimpel 2016): GPT-2's feed-forward activation.

    Keras's "gelu" is the exact erf form; GPT-2's checkpoints were trained with this one.
    """
    return keras.activations.gelu(x, approximate=True)
