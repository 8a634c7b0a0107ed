"""training.fit on one device: the pipeline, resumable checkpoints and argument checks."""

import contextlib
import json

import keras
import numpy as np
import pytest

from kerazoo import training
from kerazoo.distribute import Distribution
from kerazoo.training.fitting import remainder_policy
from kerazoo.training.pipeline import array_dataset

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")

X = np.random.default_rng(0).normal(size=(50, 4)).astype("float32")
Y = (X.sum(axis=1) > 0).astype("int32")


def _model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _ids(dataset) -> list[list[int]]:
    return [np.asarray(batch).tolist() for batch in dataset]


def test_each_epoch_is_a_permutation_of_the_examples():
    dataset, steps = array_dataset(np.arange(10), batch_size=4, epochs=2)
    batches = _ids(dataset)
    assert steps == 3 and len(batches) == 6
    first, second = np.concatenate(batches[:3]).tolist(), np.concatenate(batches[3:]).tolist()
    assert sorted(first) == sorted(second) == list(range(10)) and first != second


def test_an_epoch_is_ordered_by_seed_and_epoch_alone_so_a_restart_sees_the_same_batches():
    whole, _ = array_dataset(np.arange(10), batch_size=5, epochs=3, seed=7)
    resumed, _ = array_dataset(np.arange(10), batch_size=5, epochs=3, initial_epoch=2, seed=7)
    assert _ids(resumed) == _ids(whole)[4:]


def test_pad_fills_the_last_batch_with_zero_weight_rows_and_keeps_every_example():
    dataset, steps = array_dataset(np.arange(10), np.zeros(10), batch_size=4, epochs=1, remainder="pad", shuffle=False)
    batches = list(dataset)
    weights = np.concatenate([np.asarray(b[2]) for b in batches])
    assert steps == 3 and weights.tolist() == [1.0] * 10 + [0.0] * 2
    assert sorted(np.concatenate([np.asarray(b[0]) for b in batches])[:10].tolist()) == list(range(10))


def test_drop_with_a_batch_larger_than_the_data_is_refused():
    with pytest.raises(ValueError, match="batch_size=64, examples=10"):
        array_dataset(np.arange(10), batch_size=64, epochs=1, remainder="drop")


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="same number of examples"):
        array_dataset(np.arange(10), np.arange(9), batch_size=2, epochs=1)


def test_fit_returns_the_keras_history():
    history = training.fit(_model(), X, Y, batch_size=10, epochs=2, verbose=0)
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2


def test_fit_compiles_when_given_optimizer_and_loss():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    training.fit(model, X, Y, epochs=1, optimizer="sgd", loss="sparse_categorical_crossentropy", verbose=0)
    assert model.optimizer.iterations.numpy() == 2


def test_an_uncompiled_model_without_optimizer_and_loss_is_refused():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not compiled"):
        training.fit(model, X, Y)


def test_a_batched_dataset_with_a_batch_size_is_refused():
    import tensorflow as tf

    with pytest.raises(ValueError, match="`x` looks batched"):
        training.fit(_model(), tf.data.Dataset.from_tensor_slices((X, Y)).batch(5), batch_size=5)


def test_a_dataset_with_labels_given_apart_is_refused():
    import tensorflow as tf

    with pytest.raises(ValueError, match="pass neither `y` nor `sample_weight`"):
        training.fit(_model(), tf.data.Dataset.from_tensor_slices(X), Y, batch_size=5)


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    uninterrupted = _model()
    training.fit(uninterrupted, X, Y, batch_size=10, epochs=4, checkpoint_dir=tmp_path / "a", verbose=0)
    training.fit(_model(), X, Y, batch_size=10, epochs=2, checkpoint_dir=tmp_path / "b", verbose=0)
    resumed = _model()  # a fresh process would build the model again, then resume
    history = training.fit(resumed, X, Y, batch_size=10, epochs=4, checkpoint_dir=tmp_path / "b", verbose=0)
    for expected, actual in zip(uninterrupted.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(actual, expected)
    assert resumed.optimizer.iterations.numpy() == 20  # the optimizer state came back too
    assert history.epoch == [0, 1, 2, 3] and len(history.history["loss"]) == 4


def test_a_checkpoint_keeps_one_weights_file_named_by_its_state_file(tmp_path):
    training.fit(_model(), X, Y, batch_size=10, epochs=3, checkpoint_dir=tmp_path, verbose=0)
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    assert state["epochs_completed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json", state["weights"]]


def test_a_finished_run_started_again_trains_no_more(tmp_path):
    model = _model()
    training.fit(model, X, Y, batch_size=10, epochs=2, checkpoint_dir=tmp_path, verbose=0)
    history = training.fit(model, X, Y, batch_size=10, epochs=2, checkpoint_dir=tmp_path, verbose=0)
    assert model.optimizer.iterations.numpy() == 10 and history.epoch == [0, 1]


def test_a_dataset_under_the_multi_worker_loop_is_refused_before_compiling():
    import tensorflow as tf

    workers = Distribution("tensorflow", "multi_worker_mirrored", "cpu", ("a",), num_replicas=2, num_processes=2)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="takes NumPy arrays"):
        training.fit(model, tf.data.Dataset.from_tensor_slices((X, Y)).batch(10), distribution=workers)
    assert not model.compiled


def _replicas(count: int) -> Distribution:
    return Distribution("tensorflow", "mirrored", "cpu", ("a", "b")[:count], num_replicas=count)


def test_the_last_partial_batch_is_kept_on_one_replica_and_dropped_on_several_by_default():
    assert remainder_policy(_replicas(1)) == "keep"
    assert remainder_policy(_replicas(2)) == "drop"
    assert remainder_policy(_replicas(2), "pad") == "pad"


def test_an_unknown_remainder_is_refused_with_the_valid_names():
    with pytest.raises(
        ValueError, match=r"`remainder` must be one of 'keep', 'drop', 'pad'. Received: remainder='dorp'"
    ):
        training.fit(_model(), X, Y, batch_size=10, remainder="dorp")


def test_fit_compiles_the_model_inside_the_variable_scope_its_distribution_names(monkeypatch):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    compiled_inside = []

    @contextlib.contextmanager
    def variable_scope(self):
        before = model.compiled
        yield
        compiled_inside.append(model.compiled and not before)

    monkeypatch.setattr(Distribution, "variable_scope", variable_scope)
    training.fit(model, X, Y, epochs=1, optimizer="sgd", loss="sparse_categorical_crossentropy", verbose=0)
    assert compiled_inside == [True]
