"""`initialize()`: join the other processes of a job before anything starts TensorFlow's or JAX's runtime.

Both runtimes let a process join others only before its first operation: TensorFlow configures collective
ops at program start-up, and `jax.distributed.initialize` must come before any JAX computation. Loading
or resizing data first (`data.load_digits(image_size=...)` runs a `keras.ops` op) is enough to make the
join impossible, so the join has to happen before user code runs anything, which `scope("auto")` cannot
promise. Hence:

- In a process started as one of several, kerazoo joins by itself, right after Keras is imported (at once
  if it already is), once `kerazoo.distribute` has been imported: `import keras` runs no operation, so
  the usual head of a script (`import keras`, `from kerazoo import data, distribute, ...`) joins before
  anything else can run. "One of several" means the variables a launcher sets for each process of the
  job: `KERAS_DISTRIBUTION_NUM_PROCESSES` > 1 (JAX), or a `TF_CONFIG` that names several workers with
  this process one of them (TensorFlow); `kerazoo launch` sets both. `import kerazoo.distribute` itself
  still imports neither Keras, TensorFlow nor JAX, so the backend chosen before `import keras` counts.
- Elsewhere nothing happens by itself: no cluster named, or only a TPU pod's host list (every host of a
  pod has it, also when one host runs a script alone; joining would wait for hosts that never come), or
  a process that `multiprocessing` started from a job's process (it inherits the variables, and would
  try to join as its parent a second time). `initialize()` or `scope("auto")` joins there.
- What joining by itself costs, on purpose: the job's process joins even when it then trains with
  `kind="off"` or never enters a scope (a second or so; every process named must start, as a launcher
  does); and the runtime starts at the join, so device settings that must precede it
  (`tf.config.experimental.set_memory_growth`, logical devices, JAX config flags) go before the imports
  of Keras and kerazoo.distribute. `KERAZOO_AUTO_INITIALIZE=0` turns the automatic join off: then call
  `initialize()` after those settings.
- Where the runtime had already started, the automatic join stays quiet, and `initialize()` or
  `scope("auto")` raises one `TooLateToJoinError` that says to call `initialize()` at the top of the
  script, instead of TensorFlow's or JAX's RuntimeError.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os

from kerazoo import _lazy
from kerazoo.distribute import _cluster

logger = logging.getLogger("kerazoo.distribute")
AUTO_VARIABLE = "KERAZOO_AUTO_INITIALIZE"


class TooLateToJoinError(RuntimeError):
    """This process ran a TensorFlow or JAX operation before joining the others of its job, which can no
    longer happen; `kerazoo.distribute.initialize()` must come first in the script."""


def _too_late(backend: str, job: str) -> TooLateToJoinError:
    """The error for a process of `job` (what names it: "2 workers in TF_CONFIG") whose runtime started."""
    name, rule = {
        "tensorflow": ("TensorFlow", "TensorFlow configures its collective ops only at program start-up"),
        "jax": ("JAX", "jax.distributed can join processes only before JAX's first computation"),
    }[backend]
    return TooLateToJoinError(
        f"This process is one of {job}, but it ran a {name} operation before joining the others (loading or "
        f"resizing data, a keras.ops call, a tensor made outside distribute.scope), and {rule}. Call "
        "kerazoo.distribute.initialize() at the top of the script, before loading data or running anything "
        "else (or enter distribute.scope('auto') there); in a process started as one of several, importing "
        "Keras and kerazoo.distribute before that operation is enough."
    )


def initialize() -> None:
    """Joins the other processes of the job the environment names; a no-op on one process, and when joined.

    TensorFlow: creates the `MultiWorkerMirroredStrategy` of `TF_CONFIG`, which `scope("auto")` and
    `get_strategy` then use. JAX: `keras.distribution.initialize()` from `KERAS_DISTRIBUTION_*` (or a TPU
    pod's hosts), with gloo collectives on CPU. Call it at the top of the script, before loading data;
    in a process started as one of several, importing `kerazoo.distribute` and Keras already did it
    (see the module docstring). Without a cluster it imports nothing.

    Raises:
        TooLateToJoinError: when this process already ran a TensorFlow or JAX operation, so the backend
            can no longer join the others.
    """
    tf_job = _cluster.tf_workers() > 1
    if not (tf_job or _cluster.jax_multi_process_requested()):
        return
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow" and tf_job:
        multi_worker_strategy()
    elif backend == "jax" and _cluster.jax_multi_process_requested():
        join_jax_processes()


@functools.cache
def multi_worker_strategy():
    """The process's one `MultiWorkerMirroredStrategy` (from `TF_CONFIG`), made by the first caller: on
    TensorFlow, making it is what joins the other workers.

    TensorFlow configures collective ops once, before its runtime starts, so the strategy that
    `initialize()` makes at the top of a script is the one every later scope must use.
    """
    import tensorflow as tf

    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:
        # TensorFlow's words (context.configure_collective_ops); any other RuntimeError is not ours to explain.
        if "configured at program startup" not in str(error):
            raise
        raise _too_late("tensorflow", f"the {_cluster.tf_workers()} workers in TF_CONFIG") from None


def join_jax_processes() -> None:
    """Joins the other JAX processes once (`keras.distribution.initialize`), with gloo collectives on CPU.

    Must run before JAX starts its runtime: the first `jax.devices()` fixes the process's view of the world.
    """
    import jax
    import keras

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
        raise _too_late("jax", _jax_job()) from None


def _jax_job() -> str:
    """What names this JAX process's job, for the error that says it joined too late."""
    if "KERAS_DISTRIBUTION_NUM_PROCESSES" in os.environ:
        return f"the {os.environ['KERAS_DISTRIBUTION_NUM_PROCESSES']} processes of KERAS_DISTRIBUTION_NUM_PROCESSES"
    if any(name in os.environ for name in _cluster.JAX_VARIABLES):
        return "the processes that KERAS_DISTRIBUTION_* name"
    return "the hosts of a TPU pod (TPU_WORKER_HOSTNAMES)"


def started_as_one_of_several() -> bool:
    """True when this process should join its job by itself (see the module docstring for when and why)."""
    if os.environ.get(AUTO_VARIABLE, "1") == "0":
        return False
    try:
        cluster = _cluster.tf_cluster()
        jax_job = int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")) > 1
    except ValueError:  # malformed variables: scope("auto") says what is wrong when the script asks for it
        return False
    # Only a chief or worker joins a TF_CONFIG job (MultiWorkerMirroredStrategy); an evaluator does not.
    tf_job = cluster is not None and len(cluster.workers) > 1 and cluster.task_type in ("chief", "worker")
    if not (tf_job or jax_job):
        return False
    # A multiprocessing child imports the main module again (spawn, forkserver: `_inheriting` while it
    # does, as multiprocessing's own checks read it) with its parent's variables.
    child = multiprocessing.parent_process() is not None
    return not (child or getattr(multiprocessing.current_process(), "_inheriting", False))


def initialize_when_keras_loads() -> None:
    """Joins right after Keras is imported (now if it already is) in a process started as one of several."""
    if started_as_one_of_several():
        _lazy.after_import("keras", _join_if_not_too_late)


def _join_if_not_too_late() -> None:
    try:
        initialize()
    except TooLateToJoinError:
        # Nothing asked to join yet (a script may train with kind="off"); scope("auto") raises it if asked.
        logger.debug("kerazoo: the runtime started before this process could join the others", exc_info=True)
