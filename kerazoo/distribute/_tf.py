"""tf.distribute strategies, chosen the way tf-models' `get_distribution_strategy` does, TPU detected for real."""

from __future__ import annotations

from kerazoo.distribute import _cluster
from kerazoo.distribute.info import Distribution
from kerazoo.distribute.tpu import tensorflow_tpu_strategy, tf_tpu_address


def _auto_kind(tf, tpu) -> str:
    cluster = _cluster.tf_cluster()
    if cluster is not None and len(cluster.workers) > 1:
        return "multi_worker_mirrored"
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return "mirrored"
    if gpus:
        return "one_device"
    # Only where something points at a TPU: TPUClusterResolver("local") "succeeds" on any machine.
    return "tpu" if tf_tpu_address(tpu) is not None else "off"


def _replica_devices(tf) -> list[str]:
    """Every GPU; with none, every logical CPU (tests split one CPU into two, as Keras's own tests do)."""
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return [device.name for device in devices]


def strategy(kind: str, tpu: str | None = None):
    """The `tf.distribute.Strategy` for a resolved kind ("auto" picks one first)."""
    import tensorflow as tf

    if kind == "auto":
        kind = _auto_kind(tf, tpu)
    if kind == "off":
        return tf.distribute.get_strategy()
    if kind == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy(_replica_devices(tf))
    if kind == "multi_worker_mirrored":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tensorflow_tpu_strategy(tpu)


def _default_device(tf) -> str:
    gpus = tf.config.list_logical_devices("GPU")
    return (gpus or tf.config.list_logical_devices("CPU"))[0].name


def _kind_of(tf, chosen) -> str:
    if isinstance(chosen, tf.distribute.MultiWorkerMirroredStrategy):
        return "multi_worker_mirrored"
    if isinstance(chosen, tf.distribute.MirroredStrategy):
        return "mirrored"
    if isinstance(chosen, tf.distribute.OneDeviceStrategy):
        return "one_device"
    if isinstance(chosen, tf.distribute.TPUStrategy):
        return "tpu"
    return "off"


def resolve(kind: str, tpu: str | None) -> Distribution:
    import tensorflow as tf

    chosen = strategy(kind, tpu)
    kind = _kind_of(tf, chosen)
    # The default strategy has no device list of its own; it runs where TensorFlow places ops.
    devices = tuple(chosen.extended.worker_devices) if kind != "off" else (_default_device(tf),)
    platform = "tpu" if kind == "tpu" else "gpu" if any("GPU" in d.upper() for d in devices) else "cpu"
    capability = None
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
    cluster = _cluster.tf_cluster() if kind == "multi_worker_mirrored" else None
    return Distribution(
        backend="tensorflow",
        kind=kind,
        platform=platform,
        devices=devices,
        num_replicas=chosen.num_replicas_in_sync,
        num_processes=len(cluster.workers) if cluster else 1,
        process_id=cluster.task_index if cluster else 0,
        strategy=chosen,
        gpu_compute_capability=tuple(capability) if capability else None,
    )
