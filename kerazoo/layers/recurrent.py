"""Keras's LSTM and Bidirectional, whose outputs keep the input's mask on every Keras version.

Keras 3.16 stops RNN layers from propagating masks (keras-team/keras#23235: `RNN`, `Bidirectional` and
`TimeDistributed` set `supports_masking = False`). They still read the mask they are called with, but their
outputs no longer carry it, so every layer after them (a second LSTM, attention over the encoder's
outputs, attention pooling) would read padding as data, silently, and Keras warns at each call. These
subclasses say what kerazoo's blocks need and older Keras did: a sequence output carries the input's mask
(`RNN.compute_mask`, unchanged). Everything else, cuDNN eligibility included, is Keras's own.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="kerazoo")
class LSTM(keras.layers.LSTM):
    """`keras.layers.LSTM`; with `return_sequences`, its output carries the input's mask."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supports_masking = True


@keras.saving.register_keras_serializable(package="kerazoo")
class Bidirectional(keras.layers.Bidirectional):
    """`keras.layers.Bidirectional`; with `return_sequences`, its output carries the input's mask."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supports_masking = True
