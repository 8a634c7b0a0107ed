"""Keras multi-head attention with rotary positions and padding-safe masks."""

from __future__ import annotations

import keras
from keras import ops
from keras.src.backend.common.masking import get_keras_mask, set_keras_mask


def apply_rotary(x, max_wavelength: float = 10000.0, start_index=0):
    """Rotates `(batch, seq, heads, head_dim)` queries or keys by their position (Su et al. 2021, RoFormer).

    Uses the split-halves pairing of GPT-NeoX and LLaMA: feature i turns together with feature
    i + head_dim / 2. Computed in float32, returned in the input's dtype.
    """
    head_dim = x.shape[-1]
    half = head_dim // 2
    positions = ops.cast(ops.arange(ops.shape(x)[1]), "float32") + ops.cast(start_index, "float32")
    inverse_frequencies = 1.0 / ops.power(max_wavelength, ops.cast(ops.arange(0, half), "float32") / half)
    angles = positions[:, None] * inverse_frequencies[None, :]  # (seq, head_dim / 2)
    cos = ops.cos(angles)[None, :, None, :]  # (1, seq, 1, head_dim / 2)
    sin = ops.sin(angles)[None, :, None, :]
    first, second = ops.cast(x[..., :half], "float32"), ops.cast(x[..., half:], "float32")
    rotated = ops.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1)
    return ops.cast(rotated, x.dtype)


@keras.saving.register_keras_serializable(package="kerazoo")
class MultiHeadAttention(keras.layers.MultiHeadAttention):
    """`keras.layers.MultiHeadAttention` with key-only padding masks that leaves the inputs' masks in place.

    Everything else (projections, the fused `keras.ops.dot_product_attention` path when `dropout` is 0,
    the backend's native causal kernel, Keras masks read from the inputs) is Keras's own; the attention
    computation itself is not overridden, so Keras keeps its fast paths. `RotaryMultiHeadAttention` adds
    rotary positions.

    Two changes:
    - Padding is masked on the keys only. Keras also masks whole rows of padded *queries*; a fully
      masked row makes fused kernels (PyTorch SDPA, cuDNN) return NaN at padded positions, and the next
      block's value projection would carry it into real positions (0 * NaN is NaN). Padded queries now
      attend like real ones; their outputs stay masked downstream.
    - The inputs keep their Keras masks. Keras's `call` deletes them from the input tensors, so in a
      residual `Add([x, attention(x, x)])` the `x` arrives unmasked, the merged mask is dropped, and
      every later layer attends to padding.

    Decoding with a key/value cache (`cache=`, `cache_index=`) is the third addition: for inference, one
    or more new positions attend over the keys and values of earlier ones kept in a fixed-size buffer.

    Args:
        num_heads: number of attention heads.
        key_dim: width of each head for queries and keys.
        **kwargs: everything `keras.layers.MultiHeadAttention` takes.
    """

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
        cache=None,
        cache_index=None,
    ):
        """Keras's attention, or with `cache` the cached form, which returns `(output, cache)`.

        `cache` is `(batch, 2, cache_length, heads, key_dim)`: keys then values. With `cache_index`, the
        positions of `query` are `cache_index, cache_index + 1, ...`: their keys and values (projected
        from `value`) are written there and each attends causally over the cache. Without it the cache
        holds another sequence's keys and values (cross-attention, from `compute_cache`), and
        `value_mask` says which of them are real.
        """
        if cache is not None:
            return self._call_with_cache(query, value, value_mask, cache, cache_index)
        # The argument names are Keras's own: Layer.__call__ fills `value_mask` and `key_mask` from the
        # masks of `value` and `key` only when the signature names them.
        inputs = [tensor for tensor in (query, value, key) if tensor is not None]
        masks = [get_keras_mask(tensor) for tensor in inputs]
        try:
            return super().call(
                query,
                value,
                key=key,
                query_mask=query_mask,
                value_mask=value_mask,
                key_mask=key_mask,
                attention_mask=attention_mask,
                return_attention_scores=return_attention_scores,
                training=training,
                use_causal_mask=use_causal_mask,
            )
        finally:
            for tensor, mask in zip(inputs, masks, strict=True):
                set_keras_mask(tensor, mask)

    def _compute_attention_mask(self, query, value, query_mask=None, **kwargs):
        return super()._compute_attention_mask(query, value, query_mask=None, **kwargs)

    def compute_cache(self, value):
        """The keys and values of `value`, `(batch, 2, seq, heads, key_dim)`, to attend to with `cache=`."""
        keys, values = self._key_dense(value), self._value_dense(value)
        return ops.stack([ops.cast(keys, self.compute_dtype), ops.cast(values, self.compute_dtype)], axis=1)

    def _position(self, projected, start_index):
        """Where positions enter the projected queries and keys: nowhere here, rotary in the subclass."""
        return projected

    def _call_with_cache(self, query, value, value_mask, cache, cache_index):
        query_projected = self._query_dense(query)  # (batch, steps, heads, key_dim)
        if cache_index is None:
            visible = None if value_mask is None else ops.cast(value_mask, "bool")[:, None, None, :]
        else:
            query_projected = self._position(query_projected, cache_index)
            key = self._position(self._key_dense(value), cache_index)  # (batch, steps, heads, key_dim)
            new = ops.stack([ops.cast(key, cache.dtype), ops.cast(self._value_dense(value), cache.dtype)], axis=1)
            cache = ops.slice_update(cache, (0, 0, cache_index, 0, 0), new)
            steps = ops.shape(query)[1]
            # Query i sits at position cache_index + i and sees the cache up to there.
            last_visible = cache_index + ops.arange(steps)[:, None]
            visible = (ops.arange(ops.shape(cache)[2])[None, :] <= last_visible)[None, None]
        context = ops.dot_product_attention(
            query_projected,
            cache[:, 0],
            cache[:, 1],
            mask=visible,
            scale=self._inverse_sqrt_key_dim,
            flash_attention=self._flash_attention,
        )
        return self._output_dense(context), cache


@keras.saving.register_keras_serializable(package="kerazoo")
class RotaryMultiHeadAttention(MultiHeadAttention):
    """`MultiHeadAttention` that rotates queries and keys by their position before the dot product (RoFormer).

    The only kerazoo attention that overrides `_compute_attention`: Keras then builds the causal mask
    itself instead of calling its native causal kernel, a cost paid only where rotary positions are used.

    Args:
        num_heads: number of attention heads.
        key_dim: width of each head for queries and keys; must be even.
        rotary_max_wavelength: base of the rotary frequencies.
        **kwargs: everything `keras.layers.MultiHeadAttention` takes.
    """

    def __init__(self, num_heads: int, key_dim: int, rotary_max_wavelength=10000.0, **kwargs):
        if key_dim % 2:
            raise ValueError(f"Rotary positions need an even `key_dim`. Received: key_dim={key_dim}")
        super().__init__(num_heads=num_heads, key_dim=key_dim, **kwargs)
        self.rotary_max_wavelength = rotary_max_wavelength

    def _compute_attention(self, query, key, value, *args, **kwargs):
        query = apply_rotary(query, self.rotary_max_wavelength)
        key = apply_rotary(key, self.rotary_max_wavelength)
        return super()._compute_attention(query, key, value, *args, **kwargs)

    def _position(self, projected, start_index):
        return apply_rotary(projected, self.rotary_max_wavelength, start_index=start_index)

    def get_config(self):
        return {**super().get_config(), "rotary_max_wavelength": self.rotary_max_wavelength}
