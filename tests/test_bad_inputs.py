"""The bad inputs a held-out review found unmet: each refused before TensorFlow, gensim's C code or NumPy sees
it, with an error that names the argument and what is allowed."""

import os

import keras
import numpy as np
import pytest
from gensim.test.utils import datapath

from kerazoo import blocks, data, embeddings, models, training

LEE = datapath("lee_background.cor")


def refused(call, error: type, message: str) -> None:
    """`call()` raises `error` with `message` (a regex) in it."""
    with pytest.raises(error, match=message):
        call()


@pytest.fixture(scope="module")
def word2vec():
    return embeddings.train_word2vec(LEE, vector_size=8, epochs=1, workers=1, progress=False)


def test_an_integer_image_batch_is_refused_by_a_conv_block():
    images = keras.Input((32, 32, 3), dtype="uint8")
    refused(lambda: blocks.conv_bn_act(images, 8), TypeError, r"`x` must be a float image tensor.*Rescaling.*uint8")


def test_an_integer_image_input_is_refused_by_an_image_model():
    images = keras.Input((32, 32, 3), dtype="uint8")
    refused(lambda: models.resnet18(input_tensor=images, classes=3), TypeError, "`input_tensor` must be a float image")


@pytest.mark.parametrize("block", [blocks.conv_bn_act, blocks.residual_block, blocks.squeeze_excite])
def test_images_of_unknown_channel_count_are_refused(block):
    images = keras.Input((32, 32, None))
    arguments = () if block is blocks.squeeze_excite else (8,)
    refused(lambda: block(images, *arguments), ValueError, r"`x` must have a known number of channels.*None\)")


def test_token_ids_past_the_vocabulary_are_refused_where_fit_takes_them():
    model = models.lstm_classifier(**models.info("lstm_classifier").small_config)
    ids = np.array([[3, 4, 50]])  # the small config's table has 50 rows
    refused(
        lambda: training.fit(model, ids, np.array([1]), optimizer="adam", loss="sparse_categorical_crossentropy"),
        ValueError,
        r"`tokens` ids must be in 0..49, the rows of lstm_classifier's token table. Received ids from 3 to 50",
    )


def test_source_ids_past_the_source_vocabulary_are_refused_by_generate():
    model = models.transformer_seq2seq(**models.info("transformer_seq2seq").small_config)
    tokens = {"source": np.array([[5, 80]]), "target": np.array([[1]])}
    refused(lambda: models.generate(model, tokens, max_new_tokens=1), ValueError, r"`source` ids must be in 0..49")


def test_a_decoder_context_of_undefined_width_is_refused():
    x, context = keras.Input((6, 8)), keras.Input((5, None))
    refused(
        lambda: blocks.transformer_decoder_block(x, context, num_heads=2, ffn_dim=16),
        ValueError,
        r"`context` must have a known width \(its last axis\).*\(None, 5, None\)",
    )


def test_weights_true_is_refused_before_the_model_is_built():
    refused(
        lambda: models.resnet18(weights=True), TypeError, r"`weights` must be None, the path.*'imagenet'.*weights=True"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: data.load(task="image-classification", data="digits", seed=1.5),
        lambda: models.generate(models.gpt(**models.info("gpt").small_config), [[3]], max_new_tokens=1, seed="1"),
        lambda: training.fit(models.lenet5(), np.zeros((2, 32, 32, 1)), np.zeros(2), seed=0.5),
    ],
    ids=["data.load", "generate", "fit"],
)
def test_a_seed_that_is_not_an_integer_is_refused(call):
    refused(call, TypeError, "`seed` must be an integer >= 0")


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (5, r"`sources` must be paths \(files, folders, globs\) or token lists.*int 5"),
        ([1, 2], "`sources` must be paths .*int 1"),
        ([[1, 2, 3]], r"`sources` token lists must hold strings \(words\).*int 1"),
    ],
    ids=["an integer", "integers", "token lists of integers"],
)
def test_a_corpus_of_integers_is_refused(sources, message):
    refused(lambda: embeddings.Corpus(sources), TypeError, message)


@pytest.mark.parametrize("content", [os.urandom(4096), bytes(range(128, 256)) * 40], ids=["random bytes", "latin-1"])
def test_a_binary_file_is_recognised_as_not_text(tmp_path, content):
    path = tmp_path / "weights.bin"
    path.write_bytes(content)
    refused(lambda: embeddings.Corpus(str(path)), ValueError, r"Corpus file .*weights.bin' is not text")


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"analogies": 5}, TypeError, "`analogies` must be the path of a questions-words file"),
        ({"similarities": ["wordsim353"]}, TypeError, r"`similarities` must be a mapping \{name: file\}"),
        ({"similarities": {"wordsim": None}}, ValueError, "`similarities` names 'wordsim' without a file"),
        ({"similarities": {"mine": 3}}, TypeError, r"`similarities\['mine'\]` must be the path of a word-pair file"),
    ],
)
def test_evaluate_refuses_sets_of_the_wrong_type_or_an_unknown_name(word2vec, arguments, error, message):
    refused(lambda: embeddings.evaluate(word2vec.wv, **arguments), error, message)


def test_export_of_a_word2vec_model_asks_for_its_vectors(word2vec, tmp_path):
    refused(lambda: embeddings.export(word2vec, tmp_path / "v.txt"), TypeError, "Pass model.wv")


@pytest.mark.parametrize("length", [0, -3])
def test_an_output_sequence_length_below_one_is_refused(word2vec, length):
    refused(
        lambda: embeddings.text_vectorization_and_embedding(word2vec.wv, output_sequence_length=length),
        ValueError,
        f"`output_sequence_length` must be a positive integer. Received: output_sequence_length={length}",
    )
