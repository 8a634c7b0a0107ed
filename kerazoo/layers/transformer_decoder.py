"""The Transformer decoder layer: one code path for training and for decoding with a key/value cache."""

from __future__ import annotations

import keras
from keras import layers, ops

from kerazoo.layers.activations import gelu_erf
from kerazoo.layers.multi_head_attention import MultiHeadAttention, RotaryMultiHeadAttention

# The epsilon of the original implementations (PyTorch, BERT); Keras's default is 1e-3.
LAYER_NORM_EPSILON = 1e-5


@keras.saving.register_keras_serializable(package="kerazoo")
class TransformerDecoder(keras.layers.Layer):
    """Causal self-attention, cross-attention when called with a `context`, then a feed-forward network.

    Each is a residual sublayer, post-norm `LN(x + drop(f(x)))` (the paper's) or pre-norm
    `x + drop(f(LN(x)))`. The Keras masks of `x` and `context` exclude padding from the keys.
    `blocks.transformer_decoder_block` is the functional way to add one.

    Decoding owns its cache here, as in keras-hub's `TransformerDecoder`: `call(x, context,
    self_attention_cache=..., cache_index=t)` runs the same sublayers on the new positions of `x` (at
    t, t + 1, ...), writes their keys and values into the cache and returns `(output, cache)`;
    `cross_attention_cache` (from `compute_cross_attention_cache(context)`) spares recomputing the
    context's keys and values at every step. `empty_cache(batch, length)` gives a cache to start from.

    Args:
        num_heads: attention heads; must divide the width of `x`.
        ffn_dim: hidden width of the feed-forward network.
        causal: position t attends only to positions <= t in the self-attention.
        dropout: dropout on each sublayer's output before the residual add.
        attention_dropout: dropout on the attention probabilities (0 keeps the fused attention path).
        norm_first: pre-norm instead of post-norm.
        activation: activation of the feed-forward network.
        rotary: rotary positions in the self-attention (cross-attention relates two sequences, so none there).
        layer_norm_epsilon: epsilon of the LayerNormalizations.
        **kwargs: what `keras.layers.Layer` takes (`name`, `dtype`, ...).
    """

    def __init__(
        self,
        num_heads: int,
        ffn_dim: int,
        *,
        causal: bool = True,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        norm_first: bool = False,
        activation=gelu_erf,
        rotary: bool = False,
        layer_norm_epsilon: float = LAYER_NORM_EPSILON,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.ffn_dim = ffn_dim
        self.causal = causal
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.norm_first = norm_first
        self.activation = keras.activations.get(activation)
        self.rotary = rotary
        self.layer_norm_epsilon = layer_norm_epsilon
        self.supports_masking = True
        self.cross_attention = None

    def build(self, x_shape, context_shape=None):
        width = x_shape[-1]
        common = {"dtype": self.dtype_policy}
        attention = RotaryMultiHeadAttention if self.rotary else MultiHeadAttention
        key_dim = width // self.num_heads
        self.self_attention = attention(
            self.num_heads, key_dim, dropout=self.attention_dropout, name="self_attention", **common
        )
        self.self_attention.build(x_shape, x_shape)
        self.self_attention_norm, self.self_attention_dropout = self._norm_and_dropout("self_attention", x_shape)
        if context_shape is not None:
            self.cross_attention = MultiHeadAttention(
                self.num_heads, key_dim, dropout=self.attention_dropout, name="cross_attention", **common
            )
            self.cross_attention.build(x_shape, context_shape)
            self.cross_attention_norm, self.cross_attention_dropout = self._norm_and_dropout("cross_attention", x_shape)
        self.ffn_inner = layers.Dense(self.ffn_dim, activation=self.activation, name="ffn_inner", **common)
        self.ffn_inner.build(x_shape)
        self.ffn_outer = layers.Dense(width, name="ffn_outer", **common)
        self.ffn_outer.build((*x_shape[:-1], self.ffn_dim))
        self.ffn_norm, self.ffn_dropout = self._norm_and_dropout("ffn", x_shape)

    def _norm_and_dropout(self, name, shape):
        norm = layers.LayerNormalization(epsilon=self.layer_norm_epsilon, name=f"{name}_norm", dtype=self.dtype_policy)
        norm.build(shape)
        dropout = layers.Dropout(self.dropout, name=f"{name}_dropout", dtype=self.dtype_policy)
        return norm, dropout

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

        x = self._residual(x, attend_to_self, self.self_attention_norm, self.self_attention_dropout, training)
        if self.cross_attention is not None:
            x = self._residual(x, attend_to_context, self.cross_attention_norm, self.cross_attention_dropout, training)
        x = self._residual(x, self._feed_forward, self.ffn_norm, self.ffn_dropout, training)
        return (x, new_cache) if decoding else x

    def _feed_forward(self, h):
        return self.ffn_outer(self.ffn_inner(h))

    def _residual(self, x, transform, norm, dropout, training):
        y = transform(norm(x) if self.norm_first else x)
        y = ops.add(x, dropout(y, training=training))
        return y if self.norm_first else norm(y)

    def compute_cross_attention_cache(self, context):
        """The context's keys and values for `cross_attention_cache=`, computed once per sequence."""
        return self.cross_attention.compute_cache(context)

    def empty_cache(self, batch_size: int, length: int):
        """A zero self-attention cache for `length` positions."""
        shape = (batch_size, 2, length, self.num_heads, self.self_attention.key_dim)
        return ops.zeros(shape, self.compute_dtype)

    def compute_output_shape(self, x_shape, context_shape=None):
        return x_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "ffn_dim": self.ffn_dim,
            "causal": self.causal,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "norm_first": self.norm_first,
            "activation": keras.activations.serialize(self.activation),
            "rotary": self.rotary,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }
