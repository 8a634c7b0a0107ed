import warnings

import keras
import keras.src.ops
import numpy as np
import pytest
from keras.src.backend.common.masking import get_keras_mask, set_keras_mask

from kerazoo import blocks, layers
from kerazoo.testing import Spec, attention_policies, check_block, check_model

SEQUENCE = Spec((6, 8), padded=True)
CONTEXT = Spec((5, 8), padded=True)
POLICIES = attention_policies()


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_passes_the_block_checks(norm_first):
    check_block(
        blocks.transformer_encoder_block,
        SEQUENCE,
        num_heads=2,
        ffn_dim=16,
        dropout=0.1,
        norm_first=norm_first,
        expected_shape=(6, 8),
        policies=POLICIES,
    )


def test_rotary_encoder_block_passes_the_block_checks():
    check_block(blocks.transformer_encoder_block, SEQUENCE, num_heads=2, ffn_dim=16, rotary=True, policies=POLICIES)


def test_decoder_block_with_cross_attention_passes_the_block_checks():
    check_block(
        lambda x, context: blocks.transformer_decoder_block(x, context, num_heads=2, ffn_dim=16, dropout=0.1),
        SEQUENCE,
        CONTEXT,
        expected_shape=(6, 8),
        policies=POLICIES,
    )


def test_rotary_pre_norm_decoder_block_without_context_passes_the_block_checks():
    check_block(
        blocks.transformer_decoder_block,
        SEQUENCE,
        num_heads=2,
        ffn_dim=16,
        rotary=True,
        norm_first=True,
        policies=POLICIES,
    )


@pytest.mark.skipif(POLICIES != ("mixed_bfloat16",), reason="float16 attention compiles on this backend")
@pytest.mark.xfail(strict=True, reason="XLA:CPU has no float16 dot with float32 accumulation (JAX on CPU)")
def test_float16_attention_trains_on_jax_cpu():
    def build():
        x = keras.Input((6, 8))
        return keras.Model(x, blocks.transformer_encoder_block(x, 2, 16))

    check_model(build, Spec((6, 8)), policies=("mixed_float16",))


def test_padding_stays_invisible_through_stacks_of_blocks():
    def encoder_decoder_stack(x, context):
        for _ in range(2):
            context = blocks.transformer_encoder_block(context, 2, 16)
        for _ in range(2):
            x = blocks.transformer_decoder_block(x, context, num_heads=2, ffn_dim=16)
        return x

    result = check_block(encoder_decoder_stack, SEQUENCE, CONTEXT, policies=())
    assert result.padding_error < 1e-4


def test_attention_leaves_the_masks_of_its_inputs_in_place():
    # Keras's MultiHeadAttention deletes them, which unmasks the residual branch of a post-norm block.
    tensor = keras.ops.convert_to_tensor(np.ones((1, 2, 8), "float32"))
    mask = keras.ops.convert_to_tensor(np.array([[True, False]]))
    set_keras_mask(tensor, mask)
    layers.MultiHeadAttention(2, key_dim=4)(tensor, tensor)
    assert get_keras_mask(tensor) is mask


def _weights(model, rng):
    """Random values for every weight, so a reference that ignored a bias or a LayerNorm scale would fail."""
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    return {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}


def _layer_norm(x, gamma, beta, epsilon=1e-5):
    mean, variance = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def _attention(x, w, prefix, heads):
    q = np.einsum("btd,dnh->btnh", x, w[f"{prefix}/query/kernel"]) + w[f"{prefix}/query/bias"]
    k = np.einsum("btd,dnh->btnh", x, w[f"{prefix}/key/kernel"]) + w[f"{prefix}/key/bias"]
    v = np.einsum("btd,dnh->btnh", x, w[f"{prefix}/value/kernel"]) + w[f"{prefix}/value/bias"]
    scores = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(q.shape[-1])
    probabilities = np.exp(scores - scores.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    context = np.einsum("bnts,bsnh->btnh", probabilities, v)
    return (
        np.einsum("btnh,nhd->btd", context, w[f"{prefix}/attention_output/kernel"])
        + w[f"{prefix}/attention_output/bias"]
    )


def _feed_forward(x, w, prefix):
    hidden = np.maximum(x @ w[f"{prefix}_inner/kernel"] + w[f"{prefix}_inner/bias"], 0.0)
    return hidden @ w[f"{prefix}_outer/kernel"] + w[f"{prefix}_outer/bias"]


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_is_the_standard_transformer_encoder_layer(norm_first):
    inputs = keras.Input((6, 8))
    outputs = blocks.transformer_encoder_block(inputs, 2, 16, activation="relu", norm_first=norm_first, name="enc")
    model = keras.Model(inputs, outputs)
    w = _weights(model, np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((2, 6, 8)).astype("float32")

    def norm(h, sublayer):
        return _layer_norm(h, w[f"enc/{sublayer}_norm/gamma"], w[f"enc/{sublayer}_norm/beta"])

    def attention(h):
        return _attention(h, w, "enc/self_attention", heads=2)

    def ffn(h):
        return _feed_forward(h, w, "enc/ffn")

    if norm_first:  # h = x + MHA(LN(x)); y = h + FFN(LN(h))
        h = x + attention(norm(x, "self_attention"))
        expected = h + ffn(norm(h, "ffn"))
    else:  # h = LN(x + MHA(x)); y = LN(h + FFN(h))
        h = norm(x + attention(x), "self_attention")
        expected = norm(h + ffn(h), "ffn")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected, atol=1e-4, rtol=1e-4)


def test_encoder_block_uses_the_usual_layer_norm_epsilon():
    inputs = keras.Input((6, 8))
    model = keras.Model(inputs, blocks.transformer_encoder_block(inputs, 2, 16, name="enc"))
    encoder = model.get_layer("enc")
    assert {encoder.self_attention_norm.epsilon, encoder.ffn_norm.epsilon} == {1e-5}


def _decoder(causal=True, **kwargs):
    x = keras.Input((None, 8))
    return keras.Model(x, blocks.transformer_decoder_block(x, num_heads=2, ffn_dim=16, causal=causal, **kwargs))


@pytest.mark.parametrize("rotary", [False, True])
def test_decoder_output_at_t_does_not_depend_on_later_tokens(rotary):
    model = _decoder(rotary=rotary)
    x = np.random.default_rng(0).standard_normal((2, 6, 8)).astype("float32")
    changed = x.copy()
    changed[:, 3:] = np.random.default_rng(1).standard_normal((2, 3, 8))
    before, after = (keras.ops.convert_to_numpy(model(v)) for v in (x, changed))
    np.testing.assert_allclose(after[:, :3], before[:, :3], atol=1e-6)
    assert np.abs(after[:, 3:] - before[:, 3:]).max() > 1e-3


def test_non_causal_decoder_sees_later_tokens():
    model = _decoder(causal=False)
    x = np.random.default_rng(0).standard_normal((1, 6, 8)).astype("float32")
    changed = x.copy()
    changed[:, -1] += 1.0
    before, after = (keras.ops.convert_to_numpy(model(v)) for v in (x, changed))
    assert np.abs(after[:, 0] - before[:, 0]).max() > 1e-4


def test_cross_attention_ignores_padding_in_the_context():
    x, context = keras.Input((4, 8)), keras.Input((None, 8))
    outputs = blocks.transformer_decoder_block(x, keras.layers.Masking(0.0)(context), num_heads=2, ffn_dim=16)
    model = keras.Model([x, context], outputs)
    rng = np.random.default_rng(0)
    target, source = rng.standard_normal((2, 4, 8)), rng.standard_normal((2, 3, 8))
    padded_source = np.concatenate([source, np.zeros((2, 5, 8))], axis=1)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model([target, padded_source])),
        keras.ops.convert_to_numpy(model([target, source])),
        atol=1e-5,
    )


def _count_dot_product_attention_calls(monkeypatch, model, inputs):
    """Fused attention calls, whether Keras's attention reaches the op through `keras.ops` (Keras 3.15) or
    the backend's own `nn` module (3.16); a call made inside a counted one is the same call."""
    calls, depth = [], 0

    def spying_on(fused):
        def spy(*args, **kwargs):
            nonlocal depth
            if not depth:
                calls.append(kwargs.get("flash_attention"))
            depth += 1
            try:
                return fused(*args, **kwargs)
            finally:
                depth -= 1

        return spy

    backend_ops = getattr(keras.src.backend, "ops", None)
    modules = [keras.src.ops, getattr(keras.src.backend, "nn", None), getattr(backend_ops, "nn", None)]
    for module in {id(m): m for m in modules if m is not None}.values():
        monkeypatch.setattr(module, "dot_product_attention", spying_on(module.dot_product_attention))
    model(inputs, training=True)
    return len(calls)


def test_attention_takes_the_fused_path_with_dropout_on(monkeypatch):
    x, context = keras.Input((6, 8)), keras.Input((5, 8))
    encoded = blocks.transformer_encoder_block(context, 2, 16, dropout=0.3)
    decoded = blocks.transformer_decoder_block(x, encoded, num_heads=2, ffn_dim=16, dropout=0.3, rotary=True)
    model = keras.Model([x, context], decoded)
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((2, 6, 8)), rng.standard_normal((2, 5, 8))]
    assert _count_dot_product_attention_calls(monkeypatch, model, inputs) == 3


def test_attention_dropout_leaves_the_fused_path(monkeypatch):
    x = keras.Input((6, 8))
    model = keras.Model(x, blocks.transformer_encoder_block(x, 2, 16, attention_dropout=0.1))
    assert _count_dot_product_attention_calls(monkeypatch, model, np.ones((1, 6, 8))) == 0


def test_masked_blocks_raise_no_mask_warning():
    tokens = keras.Input((None,), dtype="int32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = blocks.token_and_position_embedding(tokens, 20, 12, 8)
        x = blocks.transformer_encoder_block(x, 2, 16)
        x = blocks.transformer_decoder_block(x, x, num_heads=2, ffn_dim=16)
        x = blocks.lstm_block(x, 4, bidirectional=True, return_sequences=True)
        model = keras.Model(tokens, blocks.attention_pooling(x))
        model(np.array([[1, 2, 0]]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_heads": 3}, r"`num_heads` must divide the width of `x`. Received: num_heads=3, width=8"),
        ({"ffn_dim": 0}, "`ffn_dim` must be a positive integer. Received: ffn_dim=0"),
        ({"activation": "gelux"}, "`activation` must be a Keras activation name"),
        ({"dropout": -0.1}, r"`dropout` must be a number in \[0, 1\)"),
        ({"attention_dropout": 2}, r"`attention_dropout` must be a number in \[0, 1\)"),
        ({"num_heads": 8, "rotary": True}, "Rotary positions need an even head width"),
    ],
)
@pytest.mark.parametrize("block", ["encoder", "decoder"])
def test_attention_blocks_reject_bad_arguments_by_name(block, kwargs, message):
    arguments = {"num_heads": 2, "ffn_dim": 16, **kwargs}
    x = keras.Input((6, 8))
    with pytest.raises(ValueError, match=message):
        if block == "encoder":
            blocks.transformer_encoder_block(x, **arguments)
        else:
            blocks.transformer_decoder_block(x, **arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_heads": 3}, "`num_heads` must divide the width of `x`"),
        ({"ffn_dim": 0}, "`ffn_dim` must be a positive integer"),
        ({"dropout": -0.1}, r"`dropout` must be a number in \[0, 1\)"),
        ({"num_heads": 8, "rotary": True}, "Rotary positions need an even head width"),
    ],
)
@pytest.mark.parametrize("layer", [layers.TransformerEncoder, layers.TransformerDecoder])
def test_the_public_layers_refuse_what_the_blocks_refuse(layer, kwargs, message):
    arguments = {"num_heads": 2, "ffn_dim": 16, **kwargs}
    with pytest.raises(ValueError, match=message):
        layer(**arguments)(keras.Input((6, 8)))


@pytest.mark.parametrize("layer", [layers.TransformerEncoder, layers.TransformerDecoder])
def test_the_public_layers_refuse_a_flag_that_is_not_a_bool(layer):
    with pytest.raises(TypeError, match=r"`norm_first` must be True or False. Received: norm_first='false'"):
        layer(2, 16, norm_first="false")


def test_attention_blocks_reject_inputs_that_are_not_3d():
    with pytest.raises(ValueError, match=r"`x` must be a 3-D tensor \(batch, seq, dim\)"):
        blocks.transformer_encoder_block(keras.Input((8,)), 2, 16)


def test_decoder_rejects_a_context_that_is_not_3d():
    with pytest.raises(ValueError, match=r"`context` must be a 3-D tensor"):
        blocks.transformer_decoder_block(keras.Input((6, 8)), keras.Input((8,)), num_heads=2, ffn_dim=16)
