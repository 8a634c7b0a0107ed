"""scope("auto") and training.fit on whichever backend runs the suite; test_backends.py also runs this file
on JAX with TensorFlow hidden, where fit lets Keras batch the arrays itself."""

import keras
import numpy as np

from kerazoo import distribute, models, training

X = np.random.default_rng(0).normal(size=(48, 18, 18, 1)).astype("float32")
Y = (X.mean(axis=(1, 2, 3)) > 0).astype("int32")


def test_auto_on_one_cpu_is_one_replica_of_this_backend():
    with distribute.scope("auto") as dist:
        assert dist.backend == keras.backend.backend()
        assert (dist.platform, dist.num_replicas, dist.num_processes, dist.is_chief) == ("cpu", 1, 1, True)


def test_a_zoo_model_trains_through_scope_and_fit(tmp_path):
    keras.utils.set_random_seed(0)
    with distribute.scope("auto") as dist:
        model = models.build("simple_cnn", input_shape=(18, 18, 1), classes=2)
    before = [w.copy() for w in model.get_weights()]
    history = training.fit(
        model,
        X,
        Y,
        batch_size=16,
        epochs=2,
        distribution=dist,
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    assert history.epoch == [0, 1] and np.isfinite(history.history["loss"]).all()
    assert all(np.any(b != a) for b, a in zip(before, model.get_weights(), strict=True))
    assert (tmp_path / "checkpoint.json").exists()
