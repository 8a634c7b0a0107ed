"""The contract every kerazoo layer keeps, as keras-hub's run_layer_test checks it: the config rebuilds it,
it creates the weights it should, and its symbolic output (shape, dtype) is what eager calls return."""

import keras
import numpy as np
import pytest

from kerazoo import layers

BATCH = 2
# (layer factory, inputs without the batch axis (one axis: ids), dtype, trainable weights, non-trainable weights)
CASES = {
    "AttentionPooling": (lambda: layers.AttentionPooling(units=3), [(5, 8)], "float32", 3, 0),
    "Bias": (lambda: layers.Bias(initializer="random_normal"), [(5, 8)], "float32", 1, 0),
    "PaddingMask": (lambda: layers.PaddingMask(padding_id=1), [(5,), (5, 8)], "float32", 0, 0),
    "Bidirectional": (
        lambda: layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
        [(5, 8)],
        "float32",
        6,  # kernel, recurrent kernel and bias each way
        0,
    ),
    "LSTM": (lambda: layers.LSTM(4, return_sequences=True), [(5, 8)], "float32", 3, 0),
    "MultiHeadAttention": (lambda: layers.MultiHeadAttention(2, key_dim=4), [(5, 8), (5, 8)], "float32", 8, 0),
    "RotaryMultiHeadAttention": (
        lambda: layers.RotaryMultiHeadAttention(2, key_dim=4, rotary_max_wavelength=500.0),
        [(5, 8), (5, 8)],
        "float32",
        8,
        0,
    ),
    "ReversibleEmbedding": (lambda: layers.ReversibleEmbedding(10, 4, mask_zero=True), [(5,)], "float32", 1, 0),
    "PositionEmbedding": (lambda: layers.PositionEmbedding(max_length=9), [(5, 8)], "float32", 1, 0),
    "TransformerDecoder": (
        lambda: layers.TransformerDecoder(2, 16, norm_first=True, activation=layers.gelu_tanh),
        [(5, 8), (4, 6)],
        "float32",
        26,  # self- and cross-attention 8 each, FFN 4, three LayerNorms 2 each
        0,
    ),
    "TransformerEncoder": (
        lambda: layers.TransformerEncoder(2, 16, rotary=True, dropout=0.1),
        [(5, 8)],
        "float32",
        16,  # self-attention 8, FFN 4, two LayerNorms 2 each
        0,
    ),
    "SegmentEmbedding": (lambda: layers.SegmentEmbedding(2), [(5, 8), (5,)], "float32", 1, 0),
    "SinusoidalPositionEmbedding": (
        lambda: layers.SinusoidalPositionEmbedding(max_wavelength=100.0),
        [(5, 8)],
        "float32",
        0,
        0,
    ),
}


def test_every_layer_the_package_exports_has_a_contract_case():
    exported = {name for name in layers.__all__ if isinstance(getattr(layers, name), type)}
    assert exported == set(CASES)


def _dtype(shape, dtype):
    """Inputs of one axis (besides the batch) are ids, the others features."""
    return "int32" if len(shape) == 1 else dtype


def _inputs(shapes, dtype):
    rng = np.random.default_rng(0)
    return [
        rng.integers(0, 2, (BATCH, *shape)).astype("int32")
        if len(shape) == 1
        else rng.standard_normal((BATCH, *shape)).astype(dtype)
        for shape in shapes
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_symbolic_and_eager_outputs_agree_in_shape_and_dtype(name):
    make, shapes, dtype, _, _ = CASES[name]
    symbolic = make()(*[keras.Input(shape, batch_size=BATCH, dtype=_dtype(shape, dtype)) for shape in shapes])
    eager = make()(*_inputs(shapes, dtype))
    assert tuple(symbolic.shape) == tuple(eager.shape)
    assert keras.backend.standardize_dtype(symbolic.dtype) == keras.backend.standardize_dtype(eager.dtype)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_layer_creates_the_weights_it_should(name):
    make, shapes, dtype, trainable, non_trainable = CASES[name]
    layer = make()
    layer(*_inputs(shapes, dtype))
    assert (len(layer.trainable_weights), len(layer.non_trainable_weights)) == (trainable, non_trainable)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_layer_rebuilt_from_its_config_computes_the_same_with_the_same_weights(name):
    make, shapes, dtype, _, _ = CASES[name]
    layer, inputs = make(), _inputs(shapes, dtype)
    expected = keras.ops.convert_to_numpy(layer(*inputs))
    clone = type(layer).from_config(layer.get_config())
    clone(*inputs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(*inputs)), expected, rtol=1e-6, atol=1e-6)
