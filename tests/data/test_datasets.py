import numpy as np
import pytest

from kerazoo.data import copy_task, load_digits, load_language_modeling, word_order_task


def test_digits_are_split_into_normalised_single_channel_images():
    (x, y), (x_test, _) = load_digits(image_size=(16, 16))
    assert x.shape[1:] == (16, 16, 1) and x.dtype == np.float32
    assert len(x) + len(x_test) == 1797
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert set(np.unique(y)) == set(range(10))


@pytest.mark.parametrize("fraction", [1.0, 0, "0.2", float("nan")])
def test_digits_reject_a_test_fraction_outside_zero_one(fraction):
    with pytest.raises(ValueError, match=r"`test_fraction` must be a number in \(0, 1\)"):
        load_digits(test_fraction=fraction)


def test_lee_windows_are_next_word_targets():
    (x, y), (x_val, _), vocabulary = load_language_modeling("lee", sequence_length=16, max_vocab=500)
    assert vocabulary[:2] == ["", "[UNK]"] and len(vocabulary) == 502
    np.testing.assert_array_equal(x[0, 1:], y[0, :-1])
    np.testing.assert_array_equal(x[1, 0], y[0, -1])
    assert x.shape[1] == 16 and len(x_val) > 0 and x.max() < 502


def test_word_order_labels_say_which_marker_comes_first():
    tokens, labels = word_order_task(200)
    first = np.argmax(tokens == 1, axis=1)
    second = np.argmax(tokens == 2, axis=1)
    np.testing.assert_array_equal(labels, first < second)
    assert np.all((tokens == 1).sum(1) == 1) and np.all((tokens == 2).sum(1) == 1)
    assert 0.4 < labels.mean() < 0.6


def test_copy_task_targets_are_the_source_framed_by_start_and_end():
    source, target_in, target_out = copy_task(5)
    np.testing.assert_array_equal(target_in[:, 1:], source)
    np.testing.assert_array_equal(target_out[:, :-1], source)
    assert np.all(target_in[:, 0] == 1) and np.all(target_out[:, -1] == 2)


def test_lee_words_are_the_words_the_word2vec_corpus_yields():
    from gensim.test.utils import datapath

    from kerazoo.embeddings import Corpus

    _, _, vocabulary = load_language_modeling("lee", max_vocab=500)
    corpus_words = {word for text in Corpus([datapath("lee_background.cor")]) for word in text}
    assert set(vocabulary[2:]) <= corpus_words
    assert any(word.isdigit() for word in vocabulary)  # gensim's simple_preprocess would have dropped numbers
