"""The main job behind `kerazoo train`: build a zoo model, train it on a dataset, keep everything a run needs.

The model's registry entry decides the rest: its task picks the dataset's preprocessing and the offline
default, its outputs ("probabilities" or "logits") the loss, and the data fixes the sizes it must agree
with (classes, vocabulary, input shape, sequence length).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kerazoo import distribute
from kerazoo._io import atomic_path, require_writable_folder
from kerazoo._validation import require_choice, require_number, require_positive_int, require_seed
from kerazoo.data import check_data_for_model, load_for_model
from kerazoo.data.tokenization import WORDS, default_tokenizer
from kerazoo.distribute.scope import KINDS, PRECISIONS
from kerazoo.plots import plot_history
from kerazoo.training.pipeline import steps_per_epoch

if TYPE_CHECKING:
    from kerazoo.models import ModelInfo

logger = logging.getLogger("kerazoo.training")
CONFIG_FILE, METRICS_FILE, CURVES_FILE, KERAS_MODEL_FILE = "config.json", "metrics.json", "curves.png", "model.keras"
VOCABULARY_FILE, TOKENIZER_FILE = "vocabulary.txt", "tokenizer.json"
LOGS_FOLDER, CHECKPOINT_FOLDER = "logs", "checkpoint"
# Everything a run writes into its folder; `overwrite=True` removes these and nothing else.
RUN_CONTENTS = (
    CONFIG_FILE,
    METRICS_FILE,
    CURVES_FILE,
    KERAS_MODEL_FILE,
    VOCABULARY_FILE,
    TOKENIZER_FILE,
    LOGS_FOLDER,
    CHECKPOINT_FOLDER,
)
# A run may be resumed with more (or fewer) epochs; every other setting belongs to the folder.
RESUMABLE_CHANGES = ("epochs",)


def _require_inputs_fed(network, info) -> None:
    """The pipelines feed the inputs the registry describes; a setting that adds one is refused here."""
    built = sorted(network.input) if isinstance(network.input, dict) else [network.input.name]
    fed = sorted(spec.name for spec in info.inputs)
    if built != fed:
        raise ValueError(
            f"With these settings {network.name} takes inputs {built}; kerazoo train feeds {fed}. Build and fit "
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
    model: str | ModelInfo,
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
    tokenizer: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    seed: int = 0,
    overwrite: bool = False,
    callbacks: Sequence = (),
    verbose="auto",
) -> dict:
    """Trains a zoo model and writes the run to `output`; started again with the same arguments, it resumes.

    A run folder belongs to one configuration: `config.json` records every argument, and a folder whose
    `config.json` differs (in anything but `epochs`) is refused before anything is read or written, unless
    `overwrite`. The run writes `config.json` once its model is built, `checkpoint/` after every epoch,
    `logs/` (TensorBoard), and at the end `model.keras` (without optimizer state: the checkpoint keeps that),
    `metrics.json` (the per-epoch history and the test metrics), `curves.png` and, for text read as words,
    `vocabulary.txt` (the id of each word, one a line). A subword tokenizer is written as `tokenizer.json`
    with `config.json`, before training, and a resumed run reads it back rather than training another.
    However it stops (Ctrl-C, a kill, a crash), the same call resumes from the last finished epoch and ends
    with the weights an uninterrupted run ends with.

    Args:
        model: a registered model: its name ("resnet18"), or its `ModelInfo` (`kerazoo.models.info(name)`),
            which has been looked up already.
        output: the run's folder; checked for writing before anything is trained.
        data: a dataset for `kerazoo.data.load` (offline name, "tfds:NAME[:SPLIT]" or a folder); None: the
            task's offline default (digits, polarity, lee or copy).
        settings: keyword arguments for the model builder (`width`, `dim`, `input_shape`, `max_length`...);
            `input_shape`, `max_length` and `vocab_size` also shape the data (`kerazoo.data.load_for_model`).
        embeddings: a Word2Vec run (folder or saved model) whose vectors initialise the model's embedding
            (with `tokenizer` "words").
        tokenizer: for text models, how text becomes ids: "words", "bpe:N", "wordpiece:N", "unigram:N" (a
            subword tokenizer of N ids, trained on the training split only) or the path of a saved tokenizer
            (`kerazoo.data.make_tokenizer`). None: byte-level BPE ("bpe:4000") for language models, words for
            text classifiers and wherever `embeddings` are given.
        data_dir, download: where tensorflow-datasets keeps prepared datasets, and whether it may download.
        strategy, precision: as `kerazoo.distribute.scope`'s `kind` and `precision`.
        schedule: "constant", "cosine" or "transformer" (see `learning_rate_schedule`).
        overwrite: start afresh in a folder that holds another run (its run files are deleted).

    Returns:
        The test metrics, e.g. `{"loss": 0.12, "accuracy": 0.97}`; language models add "perplexity" (per
        token), "word_perplexity" and "bits_per_character" (`training.language_model_scores`), which compare
        across tokenizers.
    """
    # These import Keras, which `kerazoo train --help` (importing this module) must not.
    import keras

    from kerazoo import models
    from kerazoo.training.fitting import fit, remainder_policy
    from kerazoo.training.progress import CostEstimate
    from kerazoo.training.schedules import learning_rate_schedule
    from kerazoo.training.scores import language_model_scores

    info = model if isinstance(model, models.ModelInfo) else models.info(model)  # the one look-up of the name
    output = Path(output)
    settings = dict(settings or {})
    config = {
        "model": info.name,
        "data": data,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "schedule": schedule,
        "strategy": strategy,
        "precision": precision,
        "embeddings": embeddings,
        # Recorded as resolved, so a run resumes with the tokenizer it started with whatever the default becomes.
        "tokenizer": default_tokenizer(info.task, embeddings) if tokenizer is None else tokenizer,
        "data_dir": data_dir,
        "download": download,
        "seed": seed,
        "settings": settings,
    }
    _require_valid_run(info, config)
    claim_folder(output, config, overwrite=overwrite)
    saved_tokenizer = _saved_tokenizer(output)

    keras.utils.set_random_seed(seed)
    with distribute.scope(strategy, precision=precision) as dist:
        remainder = remainder_policy(dist)  # fit, left to its default, follows the same policy
        dataset, arguments = load_for_model(
            info,
            data,
            settings=settings,
            batch_size=batch_size,
            embeddings=embeddings,
            tokenizer=saved_tokenizer or config["tokenizer"],
            seed=seed,
            drop_remainder=remainder == "drop",
            data_dir=data_dir,
            download=download,
        )
        network = info.build(**arguments)
        _require_inputs_fed(network, info)
        steps = steps_per_epoch(dataset.train_size, batch_size, remainder)
        rate = learning_rate_schedule(schedule, learning_rate, total_steps=steps * epochs)
        loss, metrics = objective(info)
        network.compile(**dist.compile_kwargs(optimizer=keras.optimizers.Adam(rate), loss=loss, metrics=metrics))
    # The run is known to be valid only now: its data loaded and its model built.
    if dist.is_chief:
        if dataset.tokenizer is not None:  # before config.json, which says the run's files are complete
            dataset.tokenizer.save(output / TOKENIZER_FILE)
        with atomic_path(output / CONFIG_FILE) as temporary:
            temporary.write_text(json.dumps(config, indent=2), encoding="utf8")
    logs = [keras.callbacks.TensorBoard(str(output / LOGS_FOLDER))] if dist.is_chief and _has_tensorboard() else []
    history = fit(
        network,
        dataset.train_examples,
        batch_size=batch_size,
        epochs=epochs,
        distribution=dist,
        callbacks=[CostEstimate(smaller=None if settings else _small_settings(info, arguments)), *callbacks, *logs],
        validation_data=dataset.validation,
        checkpoint_dir=output / CHECKPOINT_FOLDER,
        seed=seed,
        verbose=verbose,
    )
    test = {key: float(value) for key, value in network.evaluate(dataset.test, verbose=0, return_dict=True).items()}
    if info.task == "language-modeling":
        test.update(language_model_scores(network, dataset, split="test"))
    if dist.is_chief:
        _write_run(output, network, dataset, history, test)
        plot_history(
            history,
            output / CURVES_FILE,
            title=f"{info.name} on {dataset.name}",
            learning_rates=_sampled_learning_rates(rate, steps * epochs),
            perplexity=info.task == "language-modeling",
            test=test,
        )
    return test


def _require_valid_run(info, config: Mapping) -> None:
    """Every argument of `train`, before anything is read or written: the names match `train`'s own."""
    from kerazoo.training.schedules import SCHEDULES  # imports Keras

    require_positive_int(epochs=config["epochs"], batch_size=config["batch_size"])
    require_number("learning_rate", config["learning_rate"], above=0)
    require_choice("schedule", config["schedule"], SCHEDULES)
    require_choice("strategy", config["strategy"], KINDS)
    require_choice("precision", config["precision"], PRECISIONS)
    require_seed(config["seed"])
    info.check_arguments(config["settings"])  # unknown arguments, with the closest accepted ones
    check_data_for_model(
        info, config["data"], config["settings"], tokenizer=config["tokenizer"], embeddings=config["embeddings"]
    )


def claim_folder(output: Path, config: Mapping, *, overwrite: bool = False) -> None:
    """Makes `output` this run's folder, or refuses: a folder holds one configuration's run.

    A folder with no run, or with a run of the same configuration (but for `epochs`, which a resumed run
    may change), is taken as it is; another run's folder is refused, naming the settings that differ,
    unless `overwrite`, which deletes that run's files (`RUN_CONTENTS`) and nothing else.
    """
    require_writable_folder(output)
    recorded = _recorded_config(output)
    if recorded is None and not (output / CHECKPOINT_FOLDER).exists():
        return
    if not overwrite:
        differences = _differences(recorded, json.loads(json.dumps(config))) if recorded is not None else []
        if recorded is None:
            raise ValueError(
                f"{output} holds a checkpoint of a run with no {CONFIG_FILE}, so it cannot be resumed as this "
                "run. Choose another `output`, or pass `overwrite` to start afresh there."
            )
        if differences:
            raise ValueError(
                f"{output} holds a run of another configuration ({'; '.join(differences)}). Choose another "
                "`output`, or pass `overwrite` to start afresh there (deleting that run); the same "
                "configuration resumes."
            )
        return
    for entry in RUN_CONTENTS:
        path = output / entry
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)  # every process of a job may clear it
        else:
            path.unlink(missing_ok=True)


def _saved_tokenizer(output: Path):
    """The tokenizer a run being resumed trained (or loaded) when it started; None for a new run, or one
    that reads words. Only a folder whose config.json matched this run's is resumed (`claim_folder`)."""
    if _recorded_config(output) is None or not (output / TOKENIZER_FILE).exists():
        return None
    from kerazoo.text import Tokenizer

    return Tokenizer.load(output / TOKENIZER_FILE)


def _recorded_config(output: Path) -> dict | None:
    try:
        recorded = json.loads((output / CONFIG_FILE).read_text(encoding="utf8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{output / CONFIG_FILE} cannot be read ({error}); pass `overwrite` to start afresh."
        ) from None
    return recorded if isinstance(recorded, dict) else {}


def _differences(recorded: Mapping, config: Mapping) -> list[str]:
    """ "`name` old -> new" for each setting that differs, the builder's settings by their own names."""
    differences = []
    if "tokenizer" not in recorded and config.get("tokenizer") == WORDS:
        recorded = {**recorded, "tokenizer": WORDS}  # runs from before `tokenizer` existed read words
    for key in config:
        if key in RESUMABLE_CHANGES or key == "settings":
            continue
        if recorded.get(key) != config[key]:
            differences.append(f"`{key}` {recorded.get(key)!r} -> {config[key]!r}")
    old, new = recorded.get("settings") or {}, config["settings"]
    for key in sorted({*old, *new}):
        if old.get(key) != new.get(key):
            differences.append(f"`{key}` {old.get(key, 'unset')!r} -> {new.get(key, 'unset')!r}")
    return differences


def _small_settings(info, decided: Mapping) -> str:
    """The model's small configuration as `--set` options, less the builder arguments the data `decided`
    (vocabulary, lengths, classes): what to suggest for a quick run."""
    small = {key: value for key, value in info.small_config.items() if key not in decided}
    return " ".join(f"--set {key}={value!r}" for key, value in small.items())


def _sampled_learning_rates(rate, total_steps: int, samples: int = 200) -> list[float] | None:
    """The schedule at up to `samples` evenly spaced steps of the run, for curves.png; None for a constant rate
    (Keras's History records no learning rate for a schedule)."""
    if isinstance(rate, (int, float)):
        return None
    count = min(total_steps, samples)
    return [float(rate(round(i * (total_steps - 1) / max(count - 1, 1)))) for i in range(count)]


def _has_tensorboard() -> bool:
    """TensorBoard comes with the tensorflow extras; without it the run goes on with no logs/ folder."""
    if importlib.util.find_spec("tensorboard") is None:
        logger.warning("TensorBoard is not installed (pip install tensorboard): no %s/ folder.", LOGS_FOLDER)
        return False
    return True


def _write_run(output: Path, network, dataset, history, test: dict) -> None:
    from kerazoo.training.saving import save_model  # imports Keras

    save_model(network, output / KERAS_MODEL_FILE, include_optimizer=False)
    if dataset.vocabulary:
        with atomic_path(output / VOCABULARY_FILE) as temporary:
            temporary.write_text("\n".join(dataset.vocabulary) + "\n", encoding="utf8")
    with atomic_path(output / METRICS_FILE) as temporary:
        temporary.write_text(json.dumps({"history": history.history, "test": test}, indent=2), encoding="utf8")
