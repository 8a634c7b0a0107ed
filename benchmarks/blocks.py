"""Forward+backward step time of kerazoo blocks against the references, same config, one run.

    pip install --no-deps keras-hub regex tokenizers   # the reference encoder; keeps your TensorFlow
    python benchmarks/blocks.py                         # TensorFlow backend
    KERAS_BACKEND=jax python benchmarks/blocks.py       # JAX (the GPU route)

Prints one row per block: ms per XLA-compiled training step (SGD, MSE to a random target) for kerazoo
and the reference, and the ratio kerazoo / reference (below 1 is faster).
"""

from __future__ import annotations

import argparse
import platform

import keras
from _timing import compare, random_like, train_step_timer

from kerazoo import blocks


def encoder_pair(batch, seq, dim, heads, ffn):
    import keras_hub

    x = keras.Input((seq, dim))
    ours = keras.Model(x, blocks.transformer_encoder_block(x, heads, ffn, activation="relu"))
    x = keras.Input((seq, dim))
    reference_layer = keras_hub.layers.TransformerEncoder(
        intermediate_dim=ffn, num_heads=heads, activation="relu", layer_norm_epsilon=1e-5
    )
    reference = keras.Model(x, reference_layer(x))
    data = random_like((batch, seq, dim))
    return ours, reference, data, data


def _applications_style_bottleneck(x, filters):
    """The identity unit of keras.applications' ResNet50 (`block1`), written out as it is there."""
    shortcut = x
    y = keras.layers.Conv2D(filters, 1)(x)
    y = keras.layers.BatchNormalization(epsilon=1.001e-5)(y)
    y = keras.layers.Activation("relu")(y)
    y = keras.layers.Conv2D(filters, 3, padding="same")(y)
    y = keras.layers.BatchNormalization(epsilon=1.001e-5)(y)
    y = keras.layers.Activation("relu")(y)
    y = keras.layers.Conv2D(4 * filters, 1)(y)
    y = keras.layers.BatchNormalization(epsilon=1.001e-5)(y)
    return keras.layers.Activation("relu")(keras.layers.Add()([shortcut, y]))


def residual_pair(batch, size, filters):
    shape = (size, size, 4 * filters)
    x = keras.Input(shape)
    ours = keras.Model(x, blocks.residual_block(x, filters, bottleneck=True))
    x = keras.Input(shape)
    reference = keras.Model(x, _applications_style_bottleneck(x, filters))
    data = random_like((batch, *shape))
    return ours, reference, data, data


def lstm_pair(batch, seq, features, units):
    x = keras.Input((seq, features))
    ours = keras.Model(x, blocks.lstm_block(x, units))
    x = keras.Input((seq, features))
    reference = keras.Model(x, keras.layers.LSTM(units)(x))
    return ours, reference, random_like((batch, seq, features)), random_like((batch, units), seed=1)


CASES = {
    "transformer_encoder_block vs keras_hub TransformerEncoder (b32 s128 d256 h4 f1024)": (
        encoder_pair,
        dict(batch=32, seq=128, dim=256, heads=4, ffn=1024),
    ),
    "residual_block bottleneck vs keras.applications-style unit (b32 16x16x256 f64)": (
        residual_pair,
        dict(batch=32, size=16, filters=64),
    ),
    "lstm_block vs keras.layers.LSTM (b32 s64 f128 u128)": (lstm_pair, dict(batch=32, seq=64, features=128, units=128)),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description="kerazoo blocks vs references: training step time")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10, help="steps per round")
    args = parser.parse_args(argv)
    print(f"backend {keras.backend.backend()}, keras {keras.__version__}, {platform.processor() or platform.machine()}")
    print(f"{'case':<88} {'kerazoo ms':>10} {'ref ms':>8} {'ratio':>6}")
    for title, (make, config) in CASES.items():
        ours, reference, inputs, targets = make(**config)
        times = compare(
            {
                "kerazoo": train_step_timer(ours, inputs, targets),
                "reference": train_step_timer(reference, inputs, targets),
            },
            rounds=args.rounds,
            steps_per_round=args.steps,
        )
        ratio = times["kerazoo"] / times["reference"]
        print(f"{title:<88} {times['kerazoo']:>10.2f} {times['reference']:>8.2f} {ratio:>6.2f}")


if __name__ == "__main__":
    main()
