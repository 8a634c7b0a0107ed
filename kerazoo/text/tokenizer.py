"""`Tokenizer`: Hugging Face `tokenizers` underneath (Rust, batched), the zoo's model inputs on top."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import tokenizers

from kerazoo import hub, names
from kerazoo._io import atomic_path
from kerazoo._validation import require_bool, require_choice, require_positive_int
from kerazoo.text import _formats, _tf_data, _training

PADDINGS = ("longest", "max_length")
PADDING_MASK = "padding_mask"

# How each role is spelled across the families kerazoo trains and loads, most specific first. GPT-2's
# <|endoftext|> both starts and ends a text.
_ROLE_TOKENS = {
    "pad": ("<pad>", "[PAD]", "<|pad|>", "<|padding|>"),
    "start": ("<s>", "[CLS]", "<|startoftext|>", "<|endoftext|>"),
    "end": ("</s>", "[SEP]", "<|endoftext|>"),
    "unk": ("<unk>", "[UNK]"),
}


class Tokenizer:
    """A subword tokenizer that returns the zoo models' inputs as NumPy arrays.

    Build one with `Tokenizer.train` or `Tokenizer.load`, or wrap a `tokenizers.Tokenizer` you already have.

    Attributes:
        backend: the `tokenizers.Tokenizer` underneath. `encode` truncates with copies of it, so the
            padding and truncation configured on it (some tokenizer.json files carry them) change nothing.
        pad_id, start_id, end_id, unk_id: the ids of the padding, start ([CLS], <s>), end ([SEP], </s>,
            <|endoftext|>) and unknown tokens; None where the vocabulary has none. GPT-2's vocabulary has no
            padding token (its id 0 is "!"): there `pad_id` is None and only `padding_mask` tells padding.
        special_ids: the ids of every special token, sorted.
    """

    def __init__(self, backend: tokenizers.Tokenizer):
        if not isinstance(backend, tokenizers.Tokenizer):
            raise TypeError(f"`backend` must be a tokenizers.Tokenizer. Received: {type(backend).__name__}")
        self.backend = backend
        self.special_ids = sorted(i for i, token in backend.get_added_tokens_decoder().items() if token.special)
        roles = {role: _role_id(backend, role, self.special_ids) for role in _ROLE_TOKENS}
        self.pad_id, self.start_id, self.end_id, self.unk_id = (roles[r] for r in ("pad", "start", "end", "unk"))
        self._engines: dict[int | None, tokenizers.Tokenizer] = {}

    @classmethod
    def train(
        cls,
        corpus,
        *,
        kind: str = "bpe",
        vocab_size: int,
        lowercase: bool = False,
        special_tokens: Sequence[str] | None = None,
        progress: bool = True,
    ) -> Tokenizer:
        """A tokenizer of `kind` trained on `corpus`: files streamed, never held in memory, or texts.

        Args:
            corpus: a path (str or PathLike) to anything `embeddings.Corpus` reads (text files, one text a
                line, folders, globs, .gz/.bz2 files, Wikipedia XML dumps), an `embeddings.Corpus`, or any
                other iterable of texts (a list or generator of strings; each text is one, newlines and
                all). A string that names no file, folder or glob match is refused rather than read as a
                text: pass `[text]` for that.
            kind: "bpe" (GPT-2's byte-level BPE: no unknown token), "wordpiece" (BERT's) or "unigram"
                (SentencePiece's, as T5 uses it).
            vocab_size: the most tokens the vocabulary holds, special tokens included.
            lowercase: lowercase text first (for "wordpiece", also strip accents, as uncased BERT does).
            special_tokens: extra special tokens, after the kind's own (padding is always id 0).
            progress: show `tokenizers`' progress bar.
        """
        require_choice("kind", kind, _training.KINDS)
        require_positive_int(vocab_size=vocab_size)
        require_bool(lowercase=lowercase, progress=progress)
        specials = list(dict.fromkeys([*_training.SPECIAL_TOKENS[kind], *_special_tokens(special_tokens)]))
        smallest = _training.minimum_vocab_size(kind, specials)
        if vocab_size < smallest:
            raise ValueError(
                f"`vocab_size` must be at least {smallest} for kind={kind!r} with {len(specials)} special tokens"
                f"{' (and all 256 bytes)' if kind == 'bpe' else ''}. Received: vocab_size={vocab_size}"
            )
        texts, length = _training.training_texts(corpus)
        backend, trainer = _training.untrained(
            kind, vocab_size=vocab_size, lowercase=lowercase, special_tokens=specials, progress=progress
        )
        backend.train_from_iterator(texts, trainer, length=length)
        if backend.get_vocab_size() > vocab_size:  # WordPiece keeps every character it saw, however many
            raise ValueError(
                f"`vocab_size` is too small for this corpus: its characters alone make {backend.get_vocab_size()} "
                f"tokens. Received: vocab_size={vocab_size}"
            )
        return cls(backend)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        """The tokenizer in `path`: a tokenizer.json, GPT-2's vocab.json + merges.txt, BERT's vocab.txt (with
        tokenizer_config.json's do_lower_case and strip_accents), a SentencePiece .model, or a folder of one;
        or a Hub repository, `hf:ORG/NAME[@REVISION]`, whose tokenizer files alone are downloaded (through
        huggingface_hub's cache, as `models.from_pretrained` fetches the same source: see `kerazoo.hub`)."""
        if not hub.is_hub_source(path):
            return cls(_formats.load(path))
        folder = hub.resolve(path, files=hub.TOKENIZER_FILES)
        if not folder.is_dir() or not any(folder.iterdir()):
            raise FileNotFoundError(
                f"{path} holds no tokenizer files (kerazoo reads {_formats.TOKENIZER_FORMATS}); load the tokenizer "
                "from the checkpoint it was trained with."
            )
        try:
            return cls(_formats.load(folder))
        except ValueError as error:  # named after the snapshot folder: name the source the user gave too
            raise ValueError(f"{path}: {error}") from None

    def save(self, path: str | os.PathLike) -> Path:
        """Writes one tokenizer.json atomically: `path` itself when it ends in .json, else a folder (made if
        needed) that gets a tokenizer.json. Returns the file's path."""
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path / "tokenizer.json"
        with atomic_path(path) as temporary:
            self.backend.save(str(temporary))
        return path

    @property
    def vocab_size(self) -> int:
        """The number of ids, added tokens included: the `vocab_size` a model needs for this tokenizer."""
        return self.backend.get_vocab_size(with_added_tokens=True)

    def token_to_id(self, token: str) -> int | None:
        return self.backend.token_to_id(token)

    def id_to_token(self, id: int) -> str | None:
        return self.backend.id_to_token(id)

    def encode(
        self,
        texts: str | Sequence[str],
        *,
        pairs: Sequence[str] | None = None,
        max_length: int | None = None,
        padding: str = "longest",
        truncation: bool = True,
        add_special_tokens: bool = True,
        return_padding_mask: bool = False,
        return_segment_ids: bool | None = None,
    ) -> dict[str, np.ndarray]:
        """The zoo models' inputs for a batch of texts: `model(tok.encode(texts))`.

        Args:
            texts: strings (one string is a batch of one).
            pairs: second texts, one per text (BERT's sentence pairs); adds "segment_ids".
            max_length: the longest a sequence may be, special tokens included.
            padding: "longest" pads to the batch's longest sequence, "max_length" to `max_length`.
            truncation: cut sequences to `max_length` (pairs: the longer first); False refuses longer ones.
            add_special_tokens: add the kind's [CLS]/[SEP] or </s>.
            return_padding_mask: add "padding_mask", True at real tokens. Off by default because a model
                with several inputs would take it for one of them (Keras matches a dict by sorted keys).
            return_segment_ids: add "segment_ids" (BERT's second input). None adds them with `pairs`;
                True adds them for single texts too (all segment 0), for a model that takes them either way.

        Returns:
            {"tokens": int32 (batch, length)}, plus "segment_ids" (int32) with `pairs` or when asked, and
            "padding_mask" (bool) when asked. Padding is `pad_id`, or 0 where the vocabulary has none.
        """
        texts = _texts("texts", texts)
        if pairs is not None:
            pairs = _texts("pairs", pairs)
            if len(pairs) != len(texts):
                raise ValueError(f"`pairs` must hold one text per text: {len(texts)}. Received {len(pairs)} pairs")
        require_choice("padding", padding, PADDINGS)
        require_bool(
            truncation=truncation, add_special_tokens=add_special_tokens, return_padding_mask=return_padding_mask
        )
        if return_segment_ids is None:
            return_segment_ids = pairs is not None
        require_bool(return_segment_ids=return_segment_ids)
        self._check_max_length(max_length, padding, pairs is not None, add_special_tokens)
        engine = self._engine(max_length if truncation else None)
        encodings = engine.encode_batch_fast(
            texts if pairs is None else list(zip(texts, pairs, strict=True)), add_special_tokens=add_special_tokens
        )
        ids = [encoding.ids for encoding in encodings]
        lengths = np.fromiter(map(len, ids), dtype=np.intp, count=len(ids))
        if max_length is not None and not truncation and len(ids) and lengths.max() > max_length:
            index = int(np.argmax(lengths > max_length))
            raise ValueError(
                f"`texts[{index}]` makes {lengths[index]} tokens, more than `max_length`={max_length}, and "
                "truncation=False. Allow truncation or raise max_length."
            )
        width = max_length if padding == "max_length" else int(lengths.max(initial=0))
        mask = np.arange(width) < lengths[:, None]  # (batch, width): True at real tokens
        batch = {names.TOKENS: _padded(ids, mask, lengths, 0 if self.pad_id is None else self.pad_id)}
        if return_segment_ids:
            batch[names.SEGMENT_IDS] = _padded([e.type_ids for e in encodings], mask, lengths, 0)
        if return_padding_mask:
            batch[PADDING_MASK] = mask
        return batch

    def token_ids(self, texts: str | Sequence[str], *, add_special_tokens: bool = False) -> list[list[int]]:
        """Each text's ids, unpadded and untruncated: what `generate` takes as prompts."""
        texts = _texts("texts", texts)
        require_bool(add_special_tokens=add_special_tokens)
        return [
            encoding.ids
            for encoding in self._engine(None).encode_batch_fast(texts, add_special_tokens=add_special_tokens)
        ]

    def decode(self, ids, *, skip_special_tokens: bool = True, padding_mask=None) -> str | list[str]:
        """The text of `ids`: one sequence (1-D) gives a string, a batch (2-D, or lists of unequal length) a
        list. Padding is dropped (where `pad_id` is None, only `padding_mask` can tell it), and the other
        special tokens too unless `skip_special_tokens=False`."""
        require_bool(skip_special_tokens=skip_special_tokens)
        rows, single = _id_rows(ids)
        if padding_mask is not None:
            masks, _ = _id_rows(padding_mask, argument="padding_mask")
            if [m.shape for m in masks] != [r.shape for r in rows]:
                raise ValueError("`padding_mask` must have the shape of `ids`.")
            rows = [row[mask.astype(bool)] for row, mask in zip(rows, masks, strict=True)]
        if self.pad_id is not None and not skip_special_tokens:
            rows = [row[row != self.pad_id] for row in rows]
        flat = np.concatenate([np.zeros(0, np.int64), *rows])
        if flat.size and (flat.min() < 0 or flat.max() >= self.vocab_size):
            bad = flat[(flat < 0) | (flat >= self.vocab_size)][0]
            raise ValueError(f"`ids` must lie in [0, {self.vocab_size}) (the vocabulary). Received an id {bad}")
        texts = self.backend.decode_batch([row.tolist() for row in rows], skip_special_tokens=skip_special_tokens)
        return texts[0] if single else texts

    def tf_map(self, **options) -> Callable:
        """A `tf.data` map function that tokenizes on the fly: `dataset.batch(32).map(tok.tf_map(max_length=128))`.

        It takes a batch of strings, `(texts, y)` or `(texts, y, sample_weight)` (with `pairs=True`, the texts
        are a `(texts, pairs)` tuple) and returns the same structure with the texts replaced by `encode`'s
        dict; `options` are `encode`'s. TensorFlow is imported here, not before.
        """
        return _tf_data.tf_map(self.encode, **options)

    def __repr__(self) -> str:
        model = type(self.backend.model).__name__
        return f"Tokenizer({model}, vocab_size={self.vocab_size}, pad_id={self.pad_id})"

    def _check_max_length(self, max_length, padding: str, paired: bool, add_special_tokens: bool) -> None:
        if max_length is None:
            if padding == "max_length":
                raise ValueError('`max_length` must be given with padding="max_length".')
            return
        require_positive_int(max_length=max_length)
        reserved = self.backend.num_special_tokens_to_add(paired) if add_special_tokens else 0
        if max_length <= reserved:
            raise ValueError(
                f"`max_length` must leave room for text after the {reserved} special tokens each "
                f"{'pair' if paired else 'text'} gets. Received: max_length={max_length}"
            )

    def _engine(self, max_length: int | None) -> tokenizers.Tokenizer:
        """The backend set to truncate at `max_length` and never pad (padding is NumPy's, below), cached.

        A copy per length, never the user's backend reconfigured: tf.data maps run `encode` on several
        threads at once, and `tokenizers` keeps truncation as state on the tokenizer.
        """
        engine = self._engines.get(max_length)
        if engine is None:
            plain = self.backend.truncation is None and self.backend.padding is None
            engine = (
                self.backend if plain and max_length is None else tokenizers.Tokenizer.from_str(self.backend.to_str())
            )
            engine.no_padding()
            if max_length is None:
                engine.no_truncation()
            else:
                engine.enable_truncation(max_length)
            self._engines[max_length] = engine
        return engine


def _padded(rows: list[list[int]], mask: np.ndarray, lengths: np.ndarray, value: int) -> np.ndarray:
    """`rows` right-padded with `value` into the shape of `mask`; one C-speed copy, no per-row Python."""
    out = np.full(mask.shape, value, dtype=np.int32)
    out[mask] = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int32, count=int(lengths.sum()))
    return out


def _texts(argument: str, texts) -> list[str]:
    """`texts` as a list of strings, checked before Rust sees them (it would raise a bare TypeError)."""
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, np.ndarray) and texts.ndim != 1:
        raise ValueError(f"`{argument}` must be a 1-D sequence of strings. Received shape {texts.shape}")
    if not isinstance(texts, Iterable):
        raise ValueError(f"`{argument}` must be a string or a sequence of strings. Received: {type(texts).__name__}")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(
                f"`{argument}` must hold strings only. Received {argument}[{index}] of type "
                f"{type(text).__name__}: {text!r:.80}"
            )
    return texts


def _special_tokens(tokens) -> list[str]:
    if tokens is None:
        return []
    if isinstance(tokens, str) or not all(isinstance(t, str) and t for t in tokens):
        raise ValueError(f"`special_tokens` must be a list of non-empty strings. Received: special_tokens={tokens!r}")
    return list(tokens)


def _id_rows(ids, argument: str = "ids") -> tuple[list[np.ndarray], bool]:
    """`ids` as 1-D integer arrays, one per sequence, and whether it was one sequence. Takes arrays, tensors
    (anything NumPy converts) and nested lists, whose rows may differ in length (`token_ids`' output)."""
    if isinstance(ids, (list, tuple)) and ids and not np.isscalar(ids[0]):
        rows, single = [np.asarray(row) for row in ids], False
    else:
        array = np.asarray(ids)
        rows, single = (list(array), False) if array.ndim == 2 else ([array], True)
    for row in rows:
        if row.ndim != 1 or (row.size and row.dtype.kind not in "iub"):
            raise ValueError(f"`{argument}` must be one sequence of integers or a batch of them. Received: {ids!r:.80}")
    return rows, single


def _role_id(backend: tokenizers.Tokenizer, role: str, special_ids: list[int]) -> int | None:
    """The id of `role`'s token: padding configured in a tokenizer.json wins, then the model's unknown token,
    then the first of the role's usual spellings that the vocabulary holds as a special token."""
    if role == "pad" and backend.padding is not None:
        return backend.padding["pad_id"]
    if role == "unk" and getattr(backend.model, "unk_token", None):
        return backend.token_to_id(backend.model.unk_token)
    for token in _ROLE_TOKENS[role]:
        token_id = backend.token_to_id(token)
        if token_id is not None and token_id in special_ids:
            return token_id
    return None
