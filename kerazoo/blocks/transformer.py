"""Transformer encoder and decoder blocks (Vaswani et al. 2017), post-norm or pre-norm.

Each block adds one `kerazoo.layers.TransformerEncoder` or `TransformerDecoder` to a functional model;
the layers hold the computation and refuse bad arguments, the blocks check the tensors they are given.
"""

from __future__ import annotations

from kerazoo import names
from kerazoo._validation import require_rank, unique_name
from kerazoo.layers import TransformerDecoder, TransformerEncoder, gelu_erf
from kerazoo.layers.transformer import LAYER_NORM_EPSILON, check_width, require_known_width


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
    from the attention keys, so padded positions never change real ones. The block is one
    `kerazoo.layers.TransformerEncoder`.

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
        name: the layer's name; its sublayers are `self_attention`, `ffn_inner`, ... (`kerazoo.names`).

    Returns:
        `(batch, seq, dim)` carrying the mask of `x`.
    """
    encoder = TransformerEncoder(
        num_heads,
        ffn_dim,
        dropout=dropout,
        attention_dropout=attention_dropout,
        norm_first=norm_first,
        activation=activation,
        rotary=rotary,
        layer_norm_epsilon=layer_norm_epsilon,
        name=name or unique_name(names.ENCODER),
    )
    _check_inputs(x, num_heads, rotary)
    return encoder(x)


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
        name=name or unique_name(names.DECODER),
    )
    _check_inputs(x, num_heads, rotary)
    if context is None:
        return decoder(x)
    require_rank("context", context, 3, "(batch, source_seq, features)")
    require_known_width("context", context.shape)
    return decoder(x, context)


def _check_inputs(x, num_heads: int, rotary: bool) -> None:
    """The tensor checks, said of the block's own argument before Keras wraps an error raised in `build`."""
    require_rank("x", x, 3, "(batch, seq, dim)")
    check_width(x.shape[-1], num_heads, rotary)
