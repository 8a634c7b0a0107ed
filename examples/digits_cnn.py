"""Builds a small residual CNN from kerazoo blocks and trains it on scikit-learn's 8x8 digits.

Runs offline in well under a minute on two CPU cores and prints the test accuracy:

    python examples/digits_cnn.py --epochs 15 --output runs/digits
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras
import numpy as np

from kerazoo import blocks
from kerazoo.data import load_digits
from kerazoo.plots import plot_history
from kerazoo.training import save_model


def build_model(classes: int = 10) -> keras.Model:
    images = keras.Input((8, 8, 1), name="image")
    x = blocks.conv_bn_act(images, 32, 3, name="stem")
    x = blocks.residual_block(x, 32, name="res1")
    x = blocks.residual_block(x, 64, strides=2, squeeze_excite=True, name="res2")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(images, outputs, name="digits_resnet")


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--output", type=Path, default=Path("runs/digits"), help="model, curves (PNG)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits(seed=args.seed)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=True,
    )
    history = model.fit(
        x_train, y_train, validation_split=0.1, epochs=args.epochs, batch_size=args.batch_size, verbose=2
    )
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    args.output.mkdir(parents=True, exist_ok=True)
    save_model(model, args.output / "model.keras")
    plot_history(history, args.output / "curves.png", title="digits_resnet on scikit-learn digits")
    print(f"test accuracy: {accuracy:.4f} ({len(x_test)} images); model and curves in {args.output}/")
    return float(np.asarray(accuracy))


if __name__ == "__main__":
    main()
