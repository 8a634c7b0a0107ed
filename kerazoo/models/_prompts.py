"""Prompts as a model takes them, for `generate`: ids checked against the model's inputs and vocabulary,
or texts encoded with a tokenizer that agrees with the model on its vocabulary and its padding id; and
the ids generation may produce."""

from __future__ import annotations

import keras
import numpy as np

from kerazoo import names
from kerazoo.layers import PaddingMask, PositionEmbedding
from kerazoo.models._common import require_token_ids, token_tables
from kerazoo.models._decoding import growing_input


def allowed_ids(vocab_size: int, padded: bool, tokenizer, source_pad: int | None = None) -> np.ndarray:
    """The ids generation may produce: never the padding id 0 where the model masks it, nor an id past the
    tokenizer's vocabulary where the model's is larger (as GPT-2's checkpoints round it up)."""
    allowed = np.ones(vocab_size, bool)
    allowed[0] = not padded
    if source_pad is not None:  # nor a padding id of the source's own (Marian's bad_words_ids forbid <pad>)
        allowed[source_pad] = False
    if tokenizer is not None:
        allowed[tokenizer.vocab_size :] = False
    return allowed


def prompt_texts(tokens_or_text) -> list[str] | None:
    """The prompts as a list of strings, or None for ids."""
    if isinstance(tokens_or_text, str):
        return [tokens_or_text]
    if isinstance(tokens_or_text, (list, tuple)) and tokens_or_text and any(isinstance(t, str) for t in tokens_or_text):
        if not all(isinstance(t, str) for t in tokens_or_text):
            kinds = sorted({type(t).__name__ for t in tokens_or_text})
            raise TypeError(f"`tokens_or_text` must be ids or strings, not a mix. Received a list of {kinds}")
        return list(tokens_or_text)
    return None


def require_tokenizer(model, tokenizer, padded: bool, needed_for: str) -> None:
    """A tokenizer that can read and write the model's ids: its vocabulary fits every table of the model
    and it pads with the id the model masks."""
    if tokenizer is None:
        raise ValueError(f"{needed_for} a `tokenizer` (a kerazoo.text.Tokenizer) to turn text into ids and back.")
    if not all(hasattr(tokenizer, attribute) for attribute in ("token_ids", "decode", "vocab_size", "pad_id")):
        raise TypeError(f"`tokenizer` must be a kerazoo.text.Tokenizer. Received: {type(tokenizer).__name__}")
    tables = {**token_tables(model), "output": model.outputs[0].shape[-1]}
    name, rows = min(tables.items(), key=lambda item: item[1])
    if tokenizer.vocab_size > rows:
        table = "logits" if name == "output" else f"`{name}` token table"
        raise ValueError(
            f"`tokenizer` has {tokenizer.vocab_size} tokens, more than the {rows} of {model.name}'s {table}: "
            "its ids would not fit. Pass the tokenizer the model was trained with."
        )
    source_pad = source_padding_id(model)
    if source_pad is not None:  # Marian's layout: the source pads with <pad>, the target starts with it
        if tokenizer.pad_id != source_pad:
            raise ValueError(
                f"{model.name} pads its source with id {source_pad}, but `tokenizer` pads with "
                f"{tokenizer.pad_id}: they disagree on the padding id. Pass the tokenizer the model was trained with."
            )
        return
    if padded and tokenizer.pad_id != 0:
        has = "no padding token" if tokenizer.pad_id is None else f"padding id {tokenizer.pad_id}"
        raise ValueError(
            f"{model.name} masks id 0 as padding (its embedding has mask_zero=True), but `tokenizer` has {has}: "
            "they disagree on the padding id. Pass the tokenizer the model was trained with (kerazoo's trained "
            "tokenizers pad with 0), or a model built with mask_zero=False for a vocabulary whose id 0 is a token."
        )
    if not padded and tokenizer.pad_id is not None:
        raise ValueError(
            f"{model.name} reads every id as a token (mask_zero=False), but `tokenizer` pads with id "
            f"{tokenizer.pad_id}: they disagree on the padding id. Pass the tokenizer the model was trained with."
        )


def id_inputs(model, tokens, vocab_size: int) -> tuple[dict, str | None]:
    """The model's inputs as a dict of checked int32 arrays, and the key of the sequence that grows."""
    inputs, key = _split_inputs(model, tokens)
    for name, ids in inputs.items():
        inputs[name] = _ids(name or names.TOKENS, ids, vocab_size=vocab_size if name == key else None)
    require_token_ids(model, inputs if key is not None else inputs[None])
    if inputs[key].ndim != 2:
        raise ValueError(f"The prompt must be a (batch, length) array of ids. Received shape {inputs[key].shape}")
    return inputs, key


def text_inputs(model, texts: list[str], tokenizer) -> tuple[dict, str | None, np.ndarray]:
    """Texts as the model's inputs, right-padded with 0: a language model's prompt, or a seq2seq model's
    source with a target that starts with the tokenizer's start id (or its end id)."""
    # A source padded by an id of its own (a PaddingMask: Marian's <pad>) is encoded as its tokenizer encodes
    # it, </s> and all, as MarianTokenizer does; its target starts from that padding id, Marian's decoder
    # start token.
    source_pad = source_padding_id(model) if isinstance(model.input, dict) else None
    encoded = tokenizer.token_ids(texts, add_special_tokens=source_pad is not None)
    for index, (text, ids) in enumerate(zip(texts, encoded, strict=True)):
        if len(ids) == 0:
            raise ValueError(
                f"`tokens_or_text` prompt {index} ({text!r}) tokenizes to no tokens: there is nothing to continue."
            )
    lengths = np.array([len(ids) for ids in encoded])
    ids = np.full((len(encoded), lengths.max()), source_pad or 0, "int32")
    for row, tokens in enumerate(encoded):
        ids[row, : len(tokens)] = tokens
    if not isinstance(model.input, dict):
        return {None: ids}, None, lengths
    key = growing_input(model)
    others = [name for name in model.input if name != key]
    if len(others) != 1:
        raise ValueError(
            f"Text prompts go to a seq2seq model's source: {model.name} has inputs {sorted(model.input)}, "
            f"more than one besides {key!r}. Pass ids as a dict instead."
        )
    start = tokenizer.start_id if tokenizer.start_id is not None else tokenizer.end_id
    if source_pad is not None:
        start = source_pad
    if start is None:
        raise ValueError(
            f"{model.name}'s target starts with a start token, and `tokenizer` has neither a start nor an end id."
        )
    prefix = np.full((len(encoded), 1), start, "int32")
    return {others[0]: ids, key: prefix}, key, np.ones(len(encoded), "int64")


def _ids(name: str, ids, *, vocab_size: int | None) -> np.ndarray:
    """`ids` as int32, refused when they are not integers (floats would be truncated) or out of range."""
    array = np.asarray(ids)
    if array.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must hold integer token ids. Received dtype {array.dtype}")
    if array.size and (array.min() < 0 or (vocab_size is not None and array.max() >= vocab_size)):
        allowed = f"0..{vocab_size - 1}" if vocab_size is not None else ">= 0"
        raise ValueError(f"`{name}` ids must be in {allowed}. Received ids from {array.min()} to {array.max()}")
    return array.astype("int32")


def _split_inputs(model, tokens):
    """The model's inputs as a dict, and the key of the sequence that grows (None for a single input)."""
    if not isinstance(model.input, dict):
        if len(model.inputs) != 1:
            raise ValueError(
                f"generate() takes a model with one input or a dict of inputs. {model.name} has {len(model.inputs)}"
            )
        return {None: tokens}, None
    key = growing_input(model)
    names = set(model.input)
    if not isinstance(tokens, dict) or set(tokens) != names:
        received = sorted(tokens) if isinstance(tokens, dict) else type(tokens).__name__
        raise ValueError(
            f"{model.name} takes inputs {sorted(names)}: pass tokens as a dict of them, {key!r} holding the prefix "
            f"to extend (for seq2seq models, starting with the start token), or text with a `tokenizer`. "
            f"Received: {received}"
        )
    return dict(tokens), key


def require_fits(model, total: int) -> None:
    for layer in model.layers:
        if isinstance(layer, PositionEmbedding) and total > layer.max_length:
            raise ValueError(
                f"The prompt plus `max_new_tokens` ({total} tokens) is longer than the model's position table "
                f"(max_length={layer.max_length})."
            )


def pads_with_zero(model) -> bool:
    """Whether id 0 is padding: true for every kerazoo model unless built with `mask_zero=False` (GPT-2's
    vocabulary uses id 0 for a real token)."""
    embeddings = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    return not embeddings or any(layer.mask_zero for layer in embeddings)


def source_padding_id(model) -> int | None:
    """The padding id a model masks with a `PaddingMask` (a vocabulary whose padding is not 0, as Marian's
    <pad>), or None."""
    masks = [layer for layer in model.layers if isinstance(layer, PaddingMask)]
    return masks[0].padding_id if masks else None
