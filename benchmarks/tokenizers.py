"""kerazoo's `Tokenizer.encode` against the tokenizers it is measured by, on gensim's Wikipedia sample (its
paragraphs, read through `embeddings.Corpus`); the rows of `python -m benchmarks --suite tokenizers`.

1. the same tokenizer through `tokenizers`' own `encode_batch` (the same Rust engine: the ratio is kerazoo's
   overhead, NumPy arrays included); target >= 0.95;
2. keras-hub's GPT2Tokenizer and BertTokenizer given the same vocabulary files; target >= 1.0;
3. tiktoken given the byte-level BPE's ranks and GPT-2's pattern, reported beside them (no target).

Both vocabularies (a byte-level BPE and an uncased WordPiece, 8,000 tokens) are trained on the sample itself
when a row is built. Every contender gets the same batch of paragraphs at each step; kerazoo's output is
padded arrays, the references' their own (Encoding objects, ragged id lists).
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from functools import cache, partial
from pathlib import Path

from gensim.test.utils import datapath

from benchmarks._harness import Comparison, Row

WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
VOCAB_SIZE = 8000
# GPT-2's pre-tokenizer pattern, as tiktoken's "gpt2" encoding spells it.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


@cache
def paragraphs() -> list[str]:
    """The sample's articles, markup removed, split into their non-blank paragraphs."""
    from kerazoo.embeddings import Corpus

    return [line for article in Corpus(datapath(WIKI)).texts() for line in article.splitlines() if line.strip()]


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kerazoo-benchmarks-tokenizers-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def trained(kind: str):
    """kerazoo's tokenizer of `kind` on the sample, with its vocabulary also written as GPT-2's or BERT's files."""
    from kerazoo.text import Tokenizer

    tokenizer = Tokenizer.train(datapath(WIKI), kind=kind, vocab_size=VOCAB_SIZE, lowercase=kind == "wordpiece")
    if kind == "bpe":
        tokenizer.backend.model.save(str(_folder()))  # vocab.json + merges.txt
    else:
        vocab = tokenizer.backend.get_vocab()
        (_folder() / "vocab.txt").write_text("".join(f"{t}\n" for t in sorted(vocab, key=vocab.get)), encoding="utf8")
    return tokenizer


def _tiktoken():
    import tiktoken

    tokenizer = trained("bpe")
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [byte for byte in range(256) if byte not in printable]
    to_byte = {chr(b): b for b in printable} | {chr(256 + n): b for n, b in enumerate(others)}
    vocab = json.loads((_folder() / "vocab.json").read_text(encoding="utf8"))
    specials = {token: tokenizer.token_to_id(token) for token in ("<pad>", "<|endoftext|>")}
    ranks = {bytes(to_byte[c] for c in token): rank for token, rank in vocab.items() if token not in specials}
    return tiktoken.Encoding("kerazoo-bpe", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens=specials)


def _keras_hub(kind: str):
    import keras_hub

    trained(kind)  # writes the vocabulary files
    if kind == "bpe":
        return keras_hub.tokenizers.GPT2Tokenizer(
            vocabulary=str(_folder() / "vocab.json"), merges=str(_folder() / "merges.txt")
        )
    return keras_hub.tokenizers.BertTokenizer(vocabulary=str(_folder() / "vocab.txt"), lowercase=True)


def rows(quick: bool) -> list[Row]:
    size = 64 if quick else 1024
    timing = (
        {"rounds": 2, "steps_per_round": 1, "warmup": 1} if quick else {"rounds": 9, "steps_per_round": 3, "warmup": 1}
    )

    def batch() -> list[str]:
        return paragraphs()[:size]

    def race(kind: str, keras_hub_name: str, extra: dict) -> Row:
        reference = "tokenizers encode_batch"
        contenders = {
            "kerazoo": lambda: partial(trained(kind).encode, batch()),
            reference: lambda: partial(trained(kind).backend.encode_batch, batch()),
            f"keras-hub {keras_hub_name}": lambda: partial(_keras_hub(kind), batch()),
            **extra,
        }
        comparisons = [Comparison("kerazoo", reference, target=0.95)]
        comparisons.append(Comparison("kerazoo", f"keras-hub {keras_hub_name}", target=1.0))
        comparisons += [Comparison("kerazoo", name, target=None) for name in extra]
        return Row(
            name=f"tokenize_{kind}",
            title=f"Tokenizing Wikipedia paragraphs, {kind} ({VOCAB_SIZE} tokens), {size} a batch",
            unit="texts/s",
            work=size,
            contenders=contenders,
            comparisons=comparisons,
            notes="kerazoo returns padded int32 arrays; the references their own outputs",
            **timing,
        )

    tiktoken = {"tiktoken": lambda: partial(_tiktoken().encode_ordinary_batch, batch())}
    return [race("bpe", "GPT2Tokenizer", tiktoken), race("wordpiece", "BertTokenizer", {})]
