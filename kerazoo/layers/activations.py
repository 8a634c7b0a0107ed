"""Activations the published models use that Keras names differently."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="kerazoo")
def gelu_tanh(x):
    """GELU with the tanh approximation (Hendrycks & Gimpel 2016): GPT-2's feed-forward activation.

    Keras's "gelu" is the exact erf form; GPT-2's checkpoints were trained with this one.
    """
    return keras.activations.gelu(x, approximate=True)


@keras.saving.register_keras_serializable(package="kerazoo")
def gelu_erf(x):
    """Exact GELU, `x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))`: BERT's and the blocks' default.

    The same function as Keras's "gelu", written with `erf`, which every export target has: TensorFlow
    computes Keras's through `erfc`, which ONNX lacks, so a model using it cannot be exported to ONNX.
    """
    return 0.5 * x * (1.0 + keras.ops.erf(x * keras.ops.cast(0.7071067811865476, x.dtype)))
