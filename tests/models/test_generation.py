import keras
import numpy as np
import pytest

from kerazoo import blocks, layers, models

TINY_GPT = dict(models.info("gpt").small_config)


@pytest.fixture(scope="module")
def gpt():
    return models.gpt(**TINY_GPT)


def test_greedy_generation_appends_the_most_likely_token_each_step(gpt):
    """Most likely among real tokens: id 0 is padding, never generated even where its logit is highest."""
    prompt = np.array([[3, 4, 5]])
    out = models.generate(gpt, prompt, max_new_tokens=3)
    assert out.shape == (1, 6)
    np.testing.assert_array_equal(out[:, :3], prompt)
    for t in range(3, 6):
        logits = np.asarray(gpt.predict_on_batch(out[:, :t]))
        assert out[0, t] == logits[0, t - 1, 1:].argmax() + 1


def test_sampling_is_deterministic_for_a_seed_and_varies_across_seeds(gpt):
    prompt = np.array([[3, 4], [5, 6]])
    first = models.generate(gpt, prompt, max_new_tokens=8, temperature=1.5, seed=7)
    again = models.generate(gpt, prompt, max_new_tokens=8, temperature=1.5, seed=7)
    other = [models.generate(gpt, prompt, max_new_tokens=8, temperature=1.5, seed=s) for s in range(3)]
    np.testing.assert_array_equal(first, again)
    assert any(not np.array_equal(first, o) for o in other)


def test_top_k_of_one_is_greedy(gpt):
    prompt = np.array([[3, 4]])
    np.testing.assert_array_equal(
        models.generate(gpt, prompt, 4, temperature=1.0, top_k=1, seed=0), models.generate(gpt, prompt, 4)
    )


def test_prompts_of_different_lengths_each_continue_from_their_own_end(gpt):
    ragged = np.array([[3, 4, 5], [6, 0, 0]])
    out = models.generate(gpt, ragged, max_new_tokens=2)
    alone = models.generate(gpt, np.array([[6]]), max_new_tokens=2)
    np.testing.assert_array_equal(out[1, :3], alone[0])
    assert out[1, 3:].tolist() == [0, 0]


def test_end_token_stops_a_row(gpt):
    prompt = np.array([[3, 4]])
    greedy = models.generate(gpt, prompt, max_new_tokens=4)
    stopped = models.generate(gpt, prompt, max_new_tokens=4, end_token=int(greedy[0, 2]))
    assert stopped[0, 2] == greedy[0, 2]
    assert stopped[0, 3:].tolist() == [0, 0, 0]


@pytest.mark.parametrize("name", ["lstm_seq2seq", "transformer_seq2seq"])
def test_seq2seq_models_extend_the_target_prefix(name):
    model = models.build(name, **models.info(name).small_config)
    source = np.array([[5, 6, 7, 0]])
    out = models.generate(model, {"source": source, "target": np.array([[1]])}, max_new_tokens=3)
    assert out.shape == (1, 4)
    assert out[0, 0] == 1


def test_a_seq2seq_model_needs_source_and_target():
    model = models.build("lstm_seq2seq", **models.info("lstm_seq2seq").small_config)
    with pytest.raises(ValueError, match=r"takes inputs \['source', 'target'\]: pass tokens as a dict of them"):
        models.generate(model, np.array([[1, 2]]), 2)


def test_generation_longer_than_the_position_table_is_refused(gpt):
    with pytest.raises(ValueError, match=r"longer than the model's position table \(max_length=16\)"):
        models.generate(gpt, np.ones((1, 10), "int32"), max_new_tokens=7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_new_tokens": 0}, "`max_new_tokens` must be a positive integer"),
        ({"max_new_tokens": 2, "temperature": -1.0}, "`temperature` must be a finite number >= 0.0"),
        ({"max_new_tokens": 2, "temperature": float("nan")}, "`temperature` must be a finite number >= 0.0"),
        ({"max_new_tokens": 2, "top_k": 0}, "`top_k` must be a positive integer"),
    ],
)
def test_generate_rejects_bad_arguments_by_name(gpt, kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.generate(gpt, np.array([[3]]), **kwargs)


@pytest.mark.parametrize(
    ("prompt", "error", "message"),
    [
        (np.array([[3.7, 4.2]]), TypeError, "`tokens` must hold integer token ids. Received dtype float64"),
        (np.array([[3, 50]]), ValueError, r"`tokens` ids must be in 0..49. Received ids from 3 to 50"),
        (np.array([[-2, 4]]), ValueError, r"`tokens` ids must be in 0..49"),
    ],
)
@pytest.mark.parametrize("use_cache", [True, False])
def test_prompt_ids_must_be_integers_inside_the_vocabulary(gpt, prompt, error, message, use_cache):
    with pytest.raises(error, match=message):
        models.generate(gpt, prompt, 2, use_cache=use_cache)


def test_a_classifier_is_refused_by_generate():
    classifier = models.lstm_classifier(**models.info("lstm_classifier").small_config)
    with pytest.raises(ValueError, match=r"needs a model whose output is \(batch, seq, vocab\) logits"):
        models.generate(classifier, np.array([[3]]), 2)


def test_an_empty_prompt_is_refused(gpt):
    with pytest.raises(ValueError, match="Every prompt needs at least one token"):
        models.generate(gpt, np.array([[0, 0]]), 2)


@pytest.mark.parametrize(
    "variant", [{}, {"position": "none", "rotary": True}, {"position": "sinusoidal", "tie_embeddings": False}]
)
def test_the_key_value_cache_gives_the_tokens_of_full_recomputation(variant):
    """Prompts of 5 and 3 tokens: the first 2 positions run as one chunk, the third row's end is generated
    while the first row's prompt is still read."""
    model = models.gpt(**{**TINY_GPT, **variant})
    prompt = np.array([[3, 4, 5, 6, 7], [6, 7, 8, 0, 0]])
    for sampling in ({}, {"temperature": 1.0, "seed": 3}):
        cached = models.generate(model, prompt, 8, use_cache=True, **sampling)
        recomputed = models.generate(model, prompt, 8, use_cache=False, **sampling)
        np.testing.assert_array_equal(cached, recomputed)


def test_generation_never_produces_the_padding_id(gpt):
    out = models.generate(gpt, np.array([[3]]), max_new_tokens=10, temperature=5.0, seed=0)
    assert np.all(out[0] != 0)


@pytest.mark.parametrize(
    ("name", "variant"),
    [
        ("transformer_seq2seq", {}),
        ("transformer_seq2seq", {"norm_first": True, "position": "learned"}),
        ("lstm_seq2seq", {}),
    ],
)
def test_seq2seq_decoding_with_the_decoders_state_gives_the_tokens_of_full_recomputation(name, variant):
    model = models.build(name, **{**models.info(name).small_config, **variant})
    tokens = {"source": np.array([[5, 6, 7, 0], [8, 9, 0, 0]]), "target": np.array([[1, 4], [1, 0]])}
    for sampling in ({}, {"temperature": 1.0, "seed": 3}):
        cached = models.generate(model, tokens, 6, use_cache=True, **sampling)
        recomputed = models.generate(model, tokens, 6, use_cache=False, **sampling)
        np.testing.assert_array_equal(cached, recomputed)


def test_a_model_assembled_from_decoder_blocks_decodes_with_the_cache():
    """Post-norm, exact GELU, no final norm: nothing the zoo's gpt fixes is assumed."""
    tokens = keras.Input((None,), dtype="int32")
    x = blocks.token_and_position_embedding(tokens, 30, 12, 8, position="sinusoidal")
    for _ in range(2):
        x = blocks.transformer_decoder_block(x, num_heads=2, ffn_dim=16)
    model = keras.Model(tokens, keras.layers.Dense(30)(x))
    prompt = np.array([[3, 4, 5], [6, 0, 0]])
    np.testing.assert_array_equal(
        models.generate(model, prompt, 5, use_cache=True), models.generate(model, prompt, 5, use_cache=False)
    )


def test_a_model_without_a_decoder_to_carry_state_is_refused_the_cache():
    tokens = keras.Input((None,), dtype="int32")
    x = blocks.token_and_position_embedding(tokens, 30, 12, 8)
    model = keras.Model(tokens, keras.layers.Dense(30)(blocks.transformer_encoder_block(x, 2, 16)))
    with pytest.raises(ValueError, match="has no TransformerDecoder and no recurrent layer started from a state"):
        models.generate(model, np.array([[3, 4]]), 2, use_cache=True)
    assert models.generate(model, np.array([[3, 4]]), 2).shape == (1, 4)  # by default it recomputes


def test_a_cache_step_is_one_position_of_the_full_forward_pass():
    """The decoder layer's cached call computes what its ordinary call computes at that position."""
    decoder = layers.TransformerDecoder(2, 16, norm_first=True, rotary=True)
    x = np.random.default_rng(0).standard_normal((2, 5, 8)).astype("float32")
    full = keras.ops.convert_to_numpy(decoder(x))
    cache = decoder.empty_cache(2, 5)
    for t in range(5):
        step, cache = decoder(x[:, t : t + 1], self_attention_cache=cache, cache_index=t)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(step)[:, 0], full[:, t], atol=1e-5)


def test_a_chunk_of_positions_through_the_cache_is_the_full_forward_pass():
    """A prompt's positions at once (prefill) then one more: each position sees only those before it."""
    decoder = layers.TransformerDecoder(2, 16, norm_first=True, rotary=True)
    x = np.random.default_rng(0).standard_normal((2, 5, 8)).astype("float32")
    full = keras.ops.convert_to_numpy(decoder(x))
    chunk, cache = decoder(x[:, :4], self_attention_cache=decoder.empty_cache(2, 5), cache_index=0)
    step, _ = decoder(x[:, 4:], self_attention_cache=cache, cache_index=4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(chunk), full[:, :4], atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(step)[:, 0], full[:, 4], atol=1e-5)


def test_a_decoder_built_with_a_context_must_be_called_with_one():
    decoder = layers.TransformerDecoder(2, 16)
    decoder(np.zeros((1, 3, 8), "float32"), np.zeros((1, 4, 8), "float32"))
    with pytest.raises(ValueError, match="was built with a `context`; call it the same way"):
        decoder(np.zeros((1, 3, 8), "float32"))


def test_the_compiled_decoding_is_reused_across_calls(gpt):
    from kerazoo.models._decoding import decoding_for

    models.generate(gpt, np.array([[3, 4]]), max_new_tokens=3)
    assert decoding_for(gpt, 5) is decoding_for(gpt, 5)
    assert decoding_for(gpt, 6) is not decoding_for(gpt, 5)


@pytest.mark.parametrize("use_cache", [True, False])
def test_a_gpt_without_padding_treats_id_0_as_a_token(use_cache):
    model = models.gpt(**{**TINY_GPT, "mask_zero": False})
    prompt = np.array([[0, 0, 3]])
    out = models.generate(model, prompt, 3, use_cache=use_cache)
    np.testing.assert_array_equal(out[:, :3], prompt)  # the leading zeros are prompt tokens, kept in place
    logits = np.asarray(model.predict_on_batch(out[:, :3]))
    assert out[0, 3] == logits[0, 2].argmax()  # id 0 may be chosen too


def test_cached_and_uncached_generation_agree_for_a_gpt_without_padding():
    model = models.gpt(**{**TINY_GPT, "mask_zero": False})
    prompt = np.array([[5, 0, 7], [1, 2, 3]])
    np.testing.assert_array_equal(
        models.generate(model, prompt, 4, use_cache=True), models.generate(model, prompt, 4, use_cache=False)
    )


@pytest.mark.parametrize("name", ["lstm_seq2seq", "transformer_seq2seq"])
def test_a_seq2seq_model_grows_its_target_not_its_source(name):
    """The source comes first among the inputs, and on Keras 3.13 a sub-model from it to the decoder's input
    builds without complaint: the graph walk must still see that the decoder needs the target."""
    from kerazoo.models._decoding import growing_input

    assert growing_input(models.build(name, **models.info(name).small_config)) == "target"
