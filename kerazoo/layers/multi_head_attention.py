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
    ):
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

    def get_config(self):
        return {**super().get_config(), "rotary_max_wavelength": self.rotary_max_wavelength}
