"""keras.distribution on JAX: the route on today's Colab and Cloud TPUs, on GPUs and across hosts."""

from __future__ import annotations

from kerazoo.distribute import _cluster
from kerazoo.distribute.distribution import Distribution
from kerazoo.distribute.processes import join_jax_processes
from kerazoo.distribute.tpu import not_found

MESH_AXES = ("batch", "model")


def jax_distribution(kind: str, layout_map, model_parallel: int | None) -> Distribution:
    """The `Distribution` around the `keras.distribution` for `kind`: one device, `DataParallel` over every
    device, or `ModelParallel` when a layout map (or a function of a `DeviceMesh` returning one) is given."""
    import jax
    import keras

    if kind in ("auto", "multi_worker_mirrored", "tpu") and _cluster.jax_multi_process_requested():
        join_jax_processes()
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
