"""Token embeddings with sinusoidal, learned or no positions."""

from __future__ import annotations

from keras import layers

from kerazoo import names
from kerazoo._validation import boolean_flags, require_choice, require_positive_int, require_rank, unique_name
from kerazoo.layers import PositionEmbedding, ReversibleEmbedding, SinusoidalPositionEmbedding

POSITIONS = ("sinusoidal", "learned", "none")


@boolean_flags
def token_and_position_embedding(
    tokens,
    vocab_size: int,
    max_length: int,
    dim: int,
    *,
    position: str = "sinusoidal",
    mask_zero: bool = True,
    embeddings_initializer=None,
    name=None,
):
    """Embeds integer tokens and adds positions; token id 0 is padding when `mask_zero`.

    Args:
        tokens: 2-D integer tensor `(batch, seq)`.
        vocab_size: number of token ids, padding included.
        max_length: the longest sequence the model takes (the size of a learned position table).
        dim: embedding width.
        position: "sinusoidal" (Vaswani et al. 2017 §3.5), "learned" (BERT, GPT-2) or "none"
            (for rotary attention, which brings its own positions).
        mask_zero: treat id 0 as padding and attach a Keras mask the later blocks honour.
        embeddings_initializer: initializer of the token table (Keras's default when None).
        name: prefix for the layers (`{name}_token`, `{name}_position`); without one, the layers take the
            zoo's names, numbered (`token_embedding_1`, `position_embedding_1`).

    Returns:
        `(batch, seq, dim)` float tensor, masked when `mask_zero`.
    """
    require_rank("tokens", tokens, 2, "(batch, seq) of integer token ids")
    if "int" not in str(tokens.dtype):  # a float id would be truncated silently inside the gather
        raise TypeError(f"`tokens` must be integer token ids. Received: tokens.dtype={tokens.dtype}")
    require_positive_int(vocab_size=vocab_size, max_length=max_length, dim=dim)
    require_choice("position", position, POSITIONS)
    if position == "sinusoidal" and dim % 2:
        raise ValueError(f"Sinusoidal positions need an even `dim`. Received: dim={dim}")
    seq_length = tokens.shape[1]
    if seq_length is not None and seq_length > max_length:
        raise ValueError(
            f"`tokens` is longer than `max_length`. Received: tokens.shape={tuple(tokens.shape)}, "
            f"max_length={max_length}"
        )
    if not name:
        # Counted together, so an unnamed block's two layers share a number even where "none" adds no positions.
        token_name, position_name = unique_name(names.TOKEN_EMBEDDING), unique_name(names.POSITION_EMBEDDING)
    else:
        token_name, position_name = f"{name}_token", f"{name}_position"
    x, _ = embed_tokens(
        tokens,
        vocab_size,
        max_length,
        dim,
        position=position,
        mask_zero=mask_zero,
        embeddings_initializer=embeddings_initializer,
        token_name=token_name,
        position_name=position_name,
    )
    return x


def embed_tokens(
    tokens,
    vocab_size: int,
    max_length: int,
    dim: int,
    *,
    position: str,
    token_name: str,
    position_name: str,
    mask_zero: bool = True,
    reversible: bool = False,
    embeddings_initializer=None,
    token_layer=None,
    scale_name: str | None = None,
    position_layout: str = "interleaved",
):
    """The token table (a `ReversibleEmbedding` when `reversible`, to tie an output projection to it) and
    the positions, named as given; returns the embedded tokens and the token layer, which a model holds on
    to (to load pre-trained vectors into it, or to project back onto the vocabulary).

    `token_layer`: a table already made, to embed a second sequence with (the shared table of a seq2seq
    model); then `vocab_size`, `dim`, `mask_zero`, `reversible` and `embeddings_initializer` are its own.
    `scale_name`: multiply the token vectors by sqrt(dim) before the positions are added (Vaswani et al.
    §3.4), in a layer of that name. `position_layout`: the sinusoidal table's, "interleaved" or "halves".
    """
    if token_layer is None:
        table = ReversibleEmbedding if reversible else layers.Embedding
        token_layer = table(
            vocab_size,
            dim,
            mask_zero=mask_zero,
            embeddings_initializer=embeddings_initializer or "uniform",
            name=token_name,
        )
    x = token_layer(tokens)
    if scale_name is not None:
        x = layers.Rescaling(float(dim) ** 0.5, name=scale_name)(x)
    position_layer = position_embedding(position, max_length, name=position_name, layout=position_layout)
    return (position_layer(x) if position_layer else x), token_layer


def position_embedding(position: str, max_length: int, *, name: str, layout: str = "interleaved"):
    """The layer that adds `position` positions to embedded tokens, or None for "none"; `layout` is the
    sinusoidal table's (see `SinusoidalPositionEmbedding`)."""
    require_choice("position", position, POSITIONS)
    if position == "sinusoidal":
        return SinusoidalPositionEmbedding(layout=layout, name=name)
    if position == "learned":
        return PositionEmbedding(max_length, name=name)
    return None
