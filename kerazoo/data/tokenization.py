"""What `--tokenizer` names, in one place: "words", a subword kind and size ("bpe:8000") or a saved tokenizer.

    tokenizer = make_tokenizer("bpe:8000", training_texts)   # a kerazoo.text.Tokenizer; "words" gives None

"words" is the word path (`TextVectorization`, or a Word2Vec run's vocabulary); everything else is a
`kerazoo.text.Tokenizer`, trained on the training split only or loaded from a path. Hugging Face
`tokenizers` is imported only when a subword tokenizer is made.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

WORDS = "words"
SUBWORD_KINDS = ("bpe", "wordpiece", "unigram")
# Byte-level BPE for language models: no unknown token, so a model reads and writes any text. 4,000 ids suit
# the offline corpora. Lee, the default, trains on 48,000 words: at 8,000 ids 88% of the learned ids occur
# fewer than 10 times in it (66% at 4,000); Wikipedia's 380,000 training words make 1.78 tokens a word at
# 8,000 ids and 2.02 at 4,000, and the half-size output layer more than pays for the extra tokens on a CPU.
DEFAULT_SUBWORDS = "bpe:4000"
# The text tasks a tokenizer serves, and what each uses when none is named.
DEFAULTS = {"language-modeling": DEFAULT_SUBWORDS, "text-classification": WORDS}
_SPEC = re.compile(r"(?P<kind>[a-z]+):(?P<size>\d+)")
_SPELLING = f"{WORDS}, bpe:N, wordpiece:N, unigram:N or the path of a saved tokenizer"


def default_tokenizer(task: str, embeddings=None) -> str | None:
    """What a `task` tokenizes with when no tokenizer is named: None for tasks that read no text, "words"
    with Word2Vec `embeddings` (their vectors are per word), else the task's default (`DEFAULTS`)."""
    if task not in DEFAULTS:
        return None
    return WORDS if embeddings is not None else DEFAULTS[task]


def check_tokenizer(tokenizer, *, task: str, embeddings=None) -> None:
    """Refuses, before anything is read, a `tokenizer` that `make_tokenizer` would refuse for this task.

    Args:
        tokenizer: a spec (see `make_tokenizer`), a `kerazoo.text.Tokenizer`, or None (the task's default).
        task: the data's task; only text tasks take a tokenizer.
        embeddings: Word2Vec vectors, which need the word path.
    """
    if tokenizer is None:
        return
    if task not in DEFAULTS:
        raise ValueError(
            f"`tokenizer` is for text tasks ({', '.join(DEFAULTS)}). Received: tokenizer={_shown(tokenizer)} "
            f"for task={task!r}"
        )
    if embeddings is not None and tokenizer != WORDS:
        raise ValueError(
            "`embeddings` are Word2Vec vectors, one per word: they need `tokenizer` words. Received: "
            f"tokenizer={_shown(tokenizer)} with embeddings={str(embeddings)!r}; leave one of them out."
        )
    if isinstance(tokenizer, str):
        _parse(tokenizer)
    elif not _is_tokenizer(tokenizer):
        raise ValueError(f"`tokenizer` must be {_SPELLING}, or a kerazoo.text.Tokenizer. Received: {tokenizer!r:.80}")


def make_tokenizer(tokenizer, training_texts: Iterable[str], *, progress: bool = False, unpadded: bool = False):
    """The tokenizer a spec names: None for "words" (the word path), else a `kerazoo.text.Tokenizer`.

    Args:
        tokenizer: "words"; "bpe:N", "wordpiece:N" or "unigram:N" (trained on `training_texts` with a
            vocabulary of at most N ids); the path of a saved tokenizer (`Tokenizer.load` reads it:
            tokenizer.json, vocab.json + merges.txt, vocab.txt, a SentencePiece .model, or a folder of one);
            or a `Tokenizer`, taken as it is (a resumed run's).
        training_texts: the training split's texts, read only when a tokenizer is trained.
        progress: show the trainer's progress bar.
        unpadded: the data is never padded (a language model's windows of one stream of text), so a
            tokenizer without a padding token (GPT-2's) serves as well.

    Raises:
        ValueError: for a spec that is none of these, or a tokenizer whose padding id is not 0 (the zoo's
            models mask id 0 as padding; GPT-2's own vocabulary, whose id 0 is "!", cannot feed them padded).
    """
    if _is_tokenizer(tokenizer):
        made = tokenizer
    else:
        spec = _parse(tokenizer)
        if spec == WORDS:
            return None
        from kerazoo.text import Tokenizer

        if isinstance(spec, Path):
            made = Tokenizer.load(spec)
        else:
            kind, vocab_size = spec
            made = Tokenizer.train(training_texts, kind=kind, vocab_size=vocab_size, progress=progress)
    if made.pad_id != 0 and not (unpadded and made.pad_id is None):
        has = "no padding token" if made.pad_id is None else f"padding id {made.pad_id}"
        raise ValueError(
            f"`tokenizer` has {has}; kerazoo's models mask id 0 as padding, so the tokenizer must pad with 0 "
            f"(kerazoo's trained tokenizers do: bpe:N, wordpiece:N, unigram:N). Received: "
            f"tokenizer={_shown(tokenizer)}"
        )
    return made


def _parse(spec: str) -> str | tuple[str, int] | Path:
    """ "words", (kind, vocab_size) or an existing path; anything else is refused, naming what is accepted."""
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"`tokenizer` must be {_SPELLING}. Received: tokenizer={spec!r:.80}")
    if spec == WORDS:
        return WORDS
    match = _SPEC.fullmatch(spec)
    if match and match["kind"] in SUBWORD_KINDS:
        return match["kind"], int(match["size"])
    if os.path.exists(spec):
        return Path(spec)
    kind = spec.partition(":")[0]
    hint = f" Give the vocabulary size, e.g. {kind}:8000." if kind in SUBWORD_KINDS else ""
    raise ValueError(f"`tokenizer` must be {_SPELLING} (none exists there).{hint} Received: tokenizer={spec!r}")


def _is_tokenizer(value) -> bool:
    return all(hasattr(value, attribute) for attribute in ("encode", "token_ids", "vocab_size", "pad_id", "save"))


def _shown(tokenizer) -> str:
    return repr(tokenizer) if isinstance(tokenizer, str) else type(tokenizer).__name__
