import keras
import numpy as np
import pytest

from kerazoo import blocks, layers, models
from kerazoo.models import generation
from kerazoo.models._decoding import Decoding
from kerazoo.models._sampling import choose

TINY_GPT = dict(models.info("gpt").small_config)
CORPUS = ["the cat sat on the mat", "a dog ran to the park", "the bird sang in the tree", "my cat and your dog"]


def seeded(name: str, **overrides) -> keras.Model:
    """The small `name` with the same weights in every run, so that what it generates is the same too."""
    keras.utils.set_random_seed(0)
    return models.build(name, **{**models.info(name).small_config, **overrides})


@pytest.fixture(scope="module")
def gpt():
    return seeded("gpt")


def wordpiece(special_tokens=("[PAD]", "[UNK]", "[CLS]", "[SEP]"), vocab_size=40):
    """A 40-token WordPiece vocabulary: [PAD] is id 0 as in kerazoo's trained tokenizers, [CLS] the start
    and [SEP] the end; without [PAD] it has no padding id, as GPT-2's has none."""
    import tokenizers
    from tokenizers import decoders, pre_tokenizers, trainers

    from kerazoo.text import Tokenizer

    backend = tokenizers.Tokenizer(tokenizers.models.WordPiece(unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=list(special_tokens), show_progress=False)
    backend.train_from_iterator(CORPUS * 5, trainer)
    return Tokenizer(backend)


@pytest.fixture(scope="module")
def tokenizer():
    return wordpiece()


def continuation_text(model, tokenizer, prompt: str, max_new_tokens: int) -> str:
    """What text generation must return, from the ids path: the prompt's continuation up to the end id,
    decoded after the prompt's own text."""
    ids = tokenizer.token_ids([prompt])[0]
    out = models.generate(model, np.array([ids]), max_new_tokens, tokenizer=tokenizer, end_token=tokenizer.end_id)[0]
    new = out[len(ids) :]
    new = new[: list(new).index(tokenizer.end_id)] if tokenizer.end_id in new else new
    return tokenizer.decode([*ids, *new])[len(tokenizer.decode(ids)) :]


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


def test_a_text_prompt_gives_the_text_of_its_continuation(gpt, tokenizer):
    text = models.generate(gpt, "the cat", 6, tokenizer=tokenizer)
    assert isinstance(text, str)
    assert text == continuation_text(gpt, tokenizer, "the cat", 6)


def nesting(value) -> list[int]:
    """The lengths of nested lists down to their strings: [] for a string, [2, 3] for two lists of three."""
    if isinstance(value, str):
        return []
    assert isinstance(value, list) and len({str(nesting(item)) for item in value}) == 1
    return [len(value), *nesting(value[0])]


@pytest.mark.parametrize(
    ("prompts", "n", "expected"),
    [("the cat", 1, []), ("the cat", 2, [2]), (["the cat", "a dog"], 3, [2, 3])],
)
def test_text_comes_back_as_it_was_given_with_a_list_per_prompt_for_several_sequences(
    gpt, tokenizer, prompts, n, expected
):
    out = models.generate(gpt, prompts, 3, tokenizer=tokenizer, num_return_sequences=n, temperature=1.0, seed=0)
    assert nesting(out) == expected


@pytest.mark.slow
def test_text_prompts_of_different_lengths_each_continue_as_they_would_alone(gpt, tokenizer):
    batch = models.generate(gpt, ["the cat", "a dog ran to the"], 5, tokenizer=tokenizer)
    assert batch == [models.generate(gpt, prompt, 5, tokenizer=tokenizer) for prompt in ["the cat", "a dog ran to the"]]


def test_a_stop_string_ends_the_text_before_it(gpt, tokenizer):
    full = models.generate(gpt, "the cat", 10, tokenizer=tokenizer)
    stop = full[-2:]
    assert full.find(stop) > 0  # the continuation has text before the stop string
    assert models.generate(gpt, "the cat", 10, tokenizer=tokenizer, stop=[stop, "never"]) == full[: full.find(stop)]


def test_a_stop_string_ends_the_row_at_the_token_that_completed_it(gpt, tokenizer):
    prompt = np.array(tokenizer.token_ids(["the cat"]))
    full = models.generate(gpt, prompt, 12, tokenizer=tokenizer)
    text = lambda end: tokenizer.decode(full[0, :end])[len(tokenizer.decode(prompt[0])) :]  # noqa: E731
    stop = text(None)[-2:]
    end = next(end for end in range(prompt.shape[1], full.shape[1] + 1) if stop in text(end))
    assert end < full.shape[1]
    stopped = models.generate(gpt, prompt, 12, tokenizer=tokenizer, stop=stop)
    np.testing.assert_array_equal(stopped[0, :end], full[0, :end])
    assert not np.any(stopped[0, end:])


@pytest.mark.parametrize("top_p", [0, 0.0, -0.1, 1.01, float("nan"), True, "0.9"])
def test_top_p_must_lie_in_zero_to_one(gpt, top_p):
    with pytest.raises(ValueError, match=r"`top_p` must be a number in \(0, 1\]"):
        models.generate(gpt, np.array([[3]]), 2, temperature=1.0, top_p=top_p)


@pytest.mark.parametrize("limit", [{"top_k": 5}, {"top_p": 0.9}])
def test_limiting_sampling_without_a_temperature_is_refused(gpt, limit):
    with pytest.raises(ValueError, match=f"`{next(iter(limit))}` limits sampling, and temperature=0 is greedy"):
        models.generate(gpt, np.array([[3]]), 2, **limit)


@pytest.mark.slow
def test_a_nucleus_of_one_token_is_greedy(gpt):
    prompt = np.array([[3, 4], [5, 0]])
    np.testing.assert_array_equal(
        models.generate(gpt, prompt, 4, temperature=1.0, top_p=1e-6, seed=0), models.generate(gpt, prompt, 4)
    )


@pytest.mark.parametrize(("top_p", "nucleus"), [(0.7, {0, 1}), (0.85, {0, 1, 2}), (1.0, {0, 1, 2, 3})])
def test_nucleus_sampling_draws_from_the_most_likely_tokens_that_reach_top_p(top_p, nucleus):
    """Probabilities 0.5, 0.3, 0.15, 0.05 (shuffled in the vocabulary): 0.7 needs the first two, 0.85 three."""
    order = np.array([2, 0, 3, 1])  # token order[i] has the i-th largest probability
    logits = np.zeros((400, 4), "float32")
    logits[:, order] = np.log([0.5, 0.3, 0.15, 0.05])
    generator = keras.random.SeedGenerator(0)
    seed = keras.ops.convert_to_tensor([1, 2], generator.state.dtype)
    drawn = keras.ops.convert_to_numpy(choose(keras.ops.convert_to_tensor(logits), generator, seed, top_p=top_p))
    assert set(drawn.tolist()) == {int(order[i]) for i in nucleus}


def draws(probabilities, rows=20000, **limits) -> np.ndarray:
    """How often `choose` draws each token, over `rows` rows that all have these probabilities."""
    with np.errstate(divide="ignore"):  # a probability of 0 is a logit of -inf
        logits = np.tile(np.log(np.asarray(probabilities, "float32")), (rows, 1))
    generator = keras.random.SeedGenerator(0)
    seed = keras.ops.convert_to_tensor([3, 4], generator.state.dtype)
    drawn = keras.ops.convert_to_numpy(choose(keras.ops.convert_to_tensor(logits), generator, seed, **limits))
    return np.bincount(drawn, minlength=len(probabilities)) / rows


def test_sampling_draws_each_token_as_often_as_its_probability():
    probabilities = np.array([0.05, 0.4, 0.0, 0.25, 0.3])
    np.testing.assert_allclose(draws(probabilities), probabilities, atol=0.015)


def test_nucleus_sampling_draws_the_nucleus_in_proportion_to_the_probabilities():
    """0.4, 0.3, 0.2 reach 0.75: drawn 4/9, 3/9 and 2/9 of the time; 0.1 never."""
    np.testing.assert_allclose(draws([0.2, 0.1, 0.4, 0.3], top_p=0.75), [2 / 9, 0, 4 / 9, 3 / 9], atol=0.015)


def test_a_small_nucleus_in_a_flat_distribution_is_drawn_in_proportion():
    """Candidates drawn from the whole distribution are rarely in a 9% nucleus: most rows draw from the
    nucleus found by bisection instead, with the same probabilities."""
    probabilities = np.full(93, 0.01)
    probabilities[[7, 50]] = 0.05, 0.04
    expected = np.zeros(93)
    expected[[7, 50]] = 5 / 9, 4 / 9
    np.testing.assert_allclose(draws(probabilities, top_p=0.08), expected, atol=0.015)


@pytest.mark.parametrize("limits", [{"top_k": 2}, {"top_p": 0.5}])
def test_tokens_as_likely_as_the_last_one_kept_are_kept_too(limits):
    """0.4 and one 0.2 are the two most likely and reach 0.5; the other two 0.2s tie with it."""
    np.testing.assert_allclose(draws([0.2, 0.4, 0.2, 0.2], **limits), [0.2, 0.4, 0.2, 0.2], atol=0.015)


def test_sampling_runs_on_the_device_in_one_call(gpt, monkeypatch):
    """No trip to the host per token: the whole sampled continuation is one call of the compiled loop."""
    calls = []
    run = Decoding.run
    monkeypatch.setattr(Decoding, "run", lambda self, *a, **k: calls.append(1) or run(self, *a, **k))
    models.generate(gpt, np.array([[3, 4], [5, 0]]), 6, temperature=0.8, top_k=10, top_p=0.9, seed=1)
    assert len(calls) == 1


@pytest.mark.slow
def test_nucleus_sampling_with_the_cache_gives_the_tokens_of_full_recomputation(gpt):
    prompt = np.array([[3, 4, 5], [6, 0, 0]])
    sampling = {"temperature": 1.2, "top_k": 20, "top_p": 0.9, "seed": 5}
    np.testing.assert_array_equal(
        models.generate(gpt, prompt, 6, use_cache=True, **sampling),
        models.generate(gpt, prompt, 6, use_cache=False, **sampling),
    )


@pytest.mark.slow
def test_several_sequences_per_prompt_sit_next_to_each_other(gpt):
    prompt = np.array([[3, 4], [5, 6]])
    out = models.generate(gpt, prompt, 6, num_return_sequences=3, temperature=2.0, seed=0)
    assert out.shape == (6, 8)
    np.testing.assert_array_equal(out[:, :2], np.repeat(prompt, 3, axis=0))
    assert len({tuple(row) for row in out[:3]}) > 1  # each sequence has its own draws


def test_a_prompt_that_tokenizes_to_nothing_is_refused(gpt, tokenizer):
    with pytest.raises(ValueError, match=r"prompt 1 \(' '\) tokenizes to no tokens"):
        models.generate(gpt, ["the cat", " "], 2, tokenizer=tokenizer)


def test_text_without_a_tokenizer_is_refused(gpt):
    with pytest.raises(ValueError, match="Text prompts need a `tokenizer`"):
        models.generate(gpt, "the cat", 2)


def test_a_tokenizer_larger_than_the_model_vocabulary_is_refused(tokenizer):
    model = seeded("gpt", vocab_size=30)
    with pytest.raises(ValueError, match="`tokenizer` has 40 tokens, more than the 30 of gpt's"):
        models.generate(model, "the cat", 2, tokenizer=tokenizer)


def test_a_tokenizer_without_padding_is_refused_by_a_model_that_masks_id_0(gpt):
    with pytest.raises(ValueError, match="masks id 0 as padding .* but `tokenizer` has no padding token"):
        models.generate(gpt, "the cat", 2, tokenizer=wordpiece(("[UNK]", "[CLS]", "[SEP]")))


def test_a_tokenizer_with_padding_is_refused_by_a_model_that_reads_id_0_as_a_token(tokenizer):
    model = seeded("gpt", mask_zero=False)
    with pytest.raises(ValueError, match=r"reads every id as a token \(mask_zero=False\), but `tokenizer` pads"):
        models.generate(model, "the cat", 2, tokenizer=tokenizer)


@pytest.mark.slow
def test_a_model_without_padding_continues_text_prompts_of_different_lengths_each_from_its_own_end():
    model = seeded("gpt", mask_zero=False)
    unpadded = wordpiece(("[UNK]", "[CLS]", "[SEP]"))
    prompts = ["the cat", "a dog ran to the"]
    batch = models.generate(model, prompts, 5, tokenizer=unpadded)
    assert batch == [continuation_text(model, unpadded, prompt, 5) for prompt in prompts]


@pytest.mark.slow
def test_generation_with_a_tokenizer_never_produces_an_id_past_its_vocabulary(gpt):
    small = wordpiece(vocab_size=30)
    prompt = np.array(small.token_ids(["the cat"]))
    out = models.generate(gpt, prompt, 10, tokenizer=small, temperature=5.0, seed=0)  # gpt has 50 ids
    assert out.max() < small.vocab_size


@pytest.mark.parametrize("name", ["transformer_seq2seq", "lstm_seq2seq"])
def test_a_seq2seq_model_reads_text_as_its_source_and_starts_the_target_with_the_start_id(name, tokenizer):
    model = seeded(name, vocab_size=50)
    source = np.array(tokenizer.token_ids(["the cat sat"]))
    tokens = {"source": source, "target": [[tokenizer.start_id]]}
    ids = models.generate(model, tokens, 5, tokenizer=tokenizer, end_token=tokenizer.end_id)
    new = ids[0, 1:].tolist()
    new = new[: new.index(tokenizer.end_id)] if tokenizer.end_id in new else new
    assert models.generate(model, "the cat sat", 5, tokenizer=tokenizer) == tokenizer.decode(new)


def test_a_seq2seq_target_starts_with_the_end_id_where_the_tokenizer_has_no_start_id(monkeypatch):
    model = seeded("transformer_seq2seq")
    no_start = wordpiece(("[PAD]", "[UNK]", "[SEP]"))
    assert no_start.start_id is None
    seen = []
    job = generation._job
    monkeypatch.setattr(generation, "_job", lambda *a: seen.append(job(*a)) or seen[-1])
    models.generate(model, "the cat", 2, tokenizer=no_start)
    assert seen[0].inputs["target"][0, 0] == no_start.end_id


def test_streamed_pieces_add_up_to_the_generated_text(gpt):
    endless = wordpiece(("[PAD]", "[UNK]", "[CLS]"))  # no end id: every row runs its 10 tokens
    options = {"temperature": 1.0, "top_p": 0.95, "seed": 3}
    pieces = list(generation.generate_stream(gpt, "the cat", 10, tokenizer=endless, **options))
    assert len(pieces) > 1
    assert "".join(pieces) == models.generate(gpt, "the cat", 10, tokenizer=endless, **options)


@pytest.mark.parametrize(("text", "held"), [("a b\n", 1), ("a b\nc", 0), ("a b", 0), ("caf\ufffd", 1), ("a b STO", 3)])
def test_a_stream_holds_back_what_may_begin_a_stop_string_or_end_inside_a_character(text, held):
    assert generation._unsettled(text, ("\n\n", "STOP")) == held
