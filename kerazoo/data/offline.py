"""Datasets that ship inside dependencies, so examples and tests run with no download."""

from __future__ import annotations

from collections import Counter

import numpy as np

from kerazoo._validation import require_fraction
from kerazoo.embeddings.keras_layers import OOV, PADDING
from kerazoo.text import words as split_words
from kerazoo.text.corpus import Corpus


def load_digits(*, image_size: tuple[int, int] = (8, 8), test_fraction: float = 0.2, seed: int = 0):
    """scikit-learn's 1,797 8x8 handwritten digits as `(height, width, 1)` float32 images in [0, 1].

    Args:
        image_size: resize to this (height, width) with bilinear interpolation, e.g. (28, 28) for
            MNIST-shaped models; (8, 8) keeps the originals.
        test_fraction: the share held out for testing, stratified by class.
        seed: seeds the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)` NumPy arrays; labels are int32 in 0..9.
    """
    require_fraction(test_fraction=test_fraction)
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]  # (n, 8, 8, 1)
    if tuple(image_size) != (8, 8):
        import keras

        images = keras.ops.convert_to_numpy(keras.ops.image.resize(images, tuple(image_size)))
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target.astype("int32"), test_size=test_fraction, random_state=seed, stratify=digits.target
    )
    return (np.asarray(x_train), y_train), (np.asarray(x_test), y_test)


def load_polarity(*, test_fraction: float = 0.2, seed: int = 0):
    """gensim's 200 labelled movie-review sentences (Pang & Lee), for sentiment classification.

    Returns:
        `(texts_train, y_train), (texts_test, y_test), class_names`: texts as NumPy arrays of str, labels
        int32 (0 = "neg", 1 = "pos"), split stratified by class.
    """
    require_fraction(test_fraction=test_fraction)
    from gensim.test.utils import datapath
    from sklearn.model_selection import train_test_split

    class_names = ["neg", "pos"]
    texts, labels = [], []
    # The file is Windows-1252 (its dashes are byte 0x97).
    with open(datapath("pang_lee_polarity.cor"), encoding="cp1252", errors="replace") as lines:
        for line in lines:
            label, _, text = line.strip().partition(" ")
            texts.append(text)
            labels.append(class_names.index(label.removeprefix("__label__")))
    texts, labels = np.array(texts, dtype=str), np.array(labels, dtype="int32")
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return (x_train, y_train), (x_test, y_test), class_names


# Corpora that ship with gensim: a news corpus (about 60,000 words) and a shortened English Wikipedia dump
# (119 articles, about 480,000 words).
CORPORA = {"lee": "lee_background.cor", "wiki": "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"}


def corpus_words(corpus: str) -> list[str]:
    """Every word of `corpus` in order: "lee", "wiki", or a path or folder that `embeddings.Corpus` reads.

    Words are split as the Word2Vec pipeline splits them (`kerazoo.text.words`, lowercased), so a language
    model and word vectors trained on the same text share one vocabulary.
    """
    return [word for text in Corpus(_corpus_path(corpus)) for word in text]


def corpus_texts(corpus: str) -> list[str]:
    """Every text of `corpus` in order, as it is written (a line of a file, a Wikipedia article without its
    markup): what a subword tokenizer reads. `corpus_words` gives the words of the same texts."""
    return list(Corpus(_corpus_path(corpus)).texts())


def _corpus_path(corpus: str) -> str:
    if corpus in CORPORA:
        from gensim.test.utils import datapath

        return datapath(CORPORA[corpus])
    return corpus


def text_size(texts) -> dict[str, int]:
    """{"words": ..., "characters": ...} of `texts` (or of words), each text counted with one character for
    the break after it: the denominators of per-word perplexity and bits per character."""
    return {
        "words": sum(len(split_words(text)) for text in texts),
        "characters": sum(len(text) + 1 for text in texts),
    }


def word_vocabulary(words, max_vocab: int) -> list[str]:
    """ "" (padding, id 0), "[UNK]" (id 1) and the `max_vocab` most frequent `words`: the layout of a Keras
    `TextVectorization` vocabulary, so `embeddings.embedding_matrix` lines vectors up with it."""
    return [PADDING, OOV] + [word for word, _ in Counter(words).most_common(max_vocab)]


def next_word_windows(words, vocabulary, sequence_length: int):
    """Non-overlapping windows of `sequence_length` ids and, as targets, the same windows one word later."""
    index = {word: i for i, word in enumerate(vocabulary)}
    ids = np.array([index.get(word, 1) for word in words], dtype="int32")
    count = (len(ids) - 1) // sequence_length
    inputs = ids[: count * sequence_length].reshape(count, sequence_length)
    return inputs, ids[1 : count * sequence_length + 1].reshape(count, sequence_length)


def next_token_windows(texts, tokenizer, sequence_length: int):
    """`texts` as subword windows for next-token prediction: `(inputs, targets)` int32 arrays.

    The texts are tokenized in one batch and joined into one stream, each followed by the tokenizer's end
    token (and the stream led by one), so every token of every text is a target and a text's end is
    predicted too. Windows of `sequence_length` do not overlap; the last is padded with 0, which the loss
    ignores, or, for a tokenizer without padding (GPT-2's, whose id 0 is "!"), left out. Plain NumPy: no
    TensorFlow needed.
    """
    if tokenizer.end_id is None:
        raise ValueError(
            "A language model's tokenizer needs an end token to mark where each text ends; `tokenizer` has "
            "none. Use a trained one (bpe:N, wordpiece:N, unigram:N) or a tokenizer.json that has one."
        )
    end = np.array([tokenizer.end_id], dtype="int32")
    ids = tokenizer.token_ids(list(texts))
    stream = np.concatenate([end, *(piece for row in ids for piece in (np.asarray(row, dtype="int32"), end))])
    steps = len(stream) - 1
    # The last window is padded, or, with nothing to pad with, left out.
    count = -(-steps // sequence_length) if tokenizer.pad_id is not None else steps // sequence_length
    stream = stream[: count * sequence_length + 1]
    inputs = np.zeros(count * sequence_length, dtype="int32")
    targets = np.zeros(count * sequence_length, dtype="int32")
    inputs[: len(stream) - 1], targets[: len(stream) - 1] = stream[:-1], stream[1:]
    return inputs.reshape(count, sequence_length), targets.reshape(count, sequence_length)


def load_language_modeling(
    corpus: str = "lee", *, sequence_length: int = 32, max_vocab: int = 2000, validation_fraction: float = 0.1
):
    """A corpus (see `corpus_words`) as next-word prediction windows, the last part held out.

    The vocabulary is "" (id 0), "[UNK]" (id 1) and the `max_vocab` most frequent training words. The last
    `validation_fraction` of the text is held out. Each example is `sequence_length` ids; its target is the
    same window shifted by one word.

    Returns:
        `(x_train, y_train), (x_val, y_val), vocabulary` with int32 arrays and the vocabulary list.
    """
    require_fraction(validation_fraction=validation_fraction)
    words = corpus_words(corpus)
    split = int(len(words) * (1 - validation_fraction))
    vocabulary = word_vocabulary(words[:split], max_vocab)
    return (
        next_word_windows(words[:split], vocabulary, sequence_length),
        next_word_windows(words[split:], vocabulary, sequence_length),
        vocabulary,
    )
