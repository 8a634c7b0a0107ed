"""Keras layers from trained word vectors: an `Embedding` whose rows follow a Keras vocabulary, and the
`TextVectorization` that feeds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from kerazoo._validation import require_positive_int

PADDING = ""
OOV = "[UNK]"


def embedding_matrix(wv, vocabulary: Sequence[str]) -> np.ndarray:
    """`(len(vocabulary), dim)` float32 matrix whose row i is the vector of `vocabulary[i]`.

    The vocabulary is what `TextVectorization.get_vocabulary()` or `StringLookup.get_vocabulary()` returns.
    Defined rows for the special tokens: "" (padding, index 0) is all zeros; "[UNK]" and any word the
    vectors do not know get the mean of all vectors, a neutral starting point for fine-tuning.
    """
    vocabulary = _checked_vocabulary(vocabulary)
    require_keyed_vectors(wv)
    unknown = wv.vectors.mean(axis=0)
    matrix = np.empty((len(vocabulary), wv.vector_size), dtype="float32")
    for row, word in enumerate(vocabulary):
        if word == PADDING:
            matrix[row] = 0.0
        elif word in wv.key_to_index:
            matrix[row] = wv[word]
        else:
            matrix[row] = unknown
    return matrix


def vectors_vocabulary(wv, max_tokens: int | None = None) -> list[str]:
    """ "" (padding, id 0), "[UNK]" (id 1), then the vectors' words, most frequent first: the layout of a
    Keras `TextVectorization` vocabulary; `max_tokens` counts the two special tokens too."""
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 3):
        raise ValueError(f"`max_tokens` must be at least 3 (padding, [UNK] and one word). Received: {max_tokens}")
    require_keyed_vectors(wv)
    return [PADDING, OOV, *wv.index_to_key[: max_tokens - 2 if max_tokens else None]]


def _checked_vocabulary(vocabulary) -> list[str]:
    """The vocabulary as a list of words, refusing what would misalign the rows with the ids."""
    if isinstance(vocabulary, (str, bytes)):  # list("the cat") would be one row per character
        raise TypeError(f"`vocabulary` must be a sequence of words, not one string. Received: {vocabulary!r:.60}")
    vocabulary = list(vocabulary)
    if not vocabulary:
        raise ValueError("`vocabulary` is empty; adapt the TextVectorization or StringLookup layer first.")
    if not all(isinstance(word, str) for word in vocabulary):
        raise TypeError("`vocabulary` must hold str words (get_vocabulary() returns them).")
    duplicates = [word for word, count in Counter(vocabulary).items() if count > 1]
    if duplicates:
        raise ValueError(f"`vocabulary` repeats words, so ids would not be unique: {duplicates[:5]}")
    return vocabulary


def require_keyed_vectors(wv) -> None:
    if not hasattr(wv, "key_to_index") or not hasattr(wv, "vectors"):
        hint = " Pass model.wv." if hasattr(wv, "wv") else ""
        raise TypeError(f"`wv` must be gensim KeyedVectors.{hint} Received: {type(wv).__name__}")


def keras_embedding(wv, vocabulary: Sequence[str], *, trainable: bool = False, mask_zero: bool = True, name=None):
    """A built `keras.layers.Embedding` holding `embedding_matrix(wv, vocabulary)`.

    Freeze it (`trainable=False`, the default) to use the vectors as they are, or fine-tune it. With
    `mask_zero` index 0 (the vocabulary's "" padding) is masked for the layers after it.
    """
    import keras

    matrix = embedding_matrix(wv, vocabulary)
    layer = keras.layers.Embedding(
        matrix.shape[0], matrix.shape[1], mask_zero=mask_zero, trainable=trainable, name=name or "word2vec_embedding"
    )
    layer.build((None, None))
    layer.embeddings.assign(matrix)
    return layer


def text_vectorization_and_embedding(
    wv,
    *,
    max_tokens: int | None = None,
    output_sequence_length: int | None = None,
    trainable: bool = False,
    mask_zero: bool = True,
    lowercase: bool = True,
):
    """A `TextVectorization` over the Word2Vec vocabulary and the matching `Embedding`, in one call.

        vectorize, embed = text_vectorization_and_embedding(model.wv, output_sequence_length=64)
        text = keras.Input((1,), dtype="string")
        x = embed(vectorize(text))  # save the model and both travel in one .keras file

    The vocabulary is the vectors' own, most frequent first (`max_tokens` counts "" and "[UNK]" too), so
    every row but padding and OOV is a trained vector. The layer splits text into words as `Corpus` does
    (`kerazoo.layers.standardize_words`), so "don't" and "well-known" find their vectors; set
    `lowercase=False` for vectors trained on `Corpus(lowercase=False)`. TextVectorization itself needs
    TensorFlow installed, whichever the backend.
    """
    require_keyed_vectors(wv)
    if output_sequence_length is not None:
        require_positive_int(output_sequence_length=output_sequence_length)
    import keras

    from kerazoo.layers.text_standardization import standardize_words, standardize_words_keep_case  # imports Keras

    vectorizer = keras.layers.TextVectorization(
        vocabulary=vectors_vocabulary(wv, max_tokens)[2:],  # TextVectorization adds "" and "[UNK]" itself
        standardize=standardize_words if lowercase else standardize_words_keep_case,
        output_sequence_length=output_sequence_length,
    )
    embedding = keras_embedding(wv, vectorizer.get_vocabulary(), trainable=trainable, mask_zero=mask_zero)
    return vectorizer, embedding
