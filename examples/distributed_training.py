"""One script for a laptop, a GPU box, a Colab TPU and several hosts: `distribute.scope("auto")` decides.

On TensorFlow it picks Mirrored over the GPUs, a TPU when one is there, multi-worker from TF_CONFIG, or the
CPU; on JAX, data parallel over every device (and every host that `kerazoo launch` or a TPU pod starts).
`training.fit` then trains wherever Keras's own `fit` cannot (multi-worker TensorFlow), resumably:

    python examples/distributed_training.py --output runs/distributed
    KERAS_BACKEND=jax python examples/distributed_training.py
    kerazoo launch --processes 2 -- python examples/distributed_training.py   # two processes, one host

The order matters on several processes: each joins the others with `distribute.initialize()` before it
loads any data, because TensorFlow and JAX let a process join only before their first operation (resizing
the digits is one). Then the model is built and compiled inside the scope, and trained after it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras

from kerazoo import data, distribute, models, plots, training


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", default="auto", help="a distribute.scope kind; auto picks for the machine")
    parser.add_argument("--precision", default="auto", help="auto: bfloat16 on TPUs and recent GPUs, float32 on CPU")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="per replica; the global batch scales with them")
    parser.add_argument("--output", type=Path, default=Path("runs/distributed"))
    args = parser.parse_args(argv)

    # First, before anything runs on TensorFlow or JAX: a process of a multi-process job joins the others
    # here, which neither backend allows after its first operation (the resize below is one). A no-op on one
    # process, and where the imports above already joined (in a process that `kerazoo launch` started).
    distribute.initialize()
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = data.load_digits(image_size=(32, 32))
    with distribute.scope(args.strategy, precision=args.precision) as dist:
        print(f"training on {dist.describe()}")
        model = models.simple_cnn(input_shape=(32, 32, 1), classes=10)
        model.compile(
            **dist.compile_kwargs(
                optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
            )
        )
    history = training.fit(
        model,
        x_train,
        y_train,
        batch_size=dist.global_batch_size(args.batch_size),
        epochs=args.epochs,
        distribution=dist,
        validation_data=(x_test, y_test),
        checkpoint_dir=args.output / "checkpoint",
        verbose=2 if dist.is_chief else 0,
    )
    accuracy = history.history["val_accuracy"][-1]
    if dist.is_chief:
        plots.plot_history(history, args.output / "curves.png", title=f"simple_cnn, {dist.kind} on {dist.platform}")
        print(f"held-out accuracy: {accuracy:.4f}; curves in {args.output}/")
    return accuracy


if __name__ == "__main__":
    main()
