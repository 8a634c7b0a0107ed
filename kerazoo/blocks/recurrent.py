"""Recurrent blocks: stacked (bi)directional LSTMs and additive attention pooling."""

from __future__ import annotations

from keras import layers

from kerazoo._validation import boolean_flags, require_positive_int, require_rank, require_rate, unique_name
from kerazoo.layers import LSTM, AttentionPooling, Bidirectional


def _require_sequence(x) -> None:
    require_rank("x", x, 3, "(batch, time, features)")


@boolean_flags
def lstm_block(
    x,
    units: int,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    return_sequences: bool = False,
    dropout: float = 0.0,
    name=None,
):
    """A stack of LSTM layers, optionally bidirectional, with dropout between layers.

    Every LSTM keeps the cuDNN-eligible configuration (tanh, sigmoid gates, bias, no recurrent dropout,
    no unrolling), so TensorFlow and JAX use cuDNN on GPUs. The Keras mask of `x` is honoured: padded
    steps leave the state unchanged and the backward direction starts at the last real step.

    Args:
        x: 3-D tensor `(batch, time, features)`, optionally masked.
        units: width of each LSTM (each direction when bidirectional).
        num_layers: number of stacked LSTM layers.
        bidirectional: read the sequence both ways and concatenate (output width `2 * units`).
        return_sequences: return every step (`(batch, time, width)`) rather than the last one.
        dropout: dropout rate between stacked layers.
        name: prefix for the layers (`{name}_lstm1`, `{name}_dropout1`, ...).

    Returns:
        `(batch, width)` or, with `return_sequences`, `(batch, time, width)` keeping the mask.
    """
    _require_sequence(x)
    require_positive_int(units=units, num_layers=num_layers)
    require_rate(dropout=dropout)
    name = name or unique_name("lstm_block")
    for index in range(1, num_layers + 1):
        last = index == num_layers
        lstm = LSTM(units, return_sequences=return_sequences or not last, name=f"{name}_lstm{index}")
        if bidirectional:
            lstm = Bidirectional(lstm, name=f"{name}_bilstm{index}")
        x = lstm(x)
        if dropout and not last:
            x = layers.Dropout(dropout, name=f"{name}_dropout{index}")(x)
    return x


def attention_pooling(x, units: int | None = None, *, name=None):
    """Additive (Bahdanau) attention over time: a learned, mask-aware weighted average of the steps.

    Args:
        x: 3-D tensor `(batch, time, features)`, optionally masked; padding gets zero weight.
        units: width of the scoring layer; `None` uses the feature width.
        name: the layer's name.

    Returns:
        `(batch, features)`.
    """
    _require_sequence(x)
    if units is not None:
        require_positive_int(units=units)
    return AttentionPooling(units, name=name or unique_name("attention_pooling"))(x)
