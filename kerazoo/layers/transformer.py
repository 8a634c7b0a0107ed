"""The Transformer's encoder and decoder layers (Vaswani et al. 2017), post-norm or pre-norm, written once.

Both are residual sublayers around attention and a feed-forward network; what they share (the argument
checks, the residual, the feed-forward network, the config) lives in `_TransformerLayer`. Their weights
nest under the layer's name: `encoder1/self_attention/query/kernel`, `decoder1/ffn_inner/kernel`
(`kerazoo.names` owns these names).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from kerazoo import names
from kerazoo._validation import (
    require_activation,
    require_bool,
    require_number,
    require_positive_int,
    require_rate,
)
from kerazoo.layers.activations import gelu_erf
from kerazoo.layers.multi_head_attention import MultiHeadAttention, RotaryMultiHeadAttention

# The epsilon of the original implementations (PyTorch, BERT); Keras's default is 1e-3.
LAYER_NORM_EPSILON = 1e-5


def check_width(width, num_heads: int, rotary: bool) -> None:
    """The model width must split evenly into heads, and a rotary head must have an even width."""
    if width is None or width % num_heads:
        raise ValueError(f"`num_heads` must divide the width of `x`. Received: num_heads={num_heads}, width={width}")
    if rotary and (width // num_heads) % 2:
        raise ValueError(
            f"Rotary positions need an even head width (width / num_heads). Received: width={width}, "
            f"num_heads={num_heads}"
        )


def require_known_width(name: str, shape) -> None:
    """The keys and values are projected from the last axis, whose width the kernels are built for."""
    if shape[-1] is None:
        raise ValueError(
            f"`{name}` must have a known width (its last axis) to build the attention's kernels. Received: "
            f"{name}.shape={tuple(shape)}"
        )


class _TransformerLayer(keras.layers.Layer):
    """What the encoder and the decoder share: their arguments, the residual sublayer, the feed-forward network.

    A residual sublayer is `LN(x + drop(f(x)))` post-norm (the paper's) or `x + drop(f(LN(x)))` pre-norm.
    """

    def __init__(
        self,
        num_heads: int,
        ffn_dim: int,
        *,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        norm_first: bool = False,
        activation=gelu_erf,
        rotary: bool = False,
        layer_norm_epsilon: float = LAYER_NORM_EPSILON,
        **kwargs,
    ):
        super().__init__(**kwargs)
        require_positive_int(num_heads=num_heads, ffn_dim=ffn_dim)
        require_rate(dropout=dropout, attention_dropout=attention_dropout)
        require_bool(norm_first=norm_first, rotary=rotary)
        require_activation("activation", activation)
        require_number("layer_norm_epsilon", layer_norm_epsilon, above=0.0)
        self.num_heads = num_heads
        self.ffn_dim = ffn_dim
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.norm_first = norm_first
        self.activation = keras.activations.get(activation)
        self.rotary = rotary
        self.layer_norm_epsilon = layer_norm_epsilon
        self.supports_masking = True

    def _build_attention(self, sublayer: str, query_shape, value_shape, *, rotary: bool = False):
        """The attention of `sublayer` with its norm and dropout, built for these shapes."""
        check_width(query_shape[-1], self.num_heads, rotary)
        require_known_width("context" if sublayer == names.CROSS_ATTENTION else "x", value_shape)
        kind = RotaryMultiHeadAttention if rotary else MultiHeadAttention
        attention = kind(
            self.num_heads,
            query_shape[-1] // self.num_heads,
            dropout=self.attention_dropout,
            name=sublayer,
            dtype=self.dtype_policy,
        )
        attention.build(query_shape, value_shape)
        self._build_norm_and_dropout(sublayer, query_shape)
        return attention

    def _build_feed_forward(self, x_shape) -> None:
        width = x_shape[-1]
        self.ffn_inner = layers.Dense(
            self.ffn_dim, activation=self.activation, name=names.FFN_INNER, dtype=self.dtype_policy
        )
        self.ffn_inner.build(x_shape)
        self.ffn_outer = layers.Dense(width, name=names.FFN_OUTER, dtype=self.dtype_policy)
        self.ffn_outer.build((*x_shape[:-1], self.ffn_dim))
        self._build_norm_and_dropout(names.FFN, x_shape)

    def _build_norm_and_dropout(self, sublayer: str, shape) -> None:
        norm = layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name=names.norm(sublayer), dtype=self.dtype_policy
        )
        norm.build(shape)
        # Attributes named as the layers (`self_attention_norm`, ...), so Keras tracks them by those names.
        setattr(self, names.norm(sublayer), norm)
        setattr(
            self,
            names.dropout(sublayer),
            layers.Dropout(self.dropout, name=names.dropout(sublayer), dtype=self.dtype_policy),
        )

    def _residual(self, x, transform, sublayer: str, training):
        norm, dropout = getattr(self, names.norm(sublayer)), getattr(self, names.dropout(sublayer))
        y = transform(norm(x) if self.norm_first else x)
        y = ops.add(x, dropout(y, training=training))
        return y if self.norm_first else norm(y)

    def _feed_forward(self, h):
        return self.ffn_outer(self.ffn_inner(h))

    def compute_output_shape(self, x_shape, *args, **kwargs):
        return x_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "ffn_dim": self.ffn_dim,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "norm_first": self.norm_first,
            "activation": keras.activations.serialize(self.activation),
            "rotary": self.rotary,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerEncoder(_TransformerLayer):
    """Self-attention then a position-wise feed-forward network, each a residual sublayer.

    Post-norm (`norm_first=False`, the paper's): `h = LN(x + MHA(x)); y = LN(h + FFN(h))`. Pre-norm:
    `h = x + MHA(LN(x)); y = h + FFN(LN(h))`. The Keras mask of `x` excludes padding from the attention
    keys, so padded positions never change real ones; the output carries that mask.
    `blocks.transformer_encoder_block` is the functional way to add one.

    Args:
        num_heads: attention heads; must divide the width of `x`.
        ffn_dim: hidden width of the feed-forward network.
        dropout: dropout on each sublayer's output before the residual add.
        attention_dropout: dropout on the attention probabilities. Keep it 0 (the default) to stay on the
            fused `keras.ops.dot_product_attention` path, which does not support it.
        norm_first: pre-norm instead of post-norm.
        activation: activation of the feed-forward network.
        rotary: rotary positions in the attention (then embed tokens with `position="none"`).
        layer_norm_epsilon: epsilon of the LayerNormalizations (PyTorch's 1e-5 by default; BERT's is 1e-12).
        **kwargs: what `keras.layers.Layer` takes (`name`, `dtype`, ...).
    """

    def build(self, x_shape):
        self.self_attention = self._build_attention(names.SELF_ATTENTION, x_shape, x_shape, rotary=self.rotary)
        self._build_feed_forward(x_shape)

    def call(self, x, mask=None, training=None):
        def attend_to_self(h):
            return self.self_attention(h, h, value_mask=mask, training=training)

        x = self._residual(x, attend_to_self, names.SELF_ATTENTION, training)
        return self._residual(x, self._feed_forward, names.FFN, training)


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerDecoder(_TransformerLayer):
    """Causal self-attention, cross-attention when called with a `context`, then a feed-forward network.

    Each is a residual sublayer, as in `TransformerEncoder`. The Keras masks of `x` and `context` exclude
    padding from the keys. `blocks.transformer_decoder_block` is the functional way to add one.

    Decoding owns its cache here, as in keras-hub's `TransformerDecoder`: `call(x, context,
    self_attention_cache=..., cache_index=t)` runs the same sublayers on the new positions of `x` (at
    t, t + 1, ...), writes their keys and values into the cache and returns `(output, cache)`;
    `cross_attention_cache` (from `compute_cross_attention_cache(context)`) spares recomputing the
    context's keys and values at every step. `empty_cache(batch, length)` gives a cache to start from.

    Args:
        num_heads: attention heads; must divide the width of `x`.
        ffn_dim: hidden width of the feed-forward network.
        causal: position t attends only to positions <= t in the self-attention.
        rotary: rotary positions in the self-attention (cross-attention relates two sequences, so none there).
        **kwargs: `dropout`, `attention_dropout`, `norm_first`, `activation`, `layer_norm_epsilon` as in
            `TransformerEncoder`, and what `keras.layers.Layer` takes (`name`, `dtype`, ...).
    """

    def __init__(self, num_heads: int, ffn_dim: int, *, causal: bool = True, **kwargs):
        super().__init__(num_heads, ffn_dim, **kwargs)
        require_bool(causal=causal)
        self.causal = causal
        self.cross_attention = None

    def build(self, x_shape, context_shape=None):
        self.self_attention = self._build_attention(names.SELF_ATTENTION, x_shape, x_shape, rotary=self.rotary)
        if context_shape is not None:
            self.cross_attention = self._build_attention(names.CROSS_ATTENTION, x_shape, context_shape)
        self._build_feed_forward(x_shape)

    def call(
        self,
        x,
        context=None,
        x_mask=None,
        context_mask=None,
        mask=None,
        self_attention_cache=None,
        cache_index=None,
        cross_attention_cache=None,
        training=None,
    ):
        # Layer.__call__ fills `mask` when x is the only tensor and `x_mask`/`context_mask` otherwise.
        x_mask = mask if x_mask is None else x_mask
        if (context is None and cross_attention_cache is None) != (self.cross_attention is None):
            built = "with" if self.cross_attention is not None else "without"
            raise ValueError(f"{self.name} was built {built} a `context`; call it the same way.")
        decoding = self_attention_cache is not None
        if decoding and cache_index is None:
            raise ValueError(
                "`cache_index` (the position of the first new token) must come with `self_attention_cache`."
            )
        new_cache = None

        def attend_to_self(h):
            nonlocal new_cache
            if decoding:
                out, new_cache = self.self_attention(
                    h, h, cache=self_attention_cache, cache_index=cache_index, training=training
                )
                return out
            return self.self_attention(h, h, value_mask=x_mask, use_causal_mask=self.causal, training=training)

        def attend_to_context(h):
            if cross_attention_cache is not None:
                return self.cross_attention(
                    h, h, value_mask=context_mask, cache=cross_attention_cache, training=training
                )[0]
            return self.cross_attention(h, context, value_mask=context_mask, training=training)

        x = self._residual(x, attend_to_self, names.SELF_ATTENTION, training)
        if self.cross_attention is not None:
            x = self._residual(x, attend_to_context, names.CROSS_ATTENTION, training)
        x = self._residual(x, self._feed_forward, names.FFN, training)
        return (x, new_cache) if decoding else x

    def compute_cross_attention_cache(self, context):
        """The context's keys and values for `cross_attention_cache=`, computed once per sequence."""
        return self.cross_attention.compute_cache(context)

    def empty_cache(self, batch_size: int, length: int):
        """A zero self-attention cache for `length` positions."""
        shape = (batch_size, 2, length, self.num_heads, self.self_attention.key_dim)
        return ops.zeros(shape, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "causal": self.causal}
