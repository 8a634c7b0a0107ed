"""Tokenizers built for the tests, once per session: trained on gensim's Lee corpus in a second or two."""

import json

import pytest
from text_cases import EXTRA_CHARACTERS, LEE

from kerazoo import text


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
