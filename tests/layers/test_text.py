import numpy as np
import pytest
from gensim.test.utils import datapath

from kerazoo.layers import standardize_words, standardize_words_keep_case, words
from kerazoo.text import _mark_patterns

# Texts where a word's edges are easy to get wrong: joiners at edges and in runs, curly apostrophes,
# accents (composed and combining), scripts whose vowel signs are combining marks, symbols, other digits.
TRICKY = [
    "Don’t stop: well-known rock'n'roll -x- a--b 'tis",
    "x' 'y  'a' -b- c-  --d e'-f g_h  U.S.A. «quoted» “curly” it's-a test’s end.",
    "हिन्दी ไทย ภาษา café naïve e\u0301te",
    "Ünïcödé ÉCOLE İstanbul 東京 タワー 😀emoji😀ok 𑀓𑀸𑀮",
    "3.14 x² ① tab\tsep\nnew don''t x-'y-z",
    "nbsp\u00a0sep\x1cunit\u2028line _under_ score_ ½-way",
    "",
    "'",
]


def test_words_keep_inner_apostrophes_and_hyphens_and_drop_other_punctuation():
    assert words("Don’t stop: well-known rock'n'roll, -x- a--b 'tis!") == [
        "don't",
        "stop",
        "well-known",
        "rock'n'roll",
        "x",
        "a",
        "b",
        "tis",
    ]


def test_combining_marks_stay_inside_their_word():
    assert words("हिन्दी भाषा e\u0301te") == ["हिन्दी", "भाषा", "e\u0301te"]


def test_case_is_kept_when_asked():
    assert words("Hello World", lowercase=False) == ["Hello", "World"]


@pytest.mark.parametrize("corpus", ["lee_background.cor", "head500.noblanks.cor", "pang_lee_polarity.cor"])
def test_splitting_on_whitespace_first_finds_the_words_one_regex_over_the_text_finds(corpus):
    _, word = _mark_patterns()  # the full pattern: letters, marks, digits, "_" and inner joiners
    with open(datapath(corpus), encoding="utf8", errors="replace") as lines:
        for line in [*lines, *TRICKY]:
            assert words(line) == word.findall(line.lower().replace("\u2019", "'")), line


@pytest.mark.parametrize("text", TRICKY)
def test_numpy_standardize_splits_text_into_the_same_words(text):
    assert str(standardize_words(np.array([text]))[0]).split() == words(text)
    assert str(standardize_words_keep_case(np.array([text]))[0]).split() == words(text, lowercase=False)


@pytest.mark.parametrize("text", TRICKY)
def test_tensorflow_standardize_splits_text_into_the_same_words(text):
    tf = pytest.importorskip("tensorflow")
    for standardize, lowercase in ((standardize_words, True), (standardize_words_keep_case, False)):
        split = tf.strings.split(standardize(tf.constant([text]))).to_list()[0]
        assert [token.decode() for token in split] == words(text, lowercase=lowercase)
