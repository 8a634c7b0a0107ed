"""What the environment says about the cluster: `TF_CONFIG` on TensorFlow, `KERAS_DISTRIBUTION_*` on JAX.

Read without importing TensorFlow or JAX, so "auto" can decide before either starts its runtime.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

JAX_VARIABLES = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID",
)


@dataclass(frozen=True)
class TFCluster:
    workers: tuple[str, ...]
    task_type: str
    task_index: int


def tf_cluster() -> TFCluster | None:
    """The cluster `TF_CONFIG` names, or None when it is unset or names no worker."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        config = json.loads(raw)
        workers = tuple(config.get("cluster", {}).get("chief", [])) + tuple(config["cluster"].get("worker", []))
        task = config.get("task", {})
        return TFCluster(workers, task.get("type", "worker"), int(task.get("index", 0))) if workers else None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(
            "`TF_CONFIG` must be JSON like "
            '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": 0}}. '
            f"Received: TF_CONFIG={raw!r} ({error})"
        ) from None


def tf_workers() -> int:
    """How many workers, the chief included, `TF_CONFIG` names; 0 when it names none."""
    cluster = tf_cluster()
    return len(cluster.workers) if cluster else 0


def jax_multi_process_requested() -> bool:
    """True when the launcher set Keras's multi-process variables, or a Cloud TPU pod has several hosts."""
    if any(name in os.environ for name in JAX_VARIABLES):
        return int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")) > 1
    # Every host of a TPU pod slice sees all hosts' names; jax.distributed finds the rest itself.
    return "," in os.environ.get("TPU_WORKER_HOSTNAMES", "")
