"""tf.distribute strategies, chosen the way tf-models' `get_distribution_strategy` does, TPU detected for real."""

from __future__ import annotations

from kerazoo.distribute import _cluster
from kerazoo.distribute.distribution import Distribution
from kerazoo.distribute.processes import multi_worker_strategy
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


def _strategy_of_kind(tf, kind: str, tpu: str | None):
    if kind == "off":
        return tf.distribute.get_strategy()
    if kind == "one_device":
        return tf.distribute.OneDeviceStrategy(_replica_devices(tf)[0])
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy(_replica_devices(tf))
    if kind == "multi_worker_mirrored":
        return multi_worker_strategy()
    return tensorflow_tpu_strategy(tpu)


def strategy(kind: str, tpu: str | None = None):
    """The `tf.distribute.Strategy` for `kind` ("auto" picks one first)."""
    import tensorflow as tf

    return _strategy_of_kind(tf, _auto_kind(tf, tpu) if kind == "auto" else kind, tpu)


def tensorflow_distribution(kind: str, tpu: str | None) -> Distribution:
    """The `Distribution` around the strategy for `kind` ("auto" picks one first)."""
    import tensorflow as tf

    kind = _auto_kind(tf, tpu) if kind == "auto" else kind
    chosen = _strategy_of_kind(tf, kind, tpu)
    # The default strategy has no device list of its own; it runs where TensorFlow places ops first.
    devices = tuple(chosen.extended.worker_devices) if kind != "off" else tuple(_replica_devices(tf)[:1])
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
