"""Streaming text corpora for Word2Vec: files, folders, globs, .gz/.bz2, Wikipedia dumps, token lists."""

from __future__ import annotations

import bz2
import contextlib
import glob
import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from kerazoo._validation import require_bool, require_positive_int
from kerazoo.text.word_split import words

# gensim drops every token of a text past this many (gensim#2880); longer texts are split instead.
MAX_TOKENS_PER_TEXT = 10_000
TEXT_SUFFIXES = {".txt", ".cor", ".text", ".tsv", ".csv", ".md"}
COMPRESSED_SUFFIXES = {".gz", ".bz2"}


class Corpus:
    """A re-iterable stream of token lists; memory does not grow with the corpus.

    Sources, mixed freely: text files (one text a line), `.gz`/`.bz2` files, folders (every text file
    under them, in sorted order), glob patterns, Wikipedia XML dumps (`*.xml*`, one article a text, wiki
    markup removed), or an iterable of token lists (iterated again on every pass, so give a list or a
    re-iterable object, not a generator). Undecodable bytes are replaced with U+FFFD, never fatal.

    Args:
        sources: one path, glob or iterable of token lists, or a list of them.
        lowercase: lowercase the tokens of text sources.
        strip_punctuation: split text into words (`kerazoo.text.words`: runs of letters, marks, digits
            and underscores, joined by single inner apostrophes or hyphens), the split that
            `text_vectorization_and_embedding` repeats in Keras; False splits on whitespace only, as
            gensim's LineSentence does, for text that is already tokenized.
        min_token_length: drop shorter tokens.

    Token lists are taken as they are, except that whitespace inside a token becomes "_" and empty tokens
    are dropped, so that every token survives the one-text-a-line file gensim trains from.

    Attributes:
        tokens_read: tokens yielded by the last complete pass (None before one).
        texts_split: texts longer than MAX_TOKENS_PER_TEXT that the last pass split into pieces.
    """

    def __init__(self, sources, *, lowercase: bool = True, strip_punctuation: bool = True, min_token_length: int = 1):
        require_bool(lowercase=lowercase, strip_punctuation=strip_punctuation)
        require_positive_int(min_token_length=min_token_length)
        if isinstance(sources, (str, os.PathLike)) or _is_token_lists(sources):
            sources = [sources]
        if not isinstance(sources, Iterable):
            raise TypeError(_NOT_A_SOURCE.format(received=f"{type(sources).__name__} {sources!r}"))
        sources = list(sources)
        for source in sources:
            _require_source(source)
        if not sources:
            raise ValueError("`sources` is empty: give at least one path, glob or iterable of token lists.")
        self.lowercase = lowercase
        self.strip_punctuation = strip_punctuation
        self.min_token_length = min_token_length
        # Each part is a path (expanded once, so a missing file fails here, not mid-training) or token lists.
        self.parts = [part for source in sources for part in ([source] if _is_token_lists(source) else _expand(source))]
        self.files = [part for part in self.parts if isinstance(part, str)]
        self.tokens_read: int | None = None
        self.texts_split = 0

    def __iter__(self) -> Iterator[list[str]]:
        tokens, split = 0, 0
        for text in self._texts():
            for start in range(0, max(len(text), 1), MAX_TOKENS_PER_TEXT):
                piece = text[start : start + MAX_TOKENS_PER_TEXT]
                if piece:
                    tokens += len(piece)
                    yield piece
            split += len(text) > MAX_TOKENS_PER_TEXT
        self.tokens_read, self.texts_split = tokens, split

    def _texts(self) -> Iterator[list[str]]:
        for part in self.parts:
            if isinstance(part, str):
                yield from (_wiki_texts if _is_wiki_dump(part) else _lines)(part, self.tokenize)
            else:
                yield from (_line_safe(tokens) for tokens in part)

    def texts(self) -> Iterator[str]:
        """The sources' texts untokenized, for tokenizers that split text themselves (`text.Tokenizer.train`).

        Lines lose their line break, Wikipedia articles their markup, token lists are joined by spaces;
        blank texts are skipped. Nothing is lowercased or split: `lowercase` and the options after it are
        about tokens, and the subword tokenizer normalizes text its own way.
        """
        for part in self.parts:
            if isinstance(part, str):
                read = _wiki_texts if _is_wiki_dump(part) else _lines
                yield from (text for (text,) in read(part, _whole_text))
            else:
                yield from (" ".join(_line_safe(tokens)) for tokens in part)

    def tokenize(self, text: str) -> list[str]:
        """The tokens of one text under this corpus's options."""
        if self.strip_punctuation:
            tokens = words(text, lowercase=self.lowercase)
        else:
            tokens = (text.lower() if self.lowercase else text).split()
        if self.min_token_length > 1:
            tokens = [token for token in tokens if len(token) >= self.min_token_length]
        return tokens

    def __repr__(self) -> str:
        return f"Corpus({len(self.files)} files, {len(self.parts)} parts, lowercase={self.lowercase})"


def _whole_text(text: str) -> list[str]:
    """The `tokenize` that keeps a text whole (less its line break), or drops it when blank."""
    text = text.rstrip("\r\n")
    return [text] if text.strip() else []


def _line_safe(tokens) -> list[str]:
    """The tokens as gensim will read them back from a line: none empty, none holding whitespace."""
    tokens = tokens if isinstance(tokens, list) else list(tokens)
    line = " ".join(tokens)
    # C-speed checks for the usual, clean case: every space is a separator, no other whitespace (Python
    # counts it unprintable) and no empty token. Anything else, unprintable but clean text included, is
    # mended token by token.
    if line.count(" ") == len(tokens) - 1 and line.isprintable() and "" not in tokens:
        return tokens
    return ["_".join(token.split()) for token in tokens if token.strip()]


_NOT_A_SOURCE = (
    "`sources` must be paths (files, folders, globs) or token lists (lists of strings). Received: {received}"
)


def _require_source(source) -> None:
    """A path, or token lists whose tokens are strings (checked on the first list, as gensim would read it)."""
    if isinstance(source, (str, os.PathLike)):
        return
    if not _is_token_lists(source):
        raise TypeError(_NOT_A_SOURCE.format(received=f"{type(source).__name__} {source!r:.80}"))
    first = list(next(iter(source)))
    strange = [token for token in first if not isinstance(token, str)]
    if strange:
        raise TypeError(
            f"`sources` token lists must hold strings (words), not ids or other values; map ids to words first. "
            f"Received a token list holding {type(strange[0]).__name__} {strange[0]!r}"
        )


def _is_token_lists(source) -> bool:
    """An iterable of token lists (its first item is itself a sequence of strings), not a path list."""
    if isinstance(source, (str, os.PathLike)) or not isinstance(source, Iterable):
        return False
    first = next(iter(source), None)
    return first is not None and not isinstance(first, (str, os.PathLike)) and isinstance(first, Iterable)


def _expand(source) -> list[str]:
    """The text files a path, folder or glob names, sorted; a clear error when it names none."""
    source = os.fspath(source)
    if any(ch in source for ch in "*?["):
        paths = sorted(glob.glob(source, recursive=True))
        if not paths:
            raise FileNotFoundError(f"No file matches the pattern {source!r}.")
        files = [p for p in paths if os.path.isfile(p)]
        for file in files:
            _require_text(file)
        return files
    path = Path(source)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*") if p.is_file() and _is_text_file(p))
        if not files:
            raise ValueError(
                f"The folder {source!r} holds no text files (looked for {', '.join(sorted(TEXT_SUFFIXES))}, "
                "their .gz/.bz2 forms and Wikipedia .xml dumps)."
            )
        return files
    if not path.exists():
        raise FileNotFoundError(f"No such corpus file or folder: {source!r}")
    _require_text(str(path))
    return [str(path)]


# A text file holds no NUL byte, and little that is not UTF-8; random bytes hold both.
_SNIFFED_BYTES = 8192
_MAX_UNDECODABLE_SHARE = 0.3  # random bytes are mostly not UTF-8; a text with a few bad bytes is not


def _require_text(path: str) -> None:
    """Refuses a binary file (an image, a model, an archive) before it trains a vocabulary of byte soup."""
    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(Path(path).suffix.lower(), open)
    with _readable(path), opener(path, "rb") as file:
        head = file.read(_SNIFFED_BYTES)
    if not head or _is_wiki_dump(path):
        return
    text = head.decode("utf8", errors="replace")
    undecodable = text.count("\ufffd") / max(len(text), 1)
    # The sniffed bytes may end inside a character; that one replacement does not count.
    if b"\0" in head:
        found = "NUL bytes"
    elif undecodable > _MAX_UNDECODABLE_SHARE and text.count("\ufffd") > 1:
        found = f"{undecodable:.0%} bytes that are not UTF-8"
    else:
        return
    raise ValueError(
        f"Corpus file {path!r} is not text: its first {len(head)} bytes hold {found}. Give text files (one text "
        "a line), their .gz/.bz2 forms or Wikipedia dumps."
    )


def _is_text_file(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    if path.name.startswith("."):
        return False
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return _is_wiki_dump(path) or (bool(suffixes) and suffixes[-1] in TEXT_SUFFIXES)


def _is_wiki_dump(path) -> bool:
    name = Path(path).name.lower()
    return ".xml" in name or "pages-articles" in name


def _open_text(path: str):
    """The standard library's readers, which raise on damaged or truncated compressed files."""
    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(Path(path).suffix.lower(), open)
    return opener(path, "rt", encoding="utf8", errors="replace")


@contextlib.contextmanager
def _readable(path: str):
    """Turns a damaged file's low-level error (BadGzipFile, EOFError, zlib.error, ...) into one that names it."""
    try:
        yield
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(
            f"Corpus file {path!r} cannot be read to the end ({type(error).__name__}: {error}); it is damaged or "
            "truncated."
        ) from None


def _lines(path: str, tokenize) -> Iterator[list[str]]:
    with _readable(path), _open_text(path) as lines:
        for line in lines:
            tokens = tokenize(line)
            if tokens:
                yield tokens


def _wiki_texts(path: str, tokenize) -> Iterator[list[str]]:
    """Articles of a MediaWiki XML dump, markup stripped by gensim's own wiki filter, one process."""
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    opener = bz2.open if path.endswith(".bz2") else open
    with _readable(path), opener(path, "rb") as dump:
        for _title, text, _page_id in extract_pages(dump):
            if text.lstrip()[:9].lower() == "#redirect":
                continue
            tokens = tokenize(filter_wiki(text))
            if tokens:
                yield tokens
