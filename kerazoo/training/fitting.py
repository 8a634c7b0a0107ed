"""`fit`: `model.fit` where Keras supports the setup, kerazoo's own loop where it does not, one signature."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

import keras

from kerazoo import distribute
from kerazoo._validation import require_choice, require_positive_int, require_seed
from kerazoo.models._common import require_token_ids
from kerazoo.training.checkpoint import ResumableCheckpoint
from kerazoo.training.loop import fit_distributed
from kerazoo.training.pipeline import REMAINDERS, array_dataset, examples_dataset

logger = logging.getLogger("kerazoo.training")

# Exit status of a process whose peer died: the job must be started again (it resumes from its checkpoint).
PEER_FAILED_EXIT = 75  # EX_TEMPFAIL


def remainder_policy(distribution: distribute.Distribution, remainder: str | None = None) -> str:
    """What happens to each epoch's last partial batch, for `fit` and for whoever sizes a run around it.

    Args:
        distribution: where the model trains.
        remainder: the caller's choice, checked: "keep", "drop" or "pad" (zero-weight filler rows, so each
            replica gets an equal share and every example counts; arrays only). None picks the default:
            "keep" on one replica, where a short batch costs nothing; "drop" on several, where every
            replica needs an equal share of every batch, whatever the input.

    Returns:
        "keep", "drop" or "pad".
    """
    if remainder is None:
        return "keep" if distribution.num_replicas == 1 else "drop"
    require_choice("remainder", remainder, REMAINDERS)
    return remainder


def _compile_if_asked(model, distribution, optimizer, loss, metrics) -> None:
    """Compiles `model` when `optimizer` and `loss` are given; else makes sure it was compiled already."""
    if optimizer is None and loss is None:
        if getattr(model, "optimizer", None) is None:
            raise ValueError(
                "`model` is not compiled. Pass `optimizer` and `loss` to fit(), or compile it inside "
                "distribute.scope() first."
            )
        return
    if optimizer is None or loss is None:
        raise ValueError(
            f"Pass both `optimizer` and `loss`, or neither. Received: optimizer={optimizer!r}, loss={loss!r}"
        )
    kwargs = distribution.compile_kwargs(optimizer=optimizer, loss=loss, metrics=list(metrics))
    with distribution.variable_scope():  # the optimizer's variables, where the model's were made
        model.compile(**kwargs)


def _tensorflow_available() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def _fit_inputs(x, y, sample_weight, validation_data, *, distribution, batch_size, epochs, initial_epoch, **order):
    """The data arguments of `model.fit` (the own loop reads `x` and the steps from them too).

    Arrays, and a dataset of single examples given with `batch_size`, go through kerazoo's pipeline (`order`
    holds shuffle, seed and remainder); a batched dataset is used as it is. Without TensorFlow, on
    one process, Keras batches and shuffles the arrays itself; training is the same, but a resumed run then
    sees its remaining epochs in another order than an uninterrupted one would.
    """
    if _is_dataset(x) and batch_size is None:  # batched: it orders itself (Keras ignores shuffle for datasets)
        return {"x": x, "validation_data": validation_data, "shuffle": False}
    if _is_dataset(x):
        train, steps = examples_dataset(x, batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch, **order)
        return {"x": train, "steps_per_epoch": steps, "shuffle": False, "validation_data": validation_data}
    if not _tensorflow_available():
        if distribution.num_processes > 1:
            raise ImportError("Several processes are fed through tf.data: install TensorFlow (tensorflow-cpu).")
        arrays = {"x": x, "y": y, "sample_weight": sample_weight, "batch_size": batch_size}
        return {**arrays, "validation_data": validation_data, "shuffle": order["shuffle"]}
    if distribution.num_replicas > 1 and order["remainder"] != "keep":
        handled = "left out" if order["remainder"] == "drop" else "filled with zero-weight rows"
        logger.info("remainder=%r: the last partial batch of each epoch is %s.", order["remainder"], handled)
    train, steps = array_dataset(
        x, y, sample_weight, batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch, **order
    )
    # The pipeline orders each epoch itself, from the seed and the epoch; Keras must not shuffle again.
    inputs = {"x": train, "steps_per_epoch": steps, "shuffle": False}
    if validation_data is None:
        return inputs
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("`validation_data` must be (x, y) or (x, y, sample_weight) arrays.")
    validation, validation_steps = array_dataset(
        *validation_data, batch_size=batch_size, epochs=1, shuffle=False, remainder=order["remainder"]
    )
    # Repeated, with its length given: Keras keeps one validation iterator across epochs, and reading a finite
    # one to its end under MirroredStrategy adds an empty step that drags val_loss to 2/3 of its value.
    return {**inputs, "validation_data": validation.repeat(), "validation_steps": validation_steps}


def _require_single_examples(dataset) -> None:
    """A dataset given with `batch_size` holds single examples; one whose every part starts with an axis of
    unknown length is batched already (`.batch()` leaves that), and would be batched twice."""
    shapes = [spec.shape for spec in keras.tree.flatten(dataset.element_spec)]
    if shapes and all(shape.rank and shape[0] is None for shape in shapes):
        raise ValueError(
            "`x` looks batched (every part of its elements starts with an axis of unknown size), and `batch_size` "
            "would batch it again. Pass a batched dataset without `batch_size`, or single examples with it. "
            f"Received: element shapes {[tuple(shape) for shape in shapes]}, batch_size given"
        )


def _is_dataset(x) -> bool:
    return type(x).__module__.startswith("tensorflow") and hasattr(x, "element_spec")


def fit(
    model: keras.Model,
    x,
    y=None,
    *,
    batch_size: int | None = None,
    epochs: int = 1,
    distribution: distribute.Distribution | None = None,
    optimizer=None,
    loss=None,
    metrics: Sequence = (),
    callbacks: Sequence = (),
    validation_data=None,
    checkpoint_dir: str | os.PathLike | None = None,
    sample_weight=None,
    shuffle: bool = True,
    seed: int = 0,
    remainder: str | None = None,
    verbose="auto",
) -> keras.callbacks.History:
    """Trains `model` like `model.fit`, on any `kerazoo.distribute` setup, resumably.

    NumPy input becomes a `tf.data` pipeline (what multi-process JAX and multi-worker TensorFlow need) whose
    order depends only on `seed` and the epoch. `model.fit` runs it wherever Keras supports the setup; under
    TensorFlow's `MultiWorkerMirroredStrategy`, where `model.fit` fails (keras#20585), kerazoo's own loop
    runs the model's `train_step` with the same callbacks, progress bar and `History`.

    Args:
        model: built (and compiled, unless `optimizer` and `loss` are given) inside `distribute.scope()`.
        x, y, sample_weight: NumPy arrays (or dicts of them); or a `tf.data.Dataset` as `x` alone: batched
            (used as it is, `batch_size` None), or single examples in a fixed order with `batch_size`, which
            `fit` batches and orders each epoch as it does arrays (see `training.pipeline.examples_dataset`).
        batch_size: the global batch, split over the replicas; it must divide by their number. Default 32
            for arrays.
        distribution: what `distribute.scope()` yielded; None trains on one device.
        optimizer, loss, metrics: compile the model first (inside the distribution), as `model.compile`.
        checkpoint_dir: save after every epoch and resume from here when started again (see
            `ResumableCheckpoint` for what a restart replays). Process 0 writes; every process reads.
        shuffle, seed: a fresh order each epoch, from `seed` and the epoch number.
        remainder: the last partial batch: "keep", "drop" or "pad" (zero-weight copies so each replica's
            share is equal). Default: `remainder_policy`'s, "keep" on one replica and "drop" on several.
        verbose: as in `model.fit`; only process 0 prints.

    Returns:
        The `History`, including the epochs of earlier runs when resuming from `checkpoint_dir`.

    Raises:
        ValueError: for a batch that does not divide by the replicas (naming both), an uncompiled model, or
            a batched dataset with `batch_size`.
    """
    distribution = distribution or distribute.resolve("off")
    require_positive_int(epochs=epochs)
    require_seed(seed)
    remainder = remainder_policy(distribution, remainder)
    dataset_input = _is_dataset(x)
    if dataset_input and (y is not None or sample_weight is not None):
        raise ValueError("With a tf.data.Dataset as `x`, pass neither `y` nor `sample_weight`: it holds them.")
    if dataset_input and batch_size is not None:
        _require_single_examples(x)
    if dataset_input and batch_size is None and distribution.needs_own_loop:
        raise ValueError(
            "Under MultiWorkerMirroredStrategy fit runs its own loop, which takes NumPy arrays or a dataset of "
            "single examples with `batch_size` (they fix the steps per epoch and the sharding). Received: a "
            "batched tf.data.Dataset as `x`."
        )
    if not dataset_input:
        require_token_ids(model, x)
        batch_size = 32 if batch_size is None else batch_size
    if batch_size is not None:
        distribution.check_batch_size(batch_size)
    _compile_if_asked(model, distribution, optimizer, loss, metrics)

    checkpoint = None
    initial_epoch = 0
    if checkpoint_dir is not None:
        checkpoint = ResumableCheckpoint(checkpoint_dir, is_writer=distribution.is_chief)
        with distribution.variable_scope():  # the optimizer's variables, built to restore them, too
            initial_epoch = checkpoint.restore(model)
        if initial_epoch:
            logger.warning("Resuming from %s after epoch %d.", checkpoint_dir, initial_epoch)
    callbacks = [*callbacks, *([checkpoint] if checkpoint else [])]
    verbose = verbose if distribution.is_chief else 0

    if initial_epoch >= epochs:
        history = keras.callbacks.History()
        history.set_model(model)
        return _whole_run(history, checkpoint)
    inputs = _fit_inputs(
        x,
        y,
        sample_weight,
        validation_data,
        distribution=distribution,
        batch_size=batch_size,
        epochs=epochs,
        initial_epoch=initial_epoch,
        shuffle=shuffle,
        seed=seed,
        remainder=remainder,
    )
    try:
        if distribution.needs_own_loop:
            history = fit_distributed(
                model,
                inputs["x"],
                distribution=distribution,
                steps_per_epoch=inputs["steps_per_epoch"],
                epochs=epochs,
                initial_epoch=initial_epoch,
                callbacks=callbacks,
                validation=_finite_validation(inputs),
                verbose=verbose,
            )
        else:
            history = model.fit(
                **inputs, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks, verbose=verbose
            )
    except Exception as error:
        if distribution.num_processes > 1:
            _exit_after_peer_failure(distribution, error)
        raise
    return _whole_run(history, checkpoint) if checkpoint is not None else history


def _finite_validation(inputs: dict):
    """The validation batches of one pass, for the own loop (array pipelines repeat them for `model.fit`)."""
    validation = inputs.get("validation_data")
    if validation is None or "validation_steps" not in inputs:
        return validation
    return validation.take(inputs["validation_steps"])


def _whole_run(history, checkpoint: ResumableCheckpoint):
    """`history` covering every epoch of the run, those before a restart too: the checkpoint holds them all."""
    history.history = {name: list(values) for name, values in checkpoint.history.items()}
    history.epoch = list(range(len(next(iter(checkpoint.history.values()), []))))
    return history


def _exit_after_peer_failure(distribution, error: BaseException) -> None:
    """Ends this process at once: after a peer's death its runtime would wait in a shutdown barrier (JAX,
    about 90 s) or cannot go on alone (TensorFlow); the job must be started again, and it resumes."""
    print(
        f"kerazoo: process {distribution.process_id} of {distribution.num_processes} stops: training failed "
        f"({type(error).__name__}: {str(error)[:300]}), and the other processes cannot go on without it; a "
        "peer that died is the usual cause. Start the job again: it resumes from its last checkpoint.",
        file=sys.stderr,
        flush=True,
    )
    logging.shutdown()
    os._exit(PEER_FAILED_EXIT)
