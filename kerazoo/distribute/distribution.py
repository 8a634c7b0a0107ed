"""`Distribution`: what `scope` set up, and the one place that answers what training code asks of it."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from kerazoo._validation import require_positive_int

logger = logging.getLogger("kerazoo.distribute")


@dataclass(frozen=True)
class Distribution:
    """The training setup chosen by `kerazoo.distribute.scope` (or `resolve`).

    Attributes:
        backend: the Keras backend, "tensorflow", "jax" or "torch".
        kind: "off", "one_device", "mirrored", "multi_worker_mirrored" or "tpu" on TensorFlow;
            "one_device", "data_parallel" or "model_parallel" on JAX; "one_device" on torch.
        platform: "cpu", "gpu" or "tpu".
        devices: the devices this process computes on.
        num_replicas: model replicas over all processes: the number the global batch is split into.
        num_processes: processes (hosts or workers) taking part.
        process_id: this process's index; process 0 is the chief, the one that writes checkpoints.
        strategy: the `tf.distribute.Strategy` on TensorFlow, else None.
        distribution: the `keras.distribution.Distribution` on JAX, else None (one device).
        gpu_compute_capability: (major, minor) of the first GPU, when there is one.
    """

    backend: str
    kind: str
    platform: str
    devices: tuple[str, ...]
    num_replicas: int = 1
    num_processes: int = 1
    process_id: int = 0
    strategy: Any = field(default=None, repr=False)
    distribution: Any = field(default=None, repr=False)
    gpu_compute_capability: tuple[int, int] | None = None

    @property
    def is_chief(self) -> bool:
        """True for the one process that writes checkpoints and logs."""
        return self.process_id == 0

    @property
    def needs_own_loop(self) -> bool:
        """True where Keras's `model.fit` fails and `kerazoo.training.fit` runs its own loop (keras#20585)."""
        return self.kind == "multi_worker_mirrored"

    def describe(self) -> str:
        """One line: backend, kind, replicas, processes and devices."""
        shown = ", ".join(self.devices[:4]) + (f", ... ({len(self.devices)} in all)" if len(self.devices) > 4 else "")
        processes = f", process {self.process_id} of {self.num_processes}" if self.num_processes > 1 else ""
        return (
            f"{self.backend} backend, {self.kind} on {self.platform}: {self.num_replicas} replica(s)"
            f"{processes}; devices: {shown}"
        )

    def global_batch_size(self, per_replica: int) -> int:
        """The global batch that gives each replica `per_replica` examples."""
        require_positive_int(per_replica=per_replica)
        return per_replica * self.num_replicas

    def check_batch_size(self, batch_size: int) -> None:
        """Refuses a global batch that the replicas cannot share equally, before any training starts."""
        require_positive_int(batch_size=batch_size)
        if batch_size % self.num_replicas:
            low = batch_size - batch_size % self.num_replicas
            raise ValueError(
                f"The global batch size must divide by the number of replicas, so that every replica gets an "
                f"equal share. Received: batch_size={batch_size}, num_replicas={self.num_replicas} ({self.kind}). "
                f"Use {low or self.num_replicas} or {low + self.num_replicas}, or global_batch_size(per_replica)."
            )

    def variable_scope(self):
        """Where variables must be created to be mirrored or sharded: the strategy's scope on TensorFlow, the
        `keras.distribution`'s on JAX, a null context on one device. `scope()` enters it; so does
        `training.fit` for what it builds after `scope()` has exited (an optimizer compiled or built to
        restore a checkpoint)."""
        if self.strategy is not None:
            return self.strategy.scope()
        if self.distribution is not None:
            return self.distribution.scope()
        return contextlib.nullcontext()

    def compile_kwargs(self, **kwargs) -> dict:
        """`kwargs` for `model.compile`, less what this setup cannot run, each removal logged with its cause."""
        kwargs = dict(kwargs)
        several = self.backend == "tensorflow" and self.num_replicas > 1
        if several and kwargs.get("jit_compile") is True:
            logger.warning("jit_compile=True is turned off: XLA under a tf.distribute strategy fails (keras#19005).")
            kwargs["jit_compile"] = False
        if several and kwargs.get("steps_per_execution", 1) > 1:
            logger.warning(
                "steps_per_execution=%s is set to 1: several steps per call fail under a tf.distribute strategy "
                "(keras#19246).",
                kwargs["steps_per_execution"],
            )
            kwargs["steps_per_execution"] = 1
        return kwargs
