"""Several devices in one process: MirroredStrategy over 2 logical CPUs (TensorFlow), DataParallel and
ModelParallel over 2 virtual CPU devices (JAX). Each case runs in a fresh interpreter (tests/distribute/jobs.py)."""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import pytest
from jobs import max_difference, run_job

from kerazoo import names

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="starts its own processes")


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    """The single-device runs that every distributed run must reproduce, one per installed backend (Colab's
    GPU runtime has no JAX; the JAX tests skip there)."""
    jobs = {}
    for backend in ("tensorflow", "jax"):
        if importlib.util.find_spec(backend) is None:
            continue
        job = run_job("off", tmp_path_factory.mktemp(backend), backend=backend)
        assert job.returncode == 0, job.output
        jobs[backend] = job
    return jobs


def test_mirrored_over_two_logical_cpus_trains_to_the_single_device_weights(one_device, tmp_path):
    job = run_job("mirrored", tmp_path, devices=2)
    assert job.returncode == 0, job.output
    assert job.report()["kind"] == "mirrored" and job.report()["num_replicas"] == 2
    assert max_difference(job.weights(), one_device["tensorflow"].weights()) < 1e-5
    expected = one_device["tensorflow"].report()["history"]["val_loss"]
    assert job.report()["history"]["val_loss"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(("backend", "kind"), [("tensorflow", "mirrored"), ("jax", "auto")])
def test_a_finished_run_over_two_devices_starts_again_from_its_checkpoint(backend, kind, tmp_path):
    # Restoring builds Adam's moments, which must be made inside the strategy or the distribution.
    if backend == "jax":
        pytest.importorskip("jax")
    options = ("--checkpoint", str(tmp_path / "checkpoint"), "--epochs", "1", "--optimizer", "adam")
    first = run_job(kind, tmp_path / "first", backend=backend, devices=2, options=options)
    assert first.returncode == 0, first.output
    again = run_job(kind, tmp_path / "again", backend=backend, devices=2, options=options)
    assert again.returncode == 0, again.output
    assert max_difference(again.weights(), first.weights()) == 0.0


def test_jax_auto_over_two_devices_is_data_parallel_and_trains_to_the_single_device_weights(one_device, tmp_path):
    pytest.importorskip("jax")
    job = run_job("auto", tmp_path, backend="jax", devices=2)
    assert job.returncode == 0, job.output
    assert job.report()["kind"] == "data_parallel" and job.report()["num_replicas"] == 2
    assert max_difference(job.weights(), one_device["jax"].weights()) < 1e-5


@pytest.mark.parametrize(("backend", "kind"), [("tensorflow", "mirrored"), ("jax", "auto")])
def test_mixed_bfloat16_trains_across_two_devices_with_float32_variables(backend, kind, tmp_path):
    pytest.importorskip(backend)
    job = run_job(kind, tmp_path, backend=backend, devices=2, options=("--precision", "mixed_bfloat16"))
    assert job.returncode == 0, job.output
    report = job.report()
    assert report["compute_dtype"] == "bfloat16" and report["variable_dtypes"] == ["float32"]
    assert report["history"]["loss"][-1] < report["history"]["loss"][0]


SHARDING_REPORT = """
import json, keras
from kerazoo import distribute, models
report = {}
for name in models.list_models():
    if models.info(name).layout_map is None:
        continue
    with distribute.scope("auto", layout_map=name) as dist:
        model = models.build(name, **models.info(name).small_config)
    report[name] = {"kind": dist.kind, "specs": {v.path: [a for a in v.value.sharding.spec] for v in model.weights}}
print(json.dumps(report))
"""


def test_each_family_layout_map_shards_every_attention_ffn_and_embedding_kernel():
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    run = subprocess.run([sys.executable, "-c", SHARDING_REPORT], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert set(report) == {"gpt", "transformer_classifier", "transformer_seq2seq"}
    for name, model in report.items():
        assert model["kind"] == "model_parallel"
        meant = [p for p in model["specs"] if _meant_to_be_sharded(p)]
        assert len(meant) >= 8, (name, meant)
        # Every encoder and decoder layer's feed-forward kernels are checked, not only its attention's.
        stack_layers = {p.split("/")[0] for p in meant if f"/{names.SELF_ATTENTION}/" in p}
        assert stack_layers, (name, meant)
        ffn = [
            f"{layer}/{sublayer}/kernel" for layer in stack_layers for sublayer in (names.FFN_INNER, names.FFN_OUTER)
        ]
        missing = [p for p in ffn if p not in meant]
        assert not missing, f"{name}: no such feed-forward kernels among its weights: {missing}"
        unsharded = [p for p in meant if "model" not in model["specs"][p]]
        assert not unsharded, f"{name}: these kernels would be replicated, not sharded: {unsharded}"


def _meant_to_be_sharded(path):
    """An attention or feed-forward kernel, or an embedding table: what a Megatron layout map splits."""
    *layers, weight = path.split("/")
    if weight == "embeddings":
        return True
    sublayers = (names.SELF_ATTENTION, names.CROSS_ATTENTION, names.FFN_INNER, names.FFN_OUTER)
    return weight == "kernel" and any(sublayer in layers for sublayer in sublayers)


MODEL_PARALLEL_TRAINING = """
import numpy as np, keras
from kerazoo import distribute, models, training
config = {**models.info("gpt").small_config, "dropout": 0.0}
tokens = np.random.default_rng(0).integers(1, config["vocab_size"], (32, config["max_length"] + 1)).astype("int32")
weights = []
for kind, layout in (("off", None), ("auto", "gpt")):
    keras.utils.set_random_seed(0)
    with distribute.scope(kind, layout_map=layout) as dist:
        model = models.build("gpt", **config)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    training.fit(model, tokens[:, :-1], tokens[:, 1:], batch_size=8, epochs=2, distribution=dist,
                 optimizer=keras.optimizers.SGD(0.1), loss=loss, verbose=0)
    weights.append([np.asarray(w) for w in model.get_weights()])
print(dist.kind, max(float(np.abs(a - b).max()) for a, b in zip(*weights)))
"""


def test_a_gpt_sharded_by_its_layout_map_trains_to_the_single_device_weights():
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    run = subprocess.run([sys.executable, "-c", MODEL_PARALLEL_TRAINING], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-4000:]
    kind, difference = run.stdout.split()[-2:]
    assert kind == "model_parallel" and float(difference) < 1e-5
