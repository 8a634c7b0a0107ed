"""Learning sanity, one per family, on data the tests make or that ships with a dependency."""

import keras
import numpy as np
import pytest

from kerazoo import models
from kerazoo.data import copy_task, load_digits, load_language_modeling, word_order_task


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _logits_loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _train_digit_classifier(name, image_size, epochs, learning_rate=1e-3, **kwargs):
    (x, y), (x_test, y_test) = load_digits(image_size=image_size)
    model = models.build(name, input_shape=(*image_size, 1), classes=10, **kwargs)
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


@pytest.mark.parametrize(
    ("name", "image_size", "epochs", "learning_rate"),
    [("simple_cnn", (28, 28), 12, 1e-3), ("lenet5", (32, 32), 15, 3e-3)],
)
def test_classic_cnns_reach_95_percent_on_digits(name, image_size, epochs, learning_rate):
    assert _train_digit_classifier(name, image_size, epochs, learning_rate) >= 0.95


@pytest.mark.slow
def test_resnet18_reaches_95_percent_on_digits():
    assert _train_digit_classifier("resnet18", (32, 32), 10, learning_rate=1e-3, width=16) >= 0.95


@pytest.mark.parametrize(
    ("name", "sizes"),
    [
        ("lstm_classifier", {"units": 32}),
        ("bilstm_attention_classifier", {"units": 32}),
        ("transformer_classifier", {"max_length": 16, "num_heads": 2, "ffn_dim": 64, "num_layers": 2}),
    ],
)
def test_sequence_classifiers_learn_a_task_that_needs_word_order(name, sizes):
    x, y = word_order_task()
    model = models.build(name, vocab_size=30, num_classes=2, dim=32, dropout=0.0, **sizes)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:3500], y[:3500], epochs=6, batch_size=64, verbose=0)
    assert model.evaluate(x[3500:], y[3500:], verbose=0)[1] >= 0.85  # chance is 0.5


def _learns_to_copy(name, epochs, **sizes):
    source, target_in, target_out = copy_task()
    model = models.build(name, vocab_size=12, dim=32, dropout=0.0, **sizes)
    model.compile(keras.optimizers.Adam(3e-3), _logits_loss(), metrics=["accuracy"])
    model.fit({"source": source[:2700], "target": target_in[:2700]}, target_out[:2700], epochs=epochs, verbose=0)
    held_out = source[2700:2764]
    generated = models.generate(model, {"source": held_out, "target": np.ones((64, 1), "int32")}, max_new_tokens=8)
    return float(np.mean(generated[:, 1:] == held_out))


def test_lstm_seq2seq_learns_to_copy():
    assert _learns_to_copy("lstm_seq2seq", 15, units=64) >= 0.9


@pytest.mark.slow
def test_transformer_seq2seq_learns_to_copy():
    assert _learns_to_copy("transformer_seq2seq", 8, max_length=16, num_heads=2, ffn_dim=64, num_layers=2) >= 0.9


@pytest.mark.slow
def test_gpt_beats_the_unigram_baseline_on_the_lee_corpus():
    (x, y), (x_val, y_val), vocabulary = load_language_modeling("lee", sequence_length=32)
    counts = np.bincount(x.ravel(), minlength=len(vocabulary)) + 1.0
    unigram_perplexity = np.exp(-np.mean(np.log((counts / counts.sum())[y_val.ravel()])))
    model = models.gpt(vocab_size=len(vocabulary), max_length=32, dim=64, num_heads=4, ffn_dim=128, num_layers=2)
    model.compile(keras.optimizers.Adam(3e-3), _logits_loss())
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    perplexity = np.exp(model.evaluate(x_val, y_val, verbose=0))
    assert perplexity < 0.75 * unigram_perplexity, (perplexity, unigram_perplexity)
