"""One-token decoding steps for `gpt` with a key/value cache.

The functional `gpt` recomputes every position at each step. This module reuses the trained model's
layers (found by the names `gpt` gives them) to run one position at a time, keeping each block's keys and
values in fixed-size `(batch, max_length, heads, head_dim)` buffers, so a step costs one position's work
and every step has the same shapes (one XLA compilation).
"""

from __future__ import annotations

import weakref

import keras
from keras import ops

from kerazoo.layers import MultiHeadAttention, RotaryMultiHeadAttention, apply_rotary

_DECODERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached_decoder(model: keras.Model, max_length: int) -> CachedGPT:
    """The model's decoder for buffers of `max_length`, built and compiled once per model and length."""
    by_length = _DECODERS.setdefault(model, {})
    if max_length not in by_length:
        by_length[max_length] = CachedGPT(model, max_length)
    return by_length[max_length]


def is_gpt(model: keras.Model) -> bool:
    """Whether `model` has the layers `kerazoo.models.gpt` builds (what the cache steps through)."""
    return _has_layer(model, "block1_self_attention") and _has_layer(model, "token_embedding")


class CachedGPT:
    """Steps a built `gpt` model one position at a time; `step(tokens, t, caches)` -> (logits, caches)."""

    def __init__(self, model: keras.Model, max_length: int):
        self.model = model
        self.max_length = max_length
        self.blocks = []
        index = 1
        while _has_layer(model, f"block{index}_self_attention"):
            self.blocks.append(f"block{index}")
            index += 1
        if not self.blocks or not isinstance(model.get_layer("token_embedding"), keras.layers.ReversibleEmbedding):
            raise ValueError(f"The key/value cache needs a model built by kerazoo.models.gpt. Received: {model.name}")
        self.position = model.get_layer("position_embedding") if _has_layer(model, "position_embedding") else None
        self.logits = model.get_layer("logits") if _has_layer(model, "logits") else None
        self.step = _compile(self._step)

    def empty_caches(self, batch: int):
        caches = []
        for block in self.blocks:
            attention: MultiHeadAttention = self.model.get_layer(f"{block}_self_attention")
            shape = (batch, self.max_length, attention.num_heads, attention.key_dim)
            dtype = attention.compute_dtype
            caches.append((ops.zeros(shape, dtype), ops.zeros(shape, dtype)))
        return caches

    def _step(self, tokens, t, caches):
        """Logits `(batch, vocab)` for position `t`, given the token there and the caches of positions < t."""
        model = self.model
        # A table lookup rather than a layer call: the layer would attach a padding mask that the
        # attention's projections, called directly below, would warn about and drop.
        embedding = model.get_layer("token_embedding")
        x = ops.cast(ops.take(embedding.embeddings, tokens[:, None], axis=0), embedding.compute_dtype)
        if self.position is not None:
            x = self.position(x, start_index=t)
        new_caches = []
        for block, (keys, values) in zip(self.blocks, caches, strict=True):
            h = model.get_layer(f"{block}_self_attention_norm")(x)
            h, keys, values = _attend(model.get_layer(f"{block}_self_attention"), h, t, keys, values)
            x = x + h
            h = model.get_layer(f"{block}_ffn_norm")(x)
            x = x + model.get_layer(f"{block}_ffn_outer")(model.get_layer(f"{block}_ffn_inner")(h))
            new_caches.append((keys, values))
        x = model.get_layer("final_norm")(x)
        logits = self.logits(x) if self.logits else model.get_layer("token_embedding")(x, reverse=True)
        return ops.cast(logits[:, 0], "float32"), new_caches


def _attend(attention: MultiHeadAttention, h, t, keys, values):
    """Causal self-attention of position t over the cached positions <= t; returns the updated caches."""
    query = attention.query_dense(h)  # (batch, 1, heads, head_dim)
    key = attention.key_dense(h)
    value = attention.value_dense(h)
    if isinstance(attention, RotaryMultiHeadAttention):
        query = apply_rotary(query, attention.rotary_max_wavelength, start_index=t)
        key = apply_rotary(key, attention.rotary_max_wavelength, start_index=t)
    start = (0, t, 0, 0)
    keys = ops.slice_update(keys, start, ops.cast(key, keys.dtype))
    values = ops.slice_update(values, start, ops.cast(value, values.dtype))
    visible = ops.arange(keys.shape[1])[None, None, None, :] <= t  # (1, 1, 1, max_length)
    context = ops.dot_product_attention(
        query, keys, values, mask=visible, scale=1.0 / float(attention.key_dim) ** 0.5
    )  # (batch, 1, heads, head_dim)
    return attention.output_dense(context), keys, values


def _compile(step):
    """XLA-compiles the step on TensorFlow and JAX; PyTorch runs it eagerly."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(step, jit_compile=True, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(step)
    return step


def _has_layer(model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)
