"""Tokenizers built for the tests, once per session: trained on gensim's Lee corpus in a second or two."""

import json

import pytest
from gensim.test.utils import datapath

from kerazoo import text

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


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The Lee corpus plus a few lines of accented and CJK text."""
    path = tmp_path_factory.mktemp("corpus") / "lee_plus.txt"
    with open(LEE, encoding="utf8") as lee:
        path.write_text(lee.read() + EXTRA_CHARACTERS * 5, encoding="utf8")
    return path


@pytest.fixture(scope="session")
def trained(corpus):
    """One small trained tokenizer of each kind."""
    return {
        kind: text.Tokenizer.train(corpus, kind=kind, vocab_size=1000, progress=False)
        for kind in ("bpe", "wordpiece", "unigram")
    }


@pytest.fixture(scope="session")
def gpt2_folder(trained, tmp_path_factory):
    """The trained byte-level BPE in GPT-2's two files, vocab.json + merges.txt."""
    folder = tmp_path_factory.mktemp("gpt2")
    trained["bpe"].backend.model.save(str(folder))
    return folder


@pytest.fixture(scope="session")
def bert_folder(trained, tmp_path_factory):
    """An uncased BERT vocab.txt (the trained WordPiece's tokens, by id) and its tokenizer_config.json."""
    folder = tmp_path_factory.mktemp("bert")
    vocab = trained["wordpiece"].backend.get_vocab()
    (folder / "vocab.txt").write_text("".join(f"{token}\n" for token in sorted(vocab, key=vocab.get)), encoding="utf8")
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    return folder


@pytest.fixture(scope="session")
def sentencepiece_model(corpus, tmp_path_factory):
    """A unigram SentencePiece model laid out as T5's (<pad> 0, </s> 1, <unk> 2), with byte fallback."""
    spm = pytest.importorskip("sentencepiece")
    prefix = tmp_path_factory.mktemp("spm") / "spiece"
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=1000, model_type="unigram", byte_fallback=True,
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, minloglevel=2, num_threads=1,
    )  # fmt: skip
    return prefix.with_suffix(".model")
