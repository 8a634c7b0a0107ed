"""distribute.scope / resolve / get_strategy on this process's backend (TensorFlow, one CPU)."""

import logging
import time

import keras
import pytest

from kerazoo import distribute
from kerazoo.distribute import Distribution

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the TensorFlow run checks these")

NO_TPU_VARIABLES = ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_WORKER_HOSTNAMES", "TF_CONFIG")


def _two_replicas(**overrides) -> Distribution:
    fields = {"backend": "tensorflow", "kind": "mirrored", "platform": "cpu", "devices": ("a", "b"), "num_replicas": 2}
    return Distribution(**{**fields, **overrides})


def test_unknown_kind_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match=r"`kind` must be one of 'auto', 'off'.*'tpu'.*Received: kind='mirorred'"):
        distribute.get_strategy("mirorred")


def test_tpu_with_no_tpu_raises_tpu_not_found_in_seconds_naming_the_jax_route(monkeypatch):
    for name in NO_TPU_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    start = time.monotonic()
    with pytest.raises(distribute.TPUNotFoundError) as raised:
        distribute.get_strategy("tpu")
    assert time.monotonic() - start < 60
    message = str(raised.value)
    assert "TPU_NAME" in message and "tensorflow" in message and "KERAS_BACKEND=jax" in message


def test_tpu_errors_are_runtime_errors_so_generic_handlers_see_them():
    assert issubclass(distribute.TPUNotFoundError, RuntimeError)


def test_auto_without_gpus_or_cluster_is_the_default_strategy_on_one_cpu(monkeypatch):
    for name in NO_TPU_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    info = distribute.resolve("auto")
    assert (info.kind, info.platform, info.num_replicas, info.num_processes) == ("off", "cpu", 1, 1)
    assert "tensorflow backend, off on cpu: 1 replica(s)" in info.describe()


def test_one_device_is_a_one_device_strategy():
    import tensorflow as tf

    assert isinstance(distribute.get_strategy("one_device"), tf.distribute.OneDeviceStrategy)


def test_a_batch_that_does_not_divide_by_the_replicas_is_refused_naming_both_numbers():
    with pytest.raises(ValueError, match=r"batch_size=7, num_replicas=2.*Use 6 or 8"):
        _two_replicas().check_batch_size(7)


def test_fit_refuses_an_indivisible_batch_before_training():
    import numpy as np

    from kerazoo import training

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="batch_size=5, num_replicas=2"):
        training.fit(model, np.zeros((10, 3)), np.zeros(10), batch_size=5, distribution=_two_replicas())
    assert not model.compiled  # refused before compiling, let alone training


def test_global_batch_size_multiplies_by_the_replicas():
    assert _two_replicas().global_batch_size(32) == 64


def test_compile_kwargs_drop_what_several_tensorflow_replicas_cannot_run(caplog):
    with caplog.at_level(logging.WARNING, logger="kerazoo.distribute"):
        kwargs = _two_replicas().compile_kwargs(optimizer="adam", jit_compile=True, steps_per_execution=4)
    assert kwargs == {"optimizer": "adam", "jit_compile": False, "steps_per_execution": 1}
    assert "keras#19005" in caplog.text and "keras#19246" in caplog.text


def test_compile_kwargs_keep_everything_on_one_replica():
    one = _two_replicas(num_replicas=1, devices=("a",))
    assert one.compile_kwargs(jit_compile=True, steps_per_execution=4) == {
        "jit_compile": True,
        "steps_per_execution": 4,
    }


@pytest.mark.parametrize(
    ("platform", "capability", "expected"),
    [
        ("tpu", None, "mixed_bfloat16"),
        ("gpu", (9, 0), "mixed_bfloat16"),
        ("gpu", (7, 5), "mixed_float16"),
        ("gpu", (6, 1), None),
        ("cpu", None, None),
    ],
)
def test_precision_policy_follows_the_hardware(platform, capability, expected):
    info = _two_replicas(platform=platform, gpu_compute_capability=capability)
    assert distribute.precision_policy(info) == expected


def test_scope_builds_variables_in_the_strategy_it_yields_and_leaves_it_on_exit():
    import tensorflow as tf

    with distribute.scope("one_device") as dist:
        assert tf.distribute.get_strategy() is dist.strategy
        variable = keras.Variable(1.0)
    assert variable.value._distribute_strategy is dist.strategy  # where TensorFlow records it
    assert tf.distribute.get_strategy() is not dist.strategy


def test_scope_applies_a_precision_and_restores_the_previous_policy():
    before = keras.config.dtype_policy().name
    with distribute.scope("off", precision="mixed_bfloat16"):
        assert keras.layers.Dense(2).dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == before


def test_a_layout_map_needs_the_jax_backend():
    with pytest.raises(ValueError, match="`layout_map` needs the JAX backend"):
        distribute.resolve("auto", layout_map="gpt")


def test_models_without_a_layout_map_say_which_models_have_one():
    from kerazoo import models

    with pytest.raises(ValueError, match="resnet18.*declares no layout map.*Models that do: gpt"):
        models.layout_map("resnet18", device_mesh=None)
