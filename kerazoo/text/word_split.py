"""What a word is, defined once: the splitter shared by Word2Vec's `Corpus`, the language-model data and
`TextVectorization` (through `kerazoo.layers.standardize_words`, which splits text the same way in TensorFlow).

A word is a run of letters, combining marks, digits and underscores, with single inner apostrophes or
hyphens ("don't", "well-known", "rock'n'roll"); everything else separates words. The curly apostrophe
counts as a straight one. Pure Python, so the gensim-only commands never import Keras.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

CURLY_APOSTROPHE = "\u2019"

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
    if CURLY_APOSTROPHE in text:
        text = text.replace(CURLY_APOSTROPHE, "'")
    maybe_marks, marked_word = _mark_patterns()
    return (marked_word if maybe_marks.search(text) else _UNICODE_WORD).findall(text)
