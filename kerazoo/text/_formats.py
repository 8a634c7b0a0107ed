"""Reading the vocabulary files checkpoints ship into a `tokenizers.Tokenizer`, laid out as their family's.

tokenizer.json             Hugging Face's own format, read as it is.
vocab.json + merges.txt    GPT-2's byte-level BPE (GPT2TokenizerFast's layout).
vocab.txt                  BERT's WordPiece, lowercasing and accent stripping as tokenizer_config.json asks.
*.model / *.spm            SentencePiece (the T5 family), converted by transformers' converter.
vocab.json + source.spm    MarianMT's: SentencePiece pieces renumbered by vocab.json (transformers' MarianTokenizer).

A folder is searched in that order. A `tokenizer_config.json` beside a file is read for the options the
vocabulary files themselves do not hold.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from kerazoo import _optional

TOKENIZER_FORMATS = (
    "a tokenizer.json, GPT-2's vocab.json + merges.txt, BERT's vocab.txt, a SentencePiece .model/.spm or "
    "MarianMT's vocab.json + source.spm"
)
_SENTENCEPIECE_SUFFIXES = (".model", ".spm")
# The special tokens of the families kerazoo loads; those in a vocabulary become special tokens.
KNOWN_SPECIAL_TOKENS = (
    "<pad>", "[PAD]", "<unk>", "[UNK]", "<s>", "</s>", "[CLS]", "[SEP]", "[MASK]", "<mask>",
    "<|endoftext|>", "<|startoftext|>", "<|pad|>", "<|padding|>",
)  # fmt: skip


def load(path: str | Path) -> Tokenizer:
    """The tokenizer in `path`, a file of one of the TOKENIZER_FORMATS or a folder holding one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such tokenizer file or folder: {str(path)!r}")
    file = _find_in_folder(path) if path.is_dir() else path
    name, suffix = file.name.lower(), file.suffix.lower()
    config = _config(file.parent)
    if suffix in _SENTENCEPIECE_SUFFIXES:
        return _sentencepiece(file, config)
    if name == "merges.txt":
        return _gpt2(file.with_name("vocab.json"), file, config)
    if suffix == ".txt":
        return _wordpiece(file, config)
    if suffix == ".json":
        content = _read_json(file)
        if isinstance(content, dict) and "model" in content:
            return Tokenizer.from_str(json.dumps(content))
        if isinstance(content, dict) and file.with_name("merges.txt").exists():
            return _gpt2(file, file.with_name("merges.txt"), config)
        if isinstance(content, dict) and _marian_source(file.parent) is not None:
            return _marian(content, _marian_source(file.parent), file)
    raise _unknown(path)


def _find_in_folder(folder: Path) -> Path:
    def has(name: str) -> bool:
        return (folder / name).is_file()

    sentencepiece = sorted(p for p in folder.iterdir() if p.suffix.lower() in _SENTENCEPIECE_SUFFIXES)
    if has("tokenizer.json"):
        return folder / "tokenizer.json"
    if has("vocab.json") and has("merges.txt"):
        return folder / "vocab.json"
    if has("vocab.txt"):
        return folder / "vocab.txt"
    if sentencepiece and has("vocab.json"):
        return folder / "vocab.json"  # MarianMT's layout: vocab.json renumbers the SentencePiece pieces
    if len(sentencepiece) > 1 and has("source.spm"):  # MarianMT's pair: the source side reads input text
        return folder / "source.spm"
    if len(sentencepiece) == 1:
        return sentencepiece[0]
    if sentencepiece:
        names = ", ".join(p.name for p in sentencepiece)
        raise ValueError(f"The folder {str(folder)!r} holds several SentencePiece models ({names}): name one.")
    raise _unknown(folder)


def _unknown(path: Path) -> ValueError:
    return ValueError(
        f"`path` is not a tokenizer kerazoo reads: {str(path)!r}. Give {TOKENIZER_FORMATS}, or a folder holding one."
    )


def _read_json(file: Path):
    try:
        return json.loads(file.read_text(encoding="utf8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"`path` {str(file)!r} is not valid JSON ({error}). Give {TOKENIZER_FORMATS}.") from None


def _config(folder: Path) -> dict:
    """tokenizer_config.json's settings, with AddedToken entries ({"content": ...}) reduced to their text."""
    file = folder / "tokenizer_config.json"
    config = _read_json(file) if file.is_file() else {}
    return {
        key: value["content"] if isinstance(value, dict) and "content" in value else value
        for key, value in config.items()
    }


def _add_known_specials(tokenizer: Tokenizer, vocab: dict[str, int], config: dict) -> None:
    named = [config.get(f"{role}_token") for role in ("pad", "unk", "bos", "eos", "cls", "sep", "mask")]
    specials = dict.fromkeys(t for t in (*named, *KNOWN_SPECIAL_TOKENS) if isinstance(t, str) and t in vocab)
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in specials])


def _gpt2(vocab_file: Path, merges_file: Path, config: dict) -> Tokenizer:
    if not vocab_file.is_file():
        raise ValueError(f"`path` {str(merges_file)!r} is GPT-2's merges.txt, but there is no vocab.json beside it.")
    vocab = _read_json(vocab_file)
    tokenizer = Tokenizer(models.BPE.from_file(str(vocab_file), str(merges_file)))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=bool(config.get("add_prefix_space", False)))
    tokenizer.decoder = decoders.ByteLevel()
    _add_known_specials(tokenizer, vocab, config)
    return tokenizer


def _wordpiece(vocab_file: Path, config: dict) -> Tokenizer:
    vocab = models.WordPiece.read_file(str(vocab_file))
    unk, cls, sep = (config.get(f"{role}_token", f"[{role.upper()}]") for role in ("unk", "cls", "sep"))
    missing = [token for token in (unk, cls, sep) if token not in vocab]
    if missing:
        raise ValueError(f"`path` {str(vocab_file)!r} is not a BERT vocab.txt: it lacks {', '.join(missing)}.")
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token=unk))
    # BERT's defaults where tokenizer_config.json is silent: uncased, accents stripped when lowercasing.
    tokenizer.normalizer = normalizers.BertNormalizer(
        lowercase=config.get("do_lower_case", True),
        strip_accents=config.get("strip_accents"),
        handle_chinese_chars=config.get("tokenize_chinese_chars", True),
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
    )
    _add_known_specials(tokenizer, vocab, config)
    return tokenizer


def _sentencepiece_proto(model_file: Path):
    convert = _optional.require("transformers.convert_slow_tokenizer", "Loading a SentencePiece model")
    proto = convert.import_protobuf().ModelProto()
    try:
        proto.ParseFromString(model_file.read_bytes())
    except Exception as error:  # protobuf's DecodeError, whose module depends on the protobuf build
        raise ValueError(f"`path` {str(model_file)!r} is not a SentencePiece model ({error}).") from None
    return convert, proto


def _sentencepiece(model_file: Path, config: dict) -> Tokenizer:
    """transformers' converter (SentencePiece's normalizer spec, byte fallback, user-defined pieces), plus
    the layout of T5 and Marian: control pieces are special, and each sequence ends with </s>."""
    convert, proto = _sentencepiece_proto(model_file)
    pieces = [(piece.piece, piece.score) for piece in proto.pieces]
    unigram = proto.trainer_spec.model_type == 1
    vocab = pieces if unigram else {piece: index for index, (piece, _) in enumerate(pieces)}
    tokenizer = convert.SpmConverter.build_tokenizer_from_spm_proto(proto, vocab)
    if tokenizer is None:
        raise ValueError(
            f"`path` {str(model_file)!r} is a SentencePiece model of a type kerazoo reads neither (char or word)."
        )
    control, unknown = 3, 2  # SentencePiece's piece types
    specials = [piece.piece for piece in proto.pieces if piece.type in (control, unknown)]
    # T5's tokenizer_config.json asks for `extra_ids` sentinel tokens after the pieces, the last first.
    specials += [f"<extra_id_{index}>" for index in reversed(range(int(config.get("extra_ids", 0))))]
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in specials])
    eos = proto.trainer_spec.eos_piece
    if proto.trainer_spec.eos_id >= 0:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"$A:0 {eos}:0", pair=f"$A:0 {eos}:0 $B:1 {eos}:1", special_tokens=[(eos, proto.trainer_spec.eos_id)]
        )
    return tokenizer


def _marian_source(folder: Path) -> Path | None:
    """The SentencePiece model that reads a MarianMT folder's input text: source.spm, or its only .spm."""
    sentencepiece = sorted(p for p in folder.iterdir() if p.suffix.lower() in _SENTENCEPIECE_SUFFIXES)
    if (folder / "source.spm").is_file():
        return folder / "source.spm"
    return sentencepiece[0] if len(sentencepiece) == 1 else None


def _marian(vocab: dict, source_file: Path, vocab_file: Path) -> Tokenizer:
    """MarianMT's tokenizer, as transformers' MarianTokenizer numbers it: the source SentencePiece model
    segments the text, vocab.json gives each piece its id, and every sequence ends with </s>.

    The pieces are laid out by vocab.json's ids, with the source model's scores; those only the target side
    has (vocab.json holds both sides' pieces) get a score a million below the source's lowest, so that no
    segmentation takes one where the source's pieces can spell the text, as in MarianTokenizer, which knows
    no others. Where the source model has no piece for a character at all, MarianTokenizer gives <unk> and
    this tokenizer a target piece that spells it, if there is one. MarianTokenizer also applies sacremoses'
    punctuation normalizer when that is installed; this tokenizer does not. Language codes (`>>fra<<`) are
    special tokens.
    """
    if not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in vocab.items()):
        raise ValueError(f"`path` {str(vocab_file)!r} is not a MarianMT vocab.json (piece -> id).")
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise ValueError(f"MarianMT's vocab.json {str(vocab_file)!r} must number its pieces 0 .. {len(vocab) - 1}.")
    missing = [token for token in ("</s>", "<unk>") if token not in vocab]
    if missing:
        raise ValueError(f"`path` {str(vocab_file)!r} is not a MarianMT vocab.json: it lacks {', '.join(missing)}.")
    convert, proto = _sentencepiece_proto(source_file)
    # The converter gives SentencePiece's normalizer, pre-tokenizer and decoder; the model is rebuilt below.
    tokenizer = convert.SpmConverter.build_tokenizer_from_spm_proto(
        proto, [(piece.piece, piece.score) for piece in proto.pieces]
    )
    if tokenizer is None or proto.trainer_spec.model_type != 1:
        raise ValueError(f"`path` {str(source_file)!r} is not a unigram SentencePiece model, as MarianMT's are.")
    scores = {piece.piece: piece.score for piece in proto.pieces}
    # Segmentation adds the scores of a text's pieces: one target piece must lose to any number of source ones.
    lowest = min(scores.values(), default=0.0) - 1e6
    by_id = sorted(vocab, key=vocab.__getitem__)
    tokenizer.model = models.Unigram(
        [(piece, scores.get(piece, lowest)) for piece in by_id], unk_id=vocab["<unk>"], byte_fallback=False
    )
    codes = [piece for piece in by_id if piece.startswith(">>") and piece.endswith("<<")]
    specials = [token for token in ("</s>", "<unk>", "<pad>") if token in vocab] + codes
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in specials])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A:0 </s>:0", pair="$A:0 $B:1 </s>:1", special_tokens=[("</s>", vocab["</s>"])]
    )
    return tokenizer
