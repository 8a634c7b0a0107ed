"""keras.distribution on JAX: the route on today's Colab and Cloud TPUs, on GPUs and across hosts."""

from __future__ import annotations

import os

import keras

from kerazoo.distribute import _cluster
from kerazoo.distribute.info import Distribution
from kerazoo.distribute.tpu import not_found

MESH_AXES = ("batch", "model")


def initialize_processes() -> None:
    """Joins the other processes once (`keras.distribution.initialize`), with gloo collectives on CPU.

    Must run before JAX starts its runtime: the first `jax.devices()` fixes the process's view of the world.
    """
    import jax

    from kerazoo.distribute.processes import too_late

    if jax.distributed.is_initialized():
        return
    # CPU processes have no collectives of their own; gloo is the one JAX ships. Set before JAX initialises.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        keras.distribution.initialize()
    except RuntimeError as error:
        # JAX's own words (jax.distributed.initialize); any other RuntimeError is not ours to explain.
        if "must be called before any JAX" not in str(error):
            raise
        raise too_late("jax", _job()) from None


def _job() -> str:
    """What names this process's job, for the error that says it joined too late."""
    if "KERAS_DISTRIBUTION_NUM_PROCESSES" in os.environ:
        return f"the {os.environ['KERAS_DISTRIBUTION_NUM_PROCESSES']} processes of KERAS_DISTRIBUTION_NUM_PROCESSES"
    if any(name in os.environ for name in _cluster.JAX_VARIABLES):
        return "the processes that KERAS_DISTRIBUTION_* name"
    return "the hosts of a TPU pod (TPU_WORKER_HOSTNAMES)"


def resolve(kind: str, layout_map, model_parallel: int | None) -> Distribution:
    import jax

    if kind in ("auto", "multi_worker_mirrored", "tpu") and _cluster.jax_multi_process_requested():
        initialize_processes()
    platform = jax.default_backend()
    if kind == "tpu" and platform != "tpu":
        raise not_found("JAX", tried=f"jax.default_backend() (it is {platform!r}, not 'tpu')")
    devices = jax.devices()
    names = tuple(str(device) for device in devices)
    capability = None
    if platform == "gpu" and getattr(devices[0], "compute_capability", None):
        capability = tuple(int(part) for part in str(devices[0].compute_capability).split(".")[:2])
    common = {
        "backend": "jax",
        "platform": platform,
        "num_processes": jax.process_count(),
        "process_id": jax.process_index(),
        "gpu_compute_capability": capability,
    }
    if kind in ("off", "one_device") or (len(devices) == 1 and layout_map is None):
        # This process's own device: after joining, jax.devices() lists every process's.
        return Distribution(kind="one_device", devices=(str(jax.local_devices()[0]),), **common)
    if layout_map is None:
        return Distribution(
            kind="data_parallel",
            devices=names,
            num_replicas=len(devices),
            distribution=keras.distribution.DataParallel(devices=keras.distribution.list_devices()),
            **common,
        )
    model_size = model_parallel or jax.local_device_count()
    if len(devices) % model_size:
        raise ValueError(
            f"`model_parallel` must divide the number of devices. Received: model_parallel={model_size}, "
            f"devices={len(devices)}"
        )
    if not isinstance(layout_map, keras.distribution.LayoutMap):
        mesh_shape = (len(devices) // model_size, model_size)
        layout_map = layout_map(keras.distribution.DeviceMesh(mesh_shape, MESH_AXES, keras.distribution.list_devices()))
    mesh = layout_map.device_mesh
    return Distribution(
        kind="model_parallel",
        devices=names,
        num_replicas=mesh.shape[0],  # the first mesh axis splits the batch, the others the weights
        distribution=keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name=mesh.axis_names[0]),
        **common,
    )
