"""The texts and checks the tokenizer tests share. (A module of its own: `from conftest import ...` would
find whichever conftest.py was imported first, tests/conftest.py or this folder's.)"""

from gensim.test.utils import datapath

LEE = datapath("lee_background.cor")

# Held out from training: accents, CJK, emoji (joined and skin-toned), runs of whitespace, empty strings.
HELD_OUT = [
    "The quick brown fox jumps over the lazy dog.",
    "Café, naïve, façade, Ångström and résumé: accents everywhere.",
    "東京は日本の首都です。北京是中国的首都。",
    "Emoji 😀🎉👍🏽 and a family 👨‍👩‍👧 in one line",
    "runs   of   spaces,\ttabs\t\tand\n\nnewlines  ",
    "",
    "   ",
    "It's they'll WE'RE can't 1234567 3.14159 $100 e-mail",
    "Ünïcödé ＦＵＬＬＷＩＤＴＨ ﬁ ligature",
]
PAIRS = [("How old are you?", "I'm 6 years old."), ("Café au lait", "東京"), ("", "only the second"), ("first", "")]
# Lines the vocabularies learn the accented and CJK characters from (WordPiece keeps characters it saw).
EXTRA_CHARACTERS = "Café naïve façade Ångström résumé Ünïcödé 東京は日本の首都です。北京是中国的首都。\n"


def ids_mismatches(texts, ours, reference) -> list[str]:
    """The texts whose ids differ, each with both id lists: empty when the two tokenizers agree."""
    return [
        f"{text!r}: kerazoo {mine} != reference {theirs}"
        for text, mine, theirs in zip(texts, ours, reference, strict=True)
        if list(mine) != list(theirs)
    ]
