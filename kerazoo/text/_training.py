"""The three kinds of tokenizer kerazoo trains, each laid out as the family it comes from.

bpe        GPT-2's byte-level BPE: every byte is in the vocabulary, so there is no unknown token at all.
wordpiece  BERT's WordPiece: [CLS] text [SEP] (text [SEP]), BERT's normalizer and pre-tokenizer.
unigram    T5's SentencePiece unigram: NFKC, "▁" for spaces, text </s> (text </s>).

Every kind puts its padding token at id 0, where the zoo's models (`mask_zero=True`) expect it.
"""

from __future__ import annotations

import glob
import itertools
import os
from collections.abc import Iterable, Iterator, Sized

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from kerazoo.text.corpus import Corpus

KINDS = ("bpe", "wordpiece", "unigram")

# Each kind's own special tokens, padding first (id 0); `special_tokens` given to `train` come after them.
SPECIAL_TOKENS = {
    "bpe": ("<pad>", "<|endoftext|>"),
    "wordpiece": ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
    "unigram": ("<pad>", "</s>", "<unk>"),
}
_BYTES = 256  # the byte-level alphabet, in every byte-level BPE vocabulary


def minimum_vocab_size(kind: str, special_tokens: list[str]) -> int:
    """The smallest vocabulary `kind` can have: byte-level BPE always holds all 256 bytes."""
    return len(special_tokens) + (_BYTES if kind == "bpe" else 1)


def training_texts(corpus) -> tuple[Iterator[str], int | None]:
    """What `Tokenizer.train` reads from `corpus`, and how many texts that is where known (for the progress
    bar): an `embeddings.Corpus`'s texts, those of the path, folder or glob a string or PathLike names, or
    the texts of any other iterable (a list or generator of strings).

    Raises:
        ValueError: a string that names no file, folder or glob match (it could be a mistyped path or a text
            meant to be trained on: refused, not guessed), or texts whose first names a file (a list of paths,
            which `embeddings.Corpus` reads).
        TypeError: an iterable holding something other than strings, or not an iterable at all.
    """
    if isinstance(corpus, Corpus):
        return corpus.texts(), None
    if isinstance(corpus, str) and not _names_files(corpus):
        raise ValueError(
            "`corpus` is a string that names no file, folder or glob match, so it is neither a corpus nor "
            "(it would be ambiguous) a text: for a corpus, check the path; to train on texts held in memory, "
            f"pass a list of them, e.g. corpus=[text]. Received: corpus={corpus!r:.80}"
        )
    if isinstance(corpus, (str, os.PathLike)):
        return Corpus(corpus).texts(), None
    if isinstance(corpus, (bytes, bytearray)) or not isinstance(corpus, Iterable):
        raise TypeError(
            "`corpus` must be an embeddings.Corpus, a path, folder or glob, or an iterable of texts (strings). "
            f"Received: {type(corpus).__name__}"
        )
    return _strings(corpus), len(corpus) if isinstance(corpus, Sized) else None


def _names_files(source: str) -> bool:
    return os.path.exists(source) or (any(ch in source for ch in "*?[") and bool(glob.glob(source, recursive=True)))


_NONE = object()


def _names_a_file(text: str) -> bool:
    """A file, or a folder other than the likes of "." and "/", which are texts too."""
    return os.path.isfile(text) or (os.path.isdir(text) and any(ch.isalnum() for ch in text))


def _strings(texts: Iterable) -> Iterator[str]:
    """The texts, checked as they stream: strings only, and a first one that is not the name of a file."""
    texts = iter(texts)
    first = next(texts, _NONE)
    if isinstance(first, str) and _names_a_file(first):
        raise ValueError(
            f"`corpus` holds texts, and its first ({first!r:.80}) names a file or folder: to train on files, "
            "pass one path or glob, or embeddings.Corpus([...]) for several."
        )
    for index, text in enumerate(itertools.chain([] if first is _NONE else [first], texts)):
        if not isinstance(text, str):
            raise TypeError(
                f"`corpus` holds texts, so each item must be a string. Received {type(text).__name__} at index "
                f"{index}: for several files pass embeddings.Corpus([...]), for token lists "
                "embeddings.Corpus(token_lists)."
            )
        yield text


def untrained(kind: str, *, vocab_size: int, lowercase: bool, special_tokens: list[str], progress: bool):
    """A fresh `tokenizers.Tokenizer` of `kind` and the trainer that fills its vocabulary."""
    build = {"bpe": _bpe, "wordpiece": _wordpiece, "unigram": _unigram}[kind]
    return build(vocab_size, lowercase, special_tokens, progress)


def _bpe(vocab_size, lowercase, special_tokens, progress):
    tokenizer = Tokenizer(models.BPE())
    if lowercase:
        tokenizer.normalizer = normalizers.Lowercase()
    # GPT-2's split pattern, and no space added in front: what tiktoken and GPT2TokenizerFast do.
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes, seen or not: no unknown token
        show_progress=progress,
    )
    return tokenizer, trainer


def _wordpiece(vocab_size, lowercase, special_tokens, progress):
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    # BERT's: control characters dropped, CJK ideographs split apart, accents stripped when lowercasing.
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    cls, sep = special_tokens.index("[CLS]"), special_tokens.index("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=progress)
    return tokenizer, trainer


def _unigram(vocab_size, lowercase, special_tokens, progress):
    tokenizer = Tokenizer(models.Unigram())
    # SentencePiece's default normalization (NFKC, outer spaces removed, inner runs of spaces made one).
    steps = [normalizers.NFKC(), normalizers.Strip(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence([*steps, normalizers.Lowercase()] if lowercase else steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    eos = special_tokens.index("</s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A:0 </s>:0", pair="$A:0 </s>:0 $B:1 </s>:1", special_tokens=[("</s>", eos)]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=special_tokens, unk_token="<unk>", show_progress=progress
    )
    return tokenizer, trainer
