"""`--tokenizer` specs (`data.make_tokenizer`) and the subword path beside the word path in `data.load`."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tokenizers

from kerazoo import data
from kerazoo.data.sources import split_text
from kerazoo.data.tokenization import check_tokenizer
from kerazoo.text import Tokenizer, words

TEXTS = [
    "The cat sat on the mat, and the dog sat on the log.",
    "A well-known story: the dog didn't chase the cat!",
    "Cats and dogs; mats and logs.",
] * 20
needs_tf_data = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")


def test_words_names_the_word_path_and_gives_no_tokenizer():
    assert data.make_tokenizer("words", TEXTS) is None


@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "unigram"])
def test_a_kind_and_size_train_a_tokenizer_on_the_texts_given(kind):
    tokenizer = data.make_tokenizer(f"{kind}:300", TEXTS)
    assert isinstance(tokenizer, Tokenizer) and tokenizer.vocab_size <= 300 and tokenizer.pad_id == 0
    assert "dog" in tokenizer.decode(tokenizer.token_ids("the dog")[0])


def test_a_path_loads_the_saved_tokenizer(tmp_path):
    saved = data.make_tokenizer("bpe:300", TEXTS).save(tmp_path / "tokenizer.json")
    loaded = data.make_tokenizer(str(saved), ["never read"])
    assert loaded.token_ids(TEXTS[:3]) == Tokenizer.load(saved).token_ids(TEXTS[:3])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bpe", "Give the vocabulary size, e.g. bpe:8000"),
        ("sentencepiece:300", "must be words, bpe:N, wordpiece:N, unigram:N or the path of a saved tokenizer"),
        ("no/such/tokenizer.json", "(none exists there)"),
        ("", "Received: tokenizer=''"),
    ],
)
def test_a_spec_that_names_nothing_is_refused_saying_what_is_accepted(spec, message):
    with pytest.raises(ValueError, match="`tokenizer` must be") as error:
        check_tokenizer(spec, task="language-modeling")
    assert message in str(error.value)


def test_word2vec_embeddings_with_a_subword_tokenizer_are_refused_naming_both():
    with pytest.raises(ValueError, match="`embeddings` are Word2Vec vectors.*need `tokenizer` words"):
        check_tokenizer("bpe:300", task="text-classification", embeddings="w2v")


def test_a_tokenizer_for_a_task_that_reads_no_text_is_refused():
    with pytest.raises(ValueError, match="`tokenizer` is for text tasks"):
        check_tokenizer("bpe:300", task="image-classification")


def test_a_tokenizer_that_does_not_pad_with_id_0_is_refused():
    # GPT-2's vocabulary has no padding token and its id 0 is "!": the zoo's models would mask it.
    no_padding = tokenizers.Tokenizer(tokenizers.models.WordLevel({"!": 0, "a": 1}, unk_token="a"))
    with pytest.raises(ValueError, match="has no padding token; kerazoo's models mask id 0"):
        data.make_tokenizer(Tokenizer(no_padding), TEXTS)


def test_language_model_windows_make_every_token_of_every_text_a_target():
    tokenizer = data.make_tokenizer("bpe:300", TEXTS)
    x, y = data.next_token_windows(TEXTS[:3], tokenizer, 8)
    ids = tokenizer.token_ids(TEXTS[:3])
    end = tokenizer.end_id
    expected = [token for row in ids for token in (*row, end)]
    assert y[y != 0].tolist() == expected  # the padding of the last window is 0, which the loss ignores
    np.testing.assert_array_equal(x.ravel()[1 : len(expected)], y.ravel()[: len(expected) - 1])
    assert x[0, 0] == end


@pytest.mark.slow  # a fresh process that imports JAX
def test_a_language_model_trains_on_subword_windows_with_tensorflow_absent():
    """The NumPy path below `data.load` (whose splits are tf.data pipelines): a tokenizer trained on texts in
    memory, next-token windows, and a zoo gpt fitted on them, on JAX with TensorFlow hidden."""
    hide_tensorflow = Path(__file__).parent.parent / "without_tensorflow"
    code = (
        "import sys, keras\n"
        "from kerazoo import data, models\n"
        f"texts = {TEXTS!r}\n"
        "tok = data.make_tokenizer('bpe:300', texts)\n"
        "x, y = data.next_token_windows(texts, tok, 16)\n"
        "gpt = models.gpt(vocab_size=tok.vocab_size, max_length=16, dim=8, num_heads=2, ffn_dim=8, num_layers=1)\n"
        "gpt.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
        "loss = gpt.fit(x, y, batch_size=4, epochs=1, verbose=0).history['loss'][-1]\n"
        "print(x.shape[1], loss > 0, 'tensorflow' in sys.modules)"
    )
    environment = {**os.environ, "PYTHONPATH": str(hide_tensorflow), "KERAS_BACKEND": "jax"}
    run = subprocess.run([sys.executable, "-c", code], env=environment, check=True, capture_output=True, text=True)

    assert run.stdout.strip().splitlines()[-1] == "16 True False"


def test_splitting_text_keeps_every_word_and_cuts_where_the_word_split_cuts():
    texts = [f"text {i}: " + " ".join(f"w{i}x{j}" for j in range(7)) for i in range(13)]
    parts = split_text(texts, ("train", "validation", "test"))
    part_words = {part: [w for text in found for w in words(text)] for part, found in parts.items()}
    all_words = [w for text in texts for w in words(text)]
    assert [w for part in ("train", "validation", "test") for w in part_words[part]] == all_words
    bounds = data.splits.split(len(all_words), ("train", "validation", "test"))
    assert {part: len(found) for part, found in part_words.items()} == {p: s.stop - s.start for p, s in bounds.items()}


@needs_tf_data
def test_language_model_splits_cover_the_same_words_with_subwords_as_with_words():
    subwords = data.load("lee", task="language-modeling", batch_size=8, tokenizer="bpe:500")
    word_ids = data.load("lee", task="language-modeling", batch_size=8, tokenizer="words")
    # The word path scores whole windows only, so up to one window of words (64) is left at each split's end.
    for part in ("validation", "test"):
        assert 0 <= subwords.text_sizes[part]["words"] - word_ids.text_sizes[part]["words"] < 64
    assert subwords.vocabulary is None and subwords.model_settings({"vocab_size": None}) == {"vocab_size": 500}


@needs_tf_data
def test_a_text_classifier_reads_subword_ids_of_a_tokenizer_trained_on_the_training_split():
    loaded = data.load("polarity", task="text-classification", batch_size=8, tokenizer="wordpiece:400")
    x, y = next(iter(loaded.train))
    assert x.shape == (8, 64) and x.dtype.name == "int32" and y.shape == (8,)
    assert (np.asarray(x)[:, 0] == loaded.tokenizer.start_id).all()  # [CLS] leads each text
    assert loaded.model_settings({"vocab_size": None, "num_classes": None}) == {"vocab_size": 400, "num_classes": 2}


def test_language_models_default_to_byte_level_bpe_and_to_words_with_word2vec_vectors():
    assert data.tokenization.default_tokenizer("language-modeling") == "bpe:4000"
    assert data.tokenization.default_tokenizer("language-modeling", embeddings="w2v") == "words"
    assert data.tokenization.default_tokenizer("text-classification") == "words"
    assert data.tokenization.default_tokenizer("image-classification") is None
