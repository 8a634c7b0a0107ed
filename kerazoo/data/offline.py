"""Datasets that ship inside dependencies, so examples and tests run with no download."""

from __future__ import annotations

import numpy as np


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
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"`test_fraction` must be in (0, 1). Received: test_fraction={test_fraction}")
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


def load_lee_language_modeling(*, sequence_length: int = 32, max_vocab: int = 2000, validation_fraction: float = 0.1):
    """gensim's Lee news corpus (about 58,000 words) as next-word prediction windows.

    Words are split as the Word2Vec pipeline splits them (`kerazoo.layers.words`, lowercased), so a
    language model and word vectors trained on the same text share one vocabulary. The vocabulary is
    the `max_vocab` most frequent training words plus "<pad>" (id 0) and "<unk>" (id 1). The last
    `validation_fraction` of the text is held out. Each example is `sequence_length` ids; its target is
    the same window shifted by one word.

    Returns:
        `(x_train, y_train), (x_val, y_val), vocabulary` with int32 arrays and the vocabulary list.
    """
    from collections import Counter

    from gensim.test.utils import datapath

    from kerazoo.layers import words as split_words

    with open(datapath("lee_background.cor"), encoding="utf8") as corpus:
        words = [word for line in corpus for word in split_words(line)]
    split = int(len(words) * (1 - validation_fraction))
    vocabulary = ["<pad>", "<unk>"] + [w for w, _ in Counter(words[:split]).most_common(max_vocab)]
    index = {word: i for i, word in enumerate(vocabulary)}
    ids = np.array([index.get(word, 1) for word in words], dtype="int32")

    def windows(part):
        count = (len(part) - 1) // sequence_length
        inputs = part[: count * sequence_length].reshape(count, sequence_length)
        return inputs, part[1 : count * sequence_length + 1].reshape(count, sequence_length)

    return windows(ids[:split]), windows(ids[split:]), vocabulary
