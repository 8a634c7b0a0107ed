import keras
import numpy as np
import pytest

from kerazoo import layers

ALL_LAYERS = [
    layers.AttentionPooling(units=3),
    layers.MultiHeadAttention(2, key_dim=4),
    layers.RotaryMultiHeadAttention(2, key_dim=4, rotary_max_wavelength=500.0),
    layers.PositionEmbedding(max_length=9),
    layers.SinusoidalPositionEmbedding(max_wavelength=100.0),
    layers.LSTM(4, return_sequences=True),
    layers.Bidirectional(layers.LSTM(4)),
    layers.TransformerEncoder(2, 16),
    layers.TransformerDecoder(2, 16, causal=False),
]


@pytest.mark.parametrize("layer", ALL_LAYERS, ids=lambda layer: type(layer).__name__)
def test_layers_are_registered_under_the_kerazoo_package(layer):
    name = keras.saving.get_registered_name(type(layer))
    assert name == f"kerazoo>{type(layer).__name__}"
    assert keras.saving.get_registered_object(name) is type(layer)


@pytest.mark.parametrize("layer", ALL_LAYERS, ids=lambda layer: type(layer).__name__)
def test_layer_config_rebuilds_an_equal_layer(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def _rotate(x, start_index=0):
    return keras.ops.convert_to_numpy(layers.apply_rotary(np.asarray(x, "float32"), start_index=start_index))


def test_rotary_keeps_the_norm_of_each_head():
    x = np.random.default_rng(0).standard_normal((1, 5, 2, 8))
    np.testing.assert_allclose(np.linalg.norm(_rotate(x), axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-5)


def test_rotary_scores_depend_only_on_the_relative_position():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((1, 1, 1, 8)), rng.standard_normal((1, 1, 1, 8))
    queries = _rotate(np.repeat(q, 6, axis=1))
    keys = _rotate(np.repeat(k, 6, axis=1))
    scores = np.einsum("bqnh,bknh->qk", queries, keys)
    np.testing.assert_allclose(scores[4, 2], scores[3, 1], rtol=1e-5)
    np.testing.assert_allclose(scores[5, 1], scores[4, 0], rtol=1e-5)
    assert not np.isclose(scores[4, 2], scores[4, 1])


def test_rotary_start_index_continues_the_positions():
    x = np.random.default_rng(0).standard_normal((1, 6, 1, 4))
    np.testing.assert_allclose(_rotate(x[:, 4:], start_index=4), _rotate(x)[:, 4:], atol=1e-5)


def test_rotary_attention_rejects_an_odd_key_dim():
    with pytest.raises(ValueError, match="Rotary positions need an even `key_dim`. Received: key_dim=3"):
        layers.RotaryMultiHeadAttention(2, key_dim=3)


def test_only_rotary_attention_overrides_the_attention_computation():
    # Keras calls its native causal kernel only when `_compute_attention` is its own.
    base = keras.layers.MultiHeadAttention._compute_attention
    assert layers.MultiHeadAttention._compute_attention is base
    assert layers.RotaryMultiHeadAttention._compute_attention is not base


def test_multi_head_attention_masks_padding_on_the_keys_only():
    # Fully masked query rows give NaN in fused kernels; padded queries attend to the real keys instead.
    attention = layers.MultiHeadAttention(2, key_dim=4)
    x = np.random.default_rng(0).standard_normal((1, 4, 8)).astype("float32")
    mask = np.array([[True, True, False, False]])
    with_query_mask = attention(x, x, query_mask=mask, value_mask=mask)
    keys_only = attention(x, x, value_mask=mask)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(with_query_mask), keras.ops.convert_to_numpy(keys_only))


def test_sinusoidal_start_index_continues_the_positions():
    table = keras.ops.convert_to_numpy(layers.sinusoidal_positions(6, 4))
    shifted = keras.ops.convert_to_numpy(layers.sinusoidal_positions(2, 4, start_index=4))
    np.testing.assert_allclose(shifted, table[4:], atol=1e-6)


def test_position_embedding_rejects_inputs_longer_than_max_length():
    with pytest.raises(ValueError, match="The input is longer than `max_length`. Received: length=5, max_length=4"):
        layers.PositionEmbedding(max_length=4)(keras.Input((5, 8)))


def test_attention_pooling_rejects_non_positive_units():
    with pytest.raises(ValueError, match="`units` must be a positive integer"):
        layers.AttentionPooling(units=0)


# kerazoo's sublayer names -> keras-hub's, inside a TransformerEncoder.
_KERAS_HUB_ENCODER = {
    "self_attention/": "self_attention_layer/",
    "self_attention_norm/": "self_attention_layer_norm/",
    "ffn_inner/": "feedforward_intermediate_dense/",
    "ffn_outer/": "feedforward_output_dense/",
    "ffn_norm/": "feedforward_layer_norm/",
}


@pytest.mark.slow
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_computes_keras_hubs_encoder_to_the_bit(norm_first):
    keras_hub = pytest.importorskip("keras_hub")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 16)).astype("float32")
    padding = np.arange(7) < np.array([[7], [4]])
    ours = layers.TransformerEncoder(4, 32, activation="relu", norm_first=norm_first)
    theirs = keras_hub.layers.TransformerEncoder(32, 4, activation="relu", normalize_first=norm_first)
    ours(x), theirs(x)
    reference = {variable.path.split("/", 1)[1]: variable for variable in theirs.weights}
    for variable in ours.weights:
        path = variable.path.split("/", 1)[1]
        sublayer = path.split("/", 1)[0] + "/"
        value = 0.3 * rng.standard_normal(variable.shape).astype("float32")
        variable.assign(value)
        reference.pop(_KERAS_HUB_ENCODER[sublayer] + path.split("/", 1)[1]).assign(value)
    assert not reference, f"keras-hub weights left without a counterpart: {sorted(reference)}"
    expected = keras.ops.convert_to_numpy(theirs(x, padding_mask=padding))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(ours(x, mask=padding))[padding], expected[padding])


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.LSTM(4, return_sequences=True),
        lambda: layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
    ],
)
def test_recurrent_layers_pass_the_mask_on_where_keras_3_16_drops_it(make):
    tokens = keras.Input((6,), dtype="int32")
    x = make()(keras.layers.Embedding(10, 8, mask_zero=True)(tokens))
    mask = keras.Model(tokens, x._keras_mask)(np.array([[1, 2, 0, 0, 0, 0]]))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask), [[True, True, False, False, False, False]])


def test_a_tied_projection_carries_no_mask_and_the_ids_keep_theirs():
    table = layers.ReversibleEmbedding(10, 4, mask_zero=True)
    tokens = keras.Input((6,), dtype="int32")
    hidden = table(tokens)
    logits = table(hidden, reverse=True)
    mask = keras.Model(tokens, hidden._keras_mask)(np.array([[1, 2, 0, 0, 0, 0]]))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask), [[True, True, False, False, False, False]])
    assert getattr(logits, "_keras_mask", None) is None
