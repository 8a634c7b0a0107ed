"""The main job behind `kerazoo train`: build a zoo model, train it on a dataset, keep everything a run needs.

The model's registry entry decides the rest: its task picks the dataset's preprocessing and the offline
default, its outputs ("probabilities" or "logits") the loss, and the data fixes the sizes it must agree
with (classes, vocabulary, input shape, sequence length).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from kerazoo._io import atomic_path, require_writable_folder
from kerazoo._validation import require_positive_int

logger = logging.getLogger("kerazoo.training")
CONFIG_FILE, METRICS_FILE, CURVES_FILE, MODEL_FILE = "config.json", "metrics.json", "curves.png", "model.keras"
VOCABULARY_FILE, LOGS_FOLDER, CHECKPOINT_FOLDER = "vocabulary.txt", "logs", "checkpoint"
# The data sets these builder arguments; a different value given for them is a mistake (vocab_size is a cap).
DATA_DECIDES = ("classes", "num_classes", "dim")


def model_settings(info, data, settings: Mapping) -> dict:
    """The builder's arguments: what the user set, then what `data` fixes (sizes that must agree)."""
    fixed = data.model_settings(info.defaults)
    for key in DATA_DECIDES:
        if key in settings and key in fixed and settings[key] != fixed[key]:
            raise ValueError(
                f"Setting {key}={settings[key]!r} disagrees with the data: {data.name} gives {key}={fixed[key]}."
            )
    return {**settings, **fixed}


def _require_inputs_fed(model, info) -> None:
    """The pipelines feed the inputs the registry describes; a setting that adds one is refused here."""
    built = sorted(model.input) if isinstance(model.input, dict) else [model.input.name]
    fed = sorted(spec.name for spec in info.inputs)
    if built != fed:
        raise ValueError(
            f"With these settings {model.name} takes inputs {built}; kerazoo train feeds {fed}. Build and fit "
            "such a model in Python (for num_segments, say, with your own segment ids)."
        )


def objective(info):
    """The loss and metrics for a model's task and outputs: sparse labels, and for sequences next-token ids
    with padding (id 0) left out of the loss."""
    import keras

    loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=info.outputs == "logits",
        ignore_class=0 if info.task in ("language-modeling", "seq2seq") else None,
    )
    return loss, [keras.metrics.SparseCategoricalAccuracy("accuracy")]


def train(
    name: str,
    *,
    output: str | os.PathLike,
    data: str | None = None,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    schedule: str = "constant",
    strategy: str = "auto",
    precision: str | None = None,
    settings: Mapping | None = None,
    embeddings: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    seed: int = 0,
    callbacks: Sequence = (),
    verbose="auto",
) -> dict:
    """Trains zoo model `name` and writes the run to `output`; started again with the same arguments, it resumes.

    Writes `config.json` (every argument, so a run can be repeated), `checkpoint/` (after every epoch),
    `logs/` (TensorBoard), `model.keras`, `metrics.json` (the per-epoch history and the test metrics),
    `curves.png` and, for text, `vocabulary.txt` (the id of each word, one a line).

    Args:
        name: a registered model.
        output: the run's folder; checked for writing before anything is trained.
        data: a dataset for `kerazoo.data.load` (offline name, "tfds:NAME[:SPLIT]" or a folder); None: the
            task's offline default (digits, polarity, lee or copy).
        settings: keyword arguments for the model builder (`width`, `dim`, `input_shape`, `max_length`...);
            `input_shape` and `max_length` also shape the data.
        embeddings: a Word2Vec run (folder or saved model) whose vectors initialise the model's embedding.
        data_dir, download: where tensorflow-datasets keeps prepared datasets, and whether it may download.
        strategy, precision: as `kerazoo.distribute.scope`'s `kind` and `precision`.
        schedule: "constant", "cosine" or "transformer" (see `learning_rate_schedule`).

    Returns:
        The test metrics, e.g. `{"loss": 0.12, "accuracy": 0.97}`; language models add "perplexity".
    """
    import keras

    from kerazoo import distribute, models
    from kerazoo.data import load
    from kerazoo.data.pipelines import cardinality
    from kerazoo.training.fit import fit
    from kerazoo.training.plots import plot_history
    from kerazoo.training.schedules import learning_rate_schedule

    output = Path(output)
    require_positive_int(epochs=epochs, batch_size=batch_size)
    settings = dict(settings or {})
    models.check_arguments(name, settings)  # unknown names and arguments are refused here, with the closest
    info = models.info(name)
    require_writable_folder(output)
    config = {
        "model": name,
        "data": data,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "schedule": schedule,
        "strategy": strategy,
        "precision": precision,
        "embeddings": embeddings,
        "data_dir": data_dir,
        "download": download,
        "seed": seed,
        "settings": settings,
    }
    with atomic_path(output / CONFIG_FILE) as temporary:
        temporary.write_text(json.dumps(config, indent=2), encoding="utf8")

    keras.utils.set_random_seed(seed)
    with distribute.scope(strategy, precision=precision) as dist:
        dataset = load(
            data,
            task=info.task,
            batch_size=batch_size,
            image_shape=settings.get("input_shape"),
            sequence_length=settings.get("max_length"),
            vocab_size=settings.get("vocab_size"),
            embeddings=embeddings,
            seed=seed,
            drop_remainder=dist.num_replicas > 1,
            data_dir=data_dir,
            download=download,
        )
        model = models.build(name, **model_settings(info, dataset, settings))
        _require_inputs_fed(model, info)
        steps = cardinality(dataset.train)  # batches per epoch, a partial one kept or dropped as loaded
        rate = learning_rate_schedule(schedule, learning_rate, total_steps=steps * epochs)
        loss, metrics = objective(info)
        model.compile(**dist.compile_kwargs(optimizer=keras.optimizers.Adam(rate), loss=loss, metrics=metrics))
    logs = [keras.callbacks.TensorBoard(str(output / LOGS_FOLDER))] if dist.is_chief and _has_tensorboard() else []
    history = fit(
        model,
        dataset.train,
        epochs=epochs,
        distribution=dist,
        callbacks=[*callbacks, *logs],
        validation_data=dataset.validation,
        checkpoint_dir=output / CHECKPOINT_FOLDER,
        verbose=verbose,
    )
    test = {key: float(value) for key, value in model.evaluate(dataset.test, verbose=0, return_dict=True).items()}
    if info.task == "language-modeling":
        test["perplexity"] = math.exp(min(test["loss"], 50.0))
    if dist.is_chief:
        _write_run(output, model, dataset, history, test)
        plot_history(history, output / CURVES_FILE, title=f"{name} on {dataset.name}")
    return test


def _has_tensorboard() -> bool:
    """TensorBoard comes with the tensorflow extras; without it the run goes on with no logs/ folder."""
    if importlib.util.find_spec("tensorboard") is None:
        logger.warning("TensorBoard is not installed (pip install tensorboard): no %s/ folder.", LOGS_FOLDER)
        return False
    return True


def _write_run(output: Path, model, dataset, history, test: dict) -> None:
    from kerazoo.training.saving import save_model

    save_model(model, output / MODEL_FILE)
    if dataset.vocabulary:
        with atomic_path(output / VOCABULARY_FILE) as temporary:
            temporary.write_text("\n".join(dataset.vocabulary) + "\n", encoding="utf8")
    with atomic_path(output / METRICS_FILE) as temporary:
        temporary.write_text(json.dumps({"history": history.history, "test": test}, indent=2), encoding="utf8")
