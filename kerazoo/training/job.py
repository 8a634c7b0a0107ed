"""The main job behind `kerazoo train`: build a zoo model, train it on a dataset, keep everything a run needs.

So far it trains image classifiers on the offline `digits` set; the other tasks refuse with a clear error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from kerazoo._io import atomic_path
from kerazoo._validation import require_positive_int

DATASETS = ("digits",)
TASKS = ("image-classification",)
# The smallest input every image model of the zoo accepts; the digits are upsampled from 8x8.
DIGITS_SHAPE = (32, 32, 1)
CONFIG_FILE, METRICS_FILE, CURVES_FILE, MODEL_FILE = "config.json", "metrics.json", "curves.png", "model.keras"


def _digits(input_shape: Sequence[int], seed: int):
    from kerazoo.data import load_digits

    height, width, channels = input_shape
    (x_train, y_train), (x_test, y_test) = load_digits(image_size=(height, width), seed=seed)
    if channels != 1:
        x_train, x_test = (np.repeat(x, channels, axis=-1) for x in (x_train, x_test))
    held_out = len(x_train) // 10
    return (x_train[held_out:], y_train[held_out:]), (x_train[:held_out], y_train[:held_out]), (x_test, y_test)


def _check(name: str, data: str, output: Path) -> None:
    from kerazoo import models

    task = models.info(name).task  # unknown names are refused here, with the closest ones
    if task not in TASKS:
        raise ValueError(
            f"`kerazoo train` runs {', '.join(TASKS)} models so far; {name!r} is a {task} model. "
            f"Models it trains: {', '.join(n for n in models.list_models() if models.info(n).task in TASKS)}"
        )
    if data not in DATASETS:
        raise ValueError(f"`data` must be one of {', '.join(map(repr, DATASETS))}. Received: data={data!r}")
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"`output` cannot be created: {output} ({error.strerror})") from None
    if not os.access(output, os.W_OK):
        raise ValueError(f"`output` is not writable: {output}")


def train(
    name: str,
    *,
    output: str | os.PathLike,
    data: str = "digits",
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    schedule: str = "constant",
    strategy: str = "auto",
    precision: str | None = None,
    settings: Mapping | None = None,
    seed: int = 0,
    callbacks: Sequence = (),
    verbose="auto",
) -> dict:
    """Trains zoo model `name` and writes the run to `output`; started again with the same arguments, it resumes.

    Writes `config.json` (every argument, so a run can be repeated), `checkpoint/` (after every epoch),
    `model.keras`, `metrics.json` (the per-epoch history and the test metrics) and `curves.png`.

    Args:
        name: a registered image-classification model.
        output: the run's folder; checked for writing before anything is trained.
        data: "digits" (scikit-learn's handwritten digits, upsampled to the model's input).
        settings: keyword arguments for the model builder (`input_shape`, `width`, ...).
        strategy, precision: as `kerazoo.distribute.scope`'s `kind` and `precision`.
        schedule: "constant", "cosine" or "transformer" (see `learning_rate_schedule`).

    Returns:
        The test metrics, e.g. `{"loss": 0.12, "accuracy": 0.97}`.
    """
    import keras

    from kerazoo import distribute, models
    from kerazoo.training.fit import fit
    from kerazoo.training.pipeline import steps_per_epoch
    from kerazoo.training.plots import plot_history
    from kerazoo.training.saving import save_model
    from kerazoo.training.schedules import learning_rate_schedule

    output = Path(output)
    require_positive_int(epochs=epochs, batch_size=batch_size)
    _check(name, data, output)
    settings = {"input_shape": DIGITS_SHAPE, "classes": 10, **dict(settings or {})}
    config = {
        "model": name,
        "data": data,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "schedule": schedule,
        "strategy": strategy,
        "precision": precision,
        "seed": seed,
        "settings": settings,
    }
    with atomic_path(output / CONFIG_FILE) as temporary:
        temporary.write_text(json.dumps(config, indent=2), encoding="utf8")

    (x, y), validation, (x_test, y_test) = _digits(settings["input_shape"], seed)
    keras.utils.set_random_seed(seed)
    with distribute.scope(strategy, precision=precision) as dist:
        model = models.build(name, **settings)
        # The steps fit will take: the partial batch is kept on one replica and dropped on several.
        steps = steps_per_epoch(len(x), batch_size, "keep" if dist.num_replicas == 1 else "drop")
        rate = learning_rate_schedule(schedule, learning_rate, total_steps=steps * epochs)
        model.compile(
            **dist.compile_kwargs(
                optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
            )
        )
    history = fit(
        model,
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        distribution=dist,
        callbacks=callbacks,
        validation_data=validation,
        checkpoint_dir=output / "checkpoint",
        seed=seed,
        verbose=verbose,
    )
    test = {key: float(value) for key, value in model.evaluate(x_test, y_test, verbose=0, return_dict=True).items()}
    if dist.is_chief:
        save_model(model, output / MODEL_FILE)
        with atomic_path(output / METRICS_FILE) as temporary:
            temporary.write_text(json.dumps({"history": history.history, "test": test}, indent=2), encoding="utf8")
        plot_history(history, output / CURVES_FILE, title=f"{name} on {data}")
    return test
