"""kerazoo's own training loop, for setups where `model.fit` fails: TensorFlow's multi-worker strategy
(keras#20585, `Distribution.needs_own_loop`). It runs the model's own `train_step`/`test_step` under the
`Distribution`'s `strategy.run`, so the compiled loss,
optimizer (loss scaling included), metrics and regularisation are Keras's, and it drives the same
callbacks, progress bar and `History` that `fit` would."""

from __future__ import annotations

import keras

from kerazoo.distribute import Distribution


def _replica_mean(strategy, logs: dict) -> dict:
    # Each worker's metrics cover its own share of the batches; the shares are equal, so their mean is the
    # global value for mean-type metrics (loss, accuracy), as `model.fit` would report on one device.
    return {name: strategy.reduce("MEAN", value, axis=None) for name, value in logs.items()}


def _step_function(strategy, step):
    """`step` (a model's train_step or test_step) on every replica's share of one distributed batch."""
    import tensorflow as tf

    @tf.function
    def distributed_step(batch):
        return _replica_mean(strategy, strategy.run(step, args=(batch,)))

    return distributed_step


def _evaluate(test, model, strategy, dataset) -> dict:
    # Every worker holds the same number of full batches (the pipeline drops or pads), so the collectives
    # inside each step stay in step across workers until the finite dataset ends.
    for metric in model.metrics:
        metric.reset_state()
    logs = {}
    for batch in strategy.experimental_distribute_dataset(dataset):
        logs = test(batch)
    return {f"val_{name}": float(value) for name, value in logs.items()}


def fit_distributed(
    model: keras.Model,
    dataset,
    *,
    distribution: Distribution,
    steps_per_epoch: int,
    epochs: int,
    initial_epoch: int,
    callbacks,
    validation=None,
    verbose="auto",
) -> keras.callbacks.History:
    """Trains `model` (built and compiled in `distribution.variable_scope()`, as `distribute.scope` does) on
    `dataset`, a stream of global batches holding epochs `initial_epoch..epochs-1` with `steps_per_epoch`
    batches each.

    Args:
        distribution: a TensorFlow `Distribution`; its strategy runs the steps and shards the batches.
        validation: a finite dataset of global batches evaluated after every epoch, or None.
    """
    strategy = distribution.strategy
    train = _step_function(strategy, model.train_step)
    test = _step_function(strategy, model.test_step) if validation is not None else None
    callback_list = keras.callbacks.CallbackList(
        list(callbacks),
        add_history=True,
        add_progbar=verbose != 0,
        verbose=1 if verbose == "auto" else verbose,
        epochs=epochs,
        steps=steps_per_epoch,
        model=model,
    )
    model.stop_training = False
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        for metric in model.metrics:
            metric.reset_state()
        callback_list.on_epoch_begin(epoch)
        logs = {}
        for step in range(steps_per_epoch):
            callback_list.on_train_batch_begin(step)
            logs = {name: float(value) for name, value in train(next(iterator)).items()}
            callback_list.on_train_batch_end(step, logs)
        if validation is not None:
            logs = {**logs, **_evaluate(test, model, strategy, validation)}
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history
