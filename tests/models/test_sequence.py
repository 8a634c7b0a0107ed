import keras
import numpy as np
import pytest

from kerazoo import models, names
from kerazoo.testing import dtype_policy

TINY_GPT = dict(models.info("gpt").small_config)


@pytest.mark.parametrize("name", ["lstm_classifier", "bilstm_attention_classifier", "transformer_classifier", "gpt"])
def test_embedding_matrix_fills_the_token_table_and_can_be_frozen(name):
    config = dict(models.info(name).small_config)
    matrix = np.random.default_rng(0).standard_normal((config["vocab_size"], config["dim"])).astype("float32")
    model = models.build(name, embedding_matrix=matrix, trainable_embeddings=False, **config)
    table = model.get_layer(names.TOKEN_EMBEDDING)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(table.embeddings), matrix)
    assert not table.trainable


@pytest.mark.parametrize("name", ["lstm_seq2seq", "transformer_seq2seq"])
def test_embedding_matrix_fills_both_token_tables_of_a_seq2seq_model(name):
    config = dict(models.info(name).small_config)
    if name == "transformer_seq2seq":
        config["share_embeddings"] = False  # shared, it has one table (the next test)
    matrix = np.random.default_rng(0).standard_normal((config["vocab_size"], config["dim"])).astype("float32")
    model = models.build(name, embedding_matrix=matrix, **config)
    for sequence in (names.SOURCE, names.TARGET):
        table = model.get_layer(names.of_sequence(sequence, names.TOKEN_EMBEDDING))
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(table.embeddings), matrix)


def test_embedding_matrix_fills_the_one_table_transformer_seq2seq_shares():
    config = dict(models.info("transformer_seq2seq").small_config)
    matrix = np.random.default_rng(0).standard_normal((config["vocab_size"], config["dim"])).astype("float32")
    model = models.transformer_seq2seq(embedding_matrix=matrix, **config)
    table = model.get_layer(names.TOKEN_EMBEDDING)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(table.embeddings), matrix)


def test_embedding_matrix_of_the_wrong_shape_names_the_expected_one():
    with pytest.raises(ValueError, match=r"`embedding_matrix` must have shape \(vocab_size, dim\) = \(50, 8\)"):
        models.lstm_classifier(vocab_size=50, dim=8, embedding_matrix=np.zeros((49, 8)))


def test_gpt_with_tied_embeddings_projects_with_the_transposed_token_table():
    model = models.gpt(**TINY_GPT)
    untied = models.gpt(tie_embeddings=False, **TINY_GPT)
    assert untied.count_params() - model.count_params() == TINY_GPT["vocab_size"] * TINY_GPT["dim"]
    hidden = keras.Model(model.input, model.get_layer(names.FINAL_NORM).output)
    tokens = np.array([[3, 4, 5]])
    table = keras.ops.convert_to_numpy(model.get_layer(names.TOKEN_EMBEDDING).embeddings)
    expected = keras.ops.convert_to_numpy(hidden(tokens)) @ table.T
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(tokens)), expected, atol=1e-4)


def test_gpt_logits_at_t_ignore_later_tokens():
    model = models.gpt(**TINY_GPT)
    a = keras.ops.convert_to_numpy(model(np.array([[3, 4, 5, 6]])))
    b = keras.ops.convert_to_numpy(model(np.array([[3, 4, 9, 9]])))
    np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="float16 attention does not compile on JAX's CPU")
@pytest.mark.parametrize("name", ["transformer_classifier", "gpt", "transformer_seq2seq"])
def test_masked_attention_stays_finite_under_mixed_float16(name):
    # keras PR #17571: a masked softmax that adds a float32-sized negative overflows float16 to -inf - -inf.
    config = dict(models.info(name).small_config)
    with dtype_policy("mixed_float16"):
        model = models.build(name, **config)
    tokens = np.zeros((2, 12), "int32")
    tokens[:, :2] = [[4, 5], [6, 7]]  # mostly padding
    inputs = {"source": tokens, "target": tokens} if len(model.inputs) == 2 else tokens
    outputs = keras.ops.convert_to_numpy(model(inputs))
    assert np.all(np.isfinite(outputs))
    with dtype_policy("mixed_float16"):
        model.compile(optimizer="adam", loss=keras.losses.MeanSquaredError())
        loss = model.train_on_batch(inputs, np.zeros(outputs.shape, "float32"))
    assert np.isfinite(loss)


@pytest.mark.parametrize("name", ["transformer_classifier", "gpt"])
def test_sequence_models_reject_an_unknown_position_name(name):
    with pytest.raises(ValueError, match="`position` must be one of 'sinusoidal', 'learned', 'none'"):
        models.build(name, position="rope", **models.info(name).small_config)


def test_transformer_classifier_rejects_an_unknown_pooling():
    with pytest.raises(ValueError, match="`pooling` must be one of 'mean', 'attention'"):
        models.transformer_classifier(pooling="max", **models.info("transformer_classifier").small_config)


def test_transformer_models_reject_heads_that_do_not_divide_dim():
    with pytest.raises(ValueError, match="`num_heads` must divide `dim`.*Received: num_heads=3, dim=16"):
        models.gpt(**{**TINY_GPT, "num_heads": 3})


def test_an_embedding_matrix_with_nan_is_refused():
    matrix = np.full((50, 8), np.nan, "float32")
    with pytest.raises(ValueError, match="`embedding_matrix` holds NaN or infinite values"):
        models.lstm_classifier(**{**models.info("lstm_classifier").small_config, "embedding_matrix": matrix})


def test_gpt_feed_forward_uses_gpt2s_tanh_gelu_by_default_and_exact_gelu_when_asked():
    x = np.linspace(-3, 3, 7, dtype="float32")[None, :]
    tanh_gelu = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    for activation, expected in ((None, tanh_gelu), ("gelu", keras.ops.convert_to_numpy(keras.activations.gelu(x)))):
        options = {} if activation is None else {"activation": activation}
        model = models.gpt(**models.info("gpt").small_config, **options)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(model.get_layer(names.decoder(1)).ffn_inner.activation(x)), expected, atol=1e-6
        )


def bert_backbone(**options):
    config = {**models.info("transformer_classifier").small_config, "num_segments": 2, "dropout": 0.0}
    return models.transformer_classifier(**config, pooling="cls", include_top=False, **options)


def test_the_bert_backbone_returns_the_sequence_and_the_pooled_first_position():
    model = bert_backbone()
    ids = np.array([[3, 4, 5, 0]], "int32")
    outputs = model({"tokens": ids, "segment_ids": np.array([[0, 0, 1, 0]], "int32")})
    assert outputs["sequence_output"].shape == (1, 4, 16) and outputs["pooled_output"].shape == (1, 16)
    pooler = model.get_layer("pooler")
    expected = np.tanh(np.asarray(outputs["sequence_output"])[:, 0] @ pooler.kernel.numpy() + pooler.bias.numpy())
    np.testing.assert_allclose(outputs["pooled_output"], expected, atol=1e-5)


def test_segments_keep_padding_invisible():
    """A Keras Add of the segment embedding would drop the padding mask; the segment layer keeps it."""
    model = bert_backbone()
    ids, segments = np.array([[3, 4, 5]], "int32"), np.array([[0, 1, 1]], "int32")
    short = model({"tokens": ids, "segment_ids": segments})["sequence_output"]
    padded = model({"tokens": np.pad(ids, ((0, 0), (0, 3))), "segment_ids": np.pad(segments, ((0, 0), (0, 3)))})
    np.testing.assert_allclose(np.asarray(padded["sequence_output"])[:, :3], short, atol=1e-5)


def test_the_bert_backbone_reloads_from_a_keras_file_with_the_same_outputs(tmp_path):
    model = bert_backbone()
    inputs = {"tokens": np.array([[3, 4, 5, 0]], "int32"), "segment_ids": np.array([[0, 0, 1, 0]], "int32")}
    model.save(tmp_path / "bert.keras")
    reloaded = keras.models.load_model(tmp_path / "bert.keras")
    for key, value in model(inputs).items():
        np.testing.assert_array_equal(reloaded(inputs)[key], value)


def test_layer_norm_epsilon_is_checked_by_name():
    with pytest.raises(ValueError, match="`layer_norm_epsilon` must be a finite number > 0.0"):
        bert_backbone(layer_norm_epsilon=0.0)
