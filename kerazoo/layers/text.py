"""What a word is, defined once: kerazoo's `Corpus` tokenizer and the matching `TextVectorization` standardize.

A word is a run of letters, combining marks, digits and underscores, with single inner apostrophes or
hyphens ("don't", "well-known", "rock'n'roll"); everything else separates words. The curly apostrophe
counts as a straight one. `words` applies this in Python; `standardize_words` (and its case-keeping
twin) make `TextVectorization(standardize=...)` split text the same way, on every backend, so each word
of a Word2Vec vocabulary trained on a `Corpus` is one `TextVectorization` token. Both functions are
registered with Keras, so a `.keras` file holding such a layer loads after `import kerazoo`.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

import keras
import numpy as np

_CURLY_APOSTROPHE = "\u2019"


_WORD = r"{char}+(?:['-]{char}+)*"
_ASCII_WORD = re.compile(_WORD.format(char=r"\w"), re.ASCII)
_UNICODE_WORD = re.compile(_WORD.format(char=r"\w"))


@functools.cache
def _mark_patterns() -> tuple[re.Pattern, re.Pattern]:
    r"""(a quick test for text that may hold combining marks, the word pattern that keeps them), built once.

    Python's \w lacks combining marks, which would cut Devanagari, Thai or decomposed accents into pieces;
    RE2's \p{M} (the TensorFlow side) has them, so they come from the Unicode database here. The full
    class is slow to match, so texts are tested first with one that compiles to a bitmap: the marks of
    the Basic Multilingual Plane, plus every character beyond it.
    """
    categories = map(unicodedata.category, map(chr, range(sys.maxunicode + 1)))
    marks = [code for code, category in enumerate(categories) if category[0] == "M"]
    ranges = []
    for code in marks:  # a few thousand, in a few hundred runs
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    basic = [(first, last) for first, last in ranges if last <= 0xFFFF]
    maybe_marks = _char_class([*basic, (0x10000, sys.maxunicode)])
    return re.compile(maybe_marks), re.compile(_WORD.format(char=_char_class(ranges, prefix=r"\w")))


def _char_class(ranges, prefix: str = "") -> str:
    return "[" + prefix + "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges) + "]"


def words(text: str, *, lowercase: bool = True) -> list[str]:
    """The words of `text`, lowercased unless asked not to."""
    if lowercase:
        text = text.lower()
    # Whitespace never lies inside a word, and an alphanumeric token (str.isalnum is the regex's \w less
    # "_") is one whole word, so only the other tokens need the regex. Splitting first roughly halves the
    # time on clean or pre-tokenized text, and costs about the same on prose.
    tokens = text.split()
    odd = [index for index, token in enumerate(tokens) if not token.isalnum()]
    if odd:
        find = _ASCII_WORD.findall if text.isascii() else _unicode_words
        for index in reversed(odd):
            tokens[index : index + 1] = find(tokens[index])
    return tokens


def _unicode_words(text: str) -> list[str]:
    if _CURLY_APOSTROPHE in text:
        text = text.replace(_CURLY_APOSTROPHE, "'")
    maybe_marks, marked_word = _mark_patterns()
    return (marked_word if maybe_marks.search(text) else _UNICODE_WORD).findall(text)


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

    text = tf.strings.regex_replace(text, _CURLY_APOSTROPHE, "'")
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
