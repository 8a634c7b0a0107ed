"""`TextVectorization` standardize functions that split text as `kerazoo.text.words` does.

`standardize_words` (and its case-keeping twin) make `TextVectorization(standardize=...)` split text into
the words of `kerazoo.text.words`, on every backend, so each word of a Word2Vec vocabulary trained on a
`Corpus` is one `TextVectorization` token. Both functions are registered with Keras, so a `.keras` file
holding such a layer loads after `import kerazoo`.
"""

from __future__ import annotations

import keras
import numpy as np

from kerazoo.text import CURLY_APOSTROPHE, words

# RE2 (tf.strings) has no lookaround, so loose joiners are removed in steps: every non-word character run
# becomes two spaces, joiner runs become spaces, and a joiner next to a space or an end goes. The two
# spaces let a joiner on each side of a gap match in one non-overlapping pass.
_RE2_NOT_WORD = r"[^\p{L}\p{M}\p{N}_'\-]+"
_RE2_JOINER_RUN = r"['\-]{2,}"
_RE2_LOOSE_JOINER = r"(^|\s)['\-]|['\-](\s|$)"


def _standardize(text, lowercase: bool):
    if isinstance(text, np.ndarray):  # Keras hands NumPy unicode arrays to callables on non-TF backends
        return np.vectorize(lambda line: " ".join(words(line, lowercase=lowercase)), otypes=[object])(text)
    import tensorflow as tf

    text = tf.strings.regex_replace(text, CURLY_APOSTROPHE, "'")
    if lowercase:
        text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, _RE2_NOT_WORD, "  ")
    text = tf.strings.regex_replace(text, _RE2_JOINER_RUN, "  ")
    return tf.strings.regex_replace(text, _RE2_LOOSE_JOINER, " ")


@keras.saving.register_keras_serializable(package="kerazoo")
def standardize_words(text):
    """`TextVectorization` standardize that leaves the words of `words(text)` separated by spaces."""
    return _standardize(text, lowercase=True)


@keras.saving.register_keras_serializable(package="kerazoo")
def standardize_words_keep_case(text):
    """As `standardize_words`, without lowercasing (for a `Corpus(lowercase=False)` vocabulary)."""
    return _standardize(text, lowercase=False)
