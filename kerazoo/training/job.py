"""The main job behind `kerazoo train`: build a zoo model, train it on a dataset, keep everything a run needs.

The model's registry entry decides the rest: its task picks the dataset's preprocessing and the offline
default, its outputs ("probabilities" or "logits") the loss, and the data fixes the sizes it must agree
with (classes, vocabulary, input shape, sequence length).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kerazoo import distribute, names
from kerazoo._io import atomic_path, require_writable_folder
from kerazoo._validation import require_bool, require_choice, require_number, require_positive_int, require_seed
from kerazoo.data import check_data_for_model, load_for_model
from kerazoo.data.tokenization import WORDS, default_tokenizer
from kerazoo.distribute.scope import KINDS, PRECISIONS
from kerazoo.plots import plot_history
from kerazoo.training import warm_start
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


def _require_inputs_fed(network, dataset) -> None:
    """The pipelines feed the inputs the model takes; a setting that adds one is refused here."""
    built = sorted(tensor.name for tensor in network.inputs)
    fed = dataset.train_examples.element_spec[0]
    fed = sorted(fed) if isinstance(fed, dict) else [network.inputs[0].name]
    if names.SEGMENT_IDS in fed and names.SEGMENT_IDS not in built:
        raise ValueError(
            f"{dataset.name} holds sentence pairs, fed as {fed}; {network.name} takes {built}. Train "
            "transformer_classifier (or a checkpoint with segment ids: BERT's) on pairs."
        )
    if built != fed:
        raise ValueError(
            f"With these settings {network.name} takes inputs {built}; kerazoo train feeds {fed}. Build and fit "
            "such a model in Python with inputs of your own."
        )


def _require_padding_masked(network, dataset) -> None:
    """Data that is never padded (a tokenizer without padding, whose id 0 is a real token) cannot feed a
    model that masks id 0 as padding: it would hide every such token."""
    if dataset.padding_id is not None:
        return
    masking = [layer.name for layer in network.layers if getattr(layer, "mask_zero", False)]
    if masking:
        raise ValueError(
            f"`tokenizer` has no padding token, so its id 0 is a real token ({dataset.tokenizer.id_to_token(0)!r}), "
            f"which {network.name}'s {masking[0]} masks as padding: build it with mask_zero=False (--set "
            "mask_zero=False), or use a tokenizer that pads with 0."
        )


def objective(info, padding_id: int | None = 0):
    """The loss and metrics for a model's task and outputs: sparse labels, and for sequences next-token ids
    with padding (`padding_id`; None where the data is never padded) left out of the loss."""
    import keras

    loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=info.outputs == "logits",
        ignore_class=padding_id if info.task in ("language-modeling", "seq2seq") else None,
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
    pretrained: str | None = None,
    weights: str | None = None,
    freeze_backbone: bool = False,
    unfreeze_after: int | None = None,
    lora_rank: int | None = None,
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
        data: a dataset for `kerazoo.data.load` (offline name, "tfds:NAME[:SPLIT]", sentence pairs included, or a
            folder); None: the task's offline default (digits, polarity, lee or copy).
        settings: keyword arguments for the model builder (`width`, `dim`, `input_shape`, `max_length`...);
            `input_shape`, `max_length` and `vocab_size` also shape the data (`kerazoo.data.load_for_model`).
        embeddings: a Word2Vec run (folder or saved model) whose vectors initialise the model's embedding
            (with `tokenizer` "words").
        tokenizer: for text models, how text becomes ids: "words", "bpe:N", "wordpiece:N", "unigram:N" (a
            subword tokenizer of N ids, trained on the training split only) or the path of a saved tokenizer
            (`kerazoo.data.make_tokenizer`). None: byte-level BPE ("bpe:4000") for language models, words for
            text classifiers and wherever `embeddings` are given.
        data_dir, download: where tensorflow-datasets keeps prepared datasets, and whether it may download.
        pretrained: a checkpoint to fine-tune, `hf:ORG/NAME[@REVISION]` or a folder (`models.from_pretrained`),
            of the model named (a BERT checkpoint for transformer_classifier, GPT-2 for gpt). Its tokenizer
            prepares the text (`tokenizer` may name a saved copy of it), and a classifier gets a fresh head
            of the data's classes where the checkpoint has none.
        weights: pretrained image weights, as the builder takes them ("imagenet" for resnet50, a timm
            checkpoint `hf:timm/resnet50.a1_in1k` for the ResNets): every layer but a fresh head of the
            data's classes; the images are prepared as the weights expect (`models.preprocess_input`).
        freeze_backbone: train only the classifier head (`fine_tuning.freeze_backbone`).
        unfreeze_after: with `freeze_backbone`, train the whole model after this many epochs, at a tenth of
            the learning rate (its schedule started again), as Keras's transfer-learning guide does.
        lora_rank: Keras's LoRA of this rank on the pretrained model (`fine_tuning.enable_lora`): only the
            LoRA factors and the head train; `model.keras` holds the factors merged into the kernels.
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
    from kerazoo.training import fine_tuning
    from kerazoo.training.checkpoint import completed_epochs
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
        "tokenizer": _resolved_tokenizer(info, tokenizer, embeddings, pretrained),
        "data_dir": data_dir,
        "download": download,
        "seed": seed,
        "settings": settings,
        "pretrained": pretrained,
        "weights": weights,
        "freeze_backbone": freeze_backbone,
        "unfreeze_after": unfreeze_after,
        "lora_rank": lora_rank,
    }
    _require_valid_run(info, config)
    created = _first_missing(output)
    claim_folder(output, config, overwrite=overwrite)
    saved_tokenizer = _saved_tokenizer(output)

    keras.utils.set_random_seed(seed)
    with _removed_if_left_empty(output, created), distribute.scope(strategy, precision=precision) as dist:
        remainder = remainder_policy(dist)  # fit, left to its default, follows the same policy
        text_tokenizer = saved_tokenizer or config["tokenizer"]
        if pretrained is not None:
            text_tokenizer = warm_start.checkpoint_tokenizer(pretrained, saved_tokenizer or tokenizer)
        dataset, arguments = load_for_model(
            info,
            data,
            settings=settings,
            batch_size=batch_size,
            embeddings=embeddings,
            tokenizer=text_tokenizer,
            seed=seed,
            drop_remainder=remainder == "drop",
            data_dir=data_dir,
            download=download,
        )
        if pretrained is not None:
            network = warm_start.from_checkpoint(
                info, pretrained, tokenizer=dataset.tokenizer, arguments=arguments, settings=settings
            )
        else:
            network = info.build(**arguments)
        if weights is not None:
            warm_start.load_image_weights(network, info, weights, arguments)
            dataset = warm_start.preprocessed_for(dataset, weights)
        dataset = warm_start.fed_inputs(dataset, network)
        _require_inputs_fed(network, dataset)
        _require_padding_masked(network, dataset)
        frozen = fine_tuning.freeze_backbone(network) if freeze_backbone else []
        if lora_rank is not None:
            fine_tuning.enable_lora(network, lora_rank)
        steps = steps_per_epoch(dataset.train_size, batch_size, remainder)
        # Frozen epochs first; after `unfreeze_after` the whole model trains on, at a tenth of the rate.
        first_epochs = min(epochs, unfreeze_after) if unfreeze_after is not None else epochs
        rate = learning_rate_schedule(schedule, learning_rate, total_steps=steps * first_epochs)
        _compile_for_task(network, info, dataset, dist, rate)
    # The run is known to be valid only now: its data loaded and its model built.
    if dist.is_chief:
        if dataset.tokenizer is not None:  # before config.json, which says the run's files are complete
            dataset.tokenizer.save(output / TOKENIZER_FILE)
        with atomic_path(output / CONFIG_FILE) as temporary:
            temporary.write_text(json.dumps(config, indent=2), encoding="utf8")
    logs = [keras.callbacks.TensorBoard(str(output / LOGS_FOLDER))] if dist.is_chief and _has_tensorboard() else []
    fit_options = dict(
        batch_size=batch_size,
        distribution=dist,
        callbacks=[CostEstimate(smaller=None if settings else _small_settings(info, arguments)), *callbacks, *logs],
        validation_data=dataset.validation,
        checkpoint_dir=output / CHECKPOINT_FOLDER,
        seed=seed,
        verbose=verbose,
    )
    unfreezes = bool(frozen) and first_epochs < epochs
    if not (unfreezes and completed_epochs(output / CHECKPOINT_FOLDER) >= first_epochs):
        history = fit(network, dataset.train_examples, epochs=first_epochs, **fit_options)
    if unfreezes:
        logger.info("Unfreezing the backbone after epoch %d: the whole model trains on.", first_epochs)
        fine_tuning.unfreeze(frozen)
        # Keras fixes what trains when it compiles; the whole model's optimizer starts afresh.
        rate = learning_rate_schedule(schedule, learning_rate / 10, total_steps=steps * (epochs - first_epochs))
        with dist.variable_scope():
            _compile_for_task(network, info, dataset, dist, rate)
        with warnings.catch_warnings():
            # The checkpoint of the last frozen epoch holds the head's optimizer state; the whole model's
            # optimizer starts afresh, as it does in a run that is not interrupted.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            history = fit(network, dataset.train_examples, epochs=epochs, **fit_options)
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


def _first_missing(folder: Path) -> Path | None:
    """The outermost of `folder` and its parents that does not exist yet (None: `folder` exists)."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    return missing[-1] if missing else None


@contextlib.contextmanager
def _removed_if_left_empty(folder: Path, created: Path | None) -> Iterator[None]:
    """When the block fails, removes the folders the run made for `folder` (`created` and those below it, on
    the way to `folder`) that it leaves empty: a first try that stops before writing (data not available
    offline, a checkpoint that cannot be fetched) leaves nothing behind."""
    try:
        yield
    except BaseException:
        if created is not None:
            for path in (folder, *folder.parents):
                if not path.is_dir() or any(path.iterdir()):
                    break
                path.rmdir()
                if path == created:
                    break
        raise


def _require_valid_run(info, config: Mapping) -> None:
    """Every argument of `train`, before anything is read or written: the names match `train`'s own."""
    from kerazoo.training.schedules import SCHEDULES  # imports Keras

    require_positive_int(epochs=config["epochs"], batch_size=config["batch_size"])
    require_number("learning_rate", config["learning_rate"], above=0)
    require_choice("schedule", config["schedule"], SCHEDULES)
    require_choice("strategy", config["strategy"], KINDS)
    require_choice("precision", config["precision"], PRECISIONS)
    require_seed(config["seed"])
    require_bool(freeze_backbone=config["freeze_backbone"])
    info.check_arguments(config["settings"])  # unknown arguments, with the closest accepted ones
    warm_start.check_start(info, **{key: config[key] for key in warm_start.START_OPTIONS})
    # A checkpoint's tokenizer is loaded (and checked against it) when the model is.
    tokenizer = config["tokenizer"] if config["pretrained"] is None else None
    check_data_for_model(info, config["data"], config["settings"], tokenizer=tokenizer, embeddings=config["embeddings"])


def _resolved_tokenizer(info, tokenizer, embeddings, pretrained):
    """The tokenizer a run reads text with: the one named, a checkpoint's own, or the task's default."""
    if tokenizer is not None:
        return tokenizer
    return pretrained if pretrained is not None else default_tokenizer(info.task, embeddings)


def _compile_for_task(network, info, dataset, dist, rate) -> None:
    """Compiles `network` with Adam at `rate` and its task's loss and metrics (`objective`), as `dist` wants."""
    import keras

    loss, metrics = objective(info, dataset.padding_id)
    network.compile(**dist.compile_kwargs(optimizer=keras.optimizers.Adam(rate), loss=loss, metrics=metrics))


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
