"""Transformer encoder and decoder blocks (Vaswani et al. 2017), post-norm or pre-norm."""

from __future__ import annotations

from keras import layers

from kerazoo._validation import (
    boolean_flags,
    require_activation,
    require_number,
    require_positive_int,
    require_rank,
    require_rate,
    unique_name,
)
from kerazoo.layers import MultiHeadAttention, RotaryMultiHeadAttention, TransformerDecoder, gelu_erf
from kerazoo.layers.transformer_decoder import LAYER_NORM_EPSILON


def _check(x, num_heads, ffn_dim, dropout, attention_dropout, activation, rotary) -> int:
    """Validates the arguments every attention block shares; returns the model width."""
    require_rank("x", x, 3, "(batch, seq, dim)")
    require_positive_int(num_heads=num_heads, ffn_dim=ffn_dim)
    require_rate(dropout=dropout, attention_dropout=attention_dropout)
    require_activation("activation", activation)
    width = x.shape[-1]
    if width is None or width % num_heads:
        raise ValueError(f"`num_heads` must divide the width of `x`. Received: num_heads={num_heads}, width={width}")
    if rotary and (width // num_heads) % 2:
        raise ValueError(
            f"Rotary positions need an even head width (width / num_heads). "
            f"Received: width={width}, num_heads={num_heads}"
        )
    return width


def _sublayer(x, transform, *, norm_first: bool, dropout: float, epsilon: float, name: str):
    """`LN(x + drop(f(x)))` (post-norm, the paper's) or `x + drop(f(LN(x)))` (pre-norm)."""
    y = layers.LayerNormalization(epsilon=epsilon, name=f"{name}_norm")(x) if norm_first else x
    y = transform(y)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_dropout")(y)
    y = layers.Add(name=f"{name}_add")([x, y])
    if norm_first:
        return y
    return layers.LayerNormalization(epsilon=epsilon, name=f"{name}_norm")(y)


def _attention(num_heads, width, attention_dropout, rotary, name):
    layer = RotaryMultiHeadAttention if rotary else MultiHeadAttention
    return layer(num_heads, key_dim=width // num_heads, dropout=attention_dropout, name=name)


def _feed_forward(width, ffn_dim, activation, name):
    inner = layers.Dense(ffn_dim, activation=activation, name=f"{name}_inner")
    outer = layers.Dense(width, name=f"{name}_outer")
    return lambda h: outer(inner(h))


@boolean_flags
def transformer_encoder_block(
    x,
    num_heads: int,
    ffn_dim: int,
    *,
    dropout: float = 0.0,
    attention_dropout: float = 0.0,
    norm_first: bool = False,
    activation=gelu_erf,
    rotary: bool = False,
    layer_norm_epsilon: float = LAYER_NORM_EPSILON,
    name=None,
):
    """Self-attention then a position-wise feed-forward network, each in a residual sublayer.

    Post-norm (`norm_first=False`, the paper's): `h = LN(x + MHA(x)); y = LN(h + FFN(h))`.
    Pre-norm: `h = x + MHA(LN(x)); y = h + FFN(LN(h))`. Padding (the Keras mask of `x`) is excluded
    from the attention keys, so padded positions never change real ones.

    Args:
        x: `(batch, seq, dim)`, optionally masked.
        num_heads: attention heads; must divide `dim`.
        ffn_dim: hidden width of the feed-forward network.
        dropout: dropout on each sublayer's output before the residual add.
        attention_dropout: dropout on the attention probabilities. Keep it 0 (the default) to stay on the
            fused `keras.ops.dot_product_attention` path, which does not support it.
        norm_first: pre-norm instead of post-norm.
        activation: activation of the feed-forward network.
        rotary: rotary positions in the attention (then embed tokens with `position="none"`).
        layer_norm_epsilon: epsilon of the LayerNormalizations (PyTorch's 1e-5 by default; BERT's is 1e-12).
        name: prefix for the layers (`{name}_self_attention`, `{name}_ffn_inner`, ...).

    Returns:
        `(batch, seq, dim)` carrying the mask of `x`.
    """
    width = _check(x, num_heads, ffn_dim, dropout, attention_dropout, activation, rotary)
    require_number("layer_norm_epsilon", layer_norm_epsilon, above=0.0)
    name = name or unique_name("encoder")
    options = {"norm_first": norm_first, "dropout": dropout, "epsilon": layer_norm_epsilon}
    attention = _attention(num_heads, width, attention_dropout, rotary, f"{name}_self_attention")
    x = _sublayer(x, lambda h: attention(h, h), **options, name=f"{name}_self_attention")
    return _sublayer(x, _feed_forward(width, ffn_dim, activation, f"{name}_ffn"), **options, name=f"{name}_ffn")


@boolean_flags
def transformer_decoder_block(
    x,
    context=None,
    *,
    num_heads: int,
    ffn_dim: int,
    causal: bool = True,
    dropout: float = 0.0,
    attention_dropout: float = 0.0,
    norm_first: bool = False,
    activation=gelu_erf,
    rotary: bool = False,
    layer_norm_epsilon: float = LAYER_NORM_EPSILON,
    name=None,
):
    """Causal self-attention, optional cross-attention to `context`, then a feed-forward network.

    Without `context` this is a GPT block; with it, the decoder layer of the original Transformer. The
    Keras masks of `x` and `context` exclude padding from the keys of both attentions. The block is one
    `kerazoo.layers.TransformerDecoder`, which also decodes with a key/value cache (`models.generate`).

    Args:
        x: `(batch, target_seq, dim)` decoder input, optionally masked.
        context: `(batch, source_seq, any width)` encoder output to attend to, optionally masked; or None.
        num_heads: attention heads; must divide `dim`.
        ffn_dim: hidden width of the feed-forward network.
        causal: position t attends only to positions <= t in the self-attention.
        dropout, attention_dropout, norm_first, activation, layer_norm_epsilon: as in `transformer_encoder_block`.
        rotary: rotary positions in the self-attention (cross-attention relates two sequences, so none there).
        name: the layer's name; its sublayers are `self_attention`, `cross_attention`, `ffn_inner`, ...

    Returns:
        `(batch, target_seq, dim)` carrying the mask of `x`.
    """
    _check(x, num_heads, ffn_dim, dropout, attention_dropout, activation, rotary)
    require_number("layer_norm_epsilon", layer_norm_epsilon, above=0.0)
    if context is not None:
        require_rank("context", context, 3, "(batch, source_seq, features)")
    decoder = TransformerDecoder(
        num_heads,
        ffn_dim,
        causal=causal,
        dropout=dropout,
        attention_dropout=attention_dropout,
        norm_first=norm_first,
        activation=activation,
        rotary=rotary,
        layer_norm_epsilon=layer_norm_epsilon,
        name=name or unique_name("decoder"),
    )
    return decoder(x) if context is None else decoder(x, context)
