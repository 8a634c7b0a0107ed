"""One entry point for CPUs, GPUs, TPUs and several hosts: tf.distribute on TensorFlow, keras.distribution on JAX.

with distribute.scope("auto") as dist:
    model = models.build("resnet18", classes=10)
    model.compile(**dist.compile_kwargs(optimizer="adam", loss="sparse_categorical_crossentropy"))
training.fit(model, x, y, batch_size=dist.global_batch_size(32), distribution=dist)

TensorFlow and JAX are imported when a function first needs them, never at `import kerazoo.distribute`.
A process of a multi-process job must join the others before its first TensorFlow or JAX operation:
in a process started as one of several (`kerazoo launch`, `TF_CONFIG`, `KERAS_DISTRIBUTION_*`), it joins
by itself right after Keras is imported; elsewhere `initialize()` at the top of the script does it (see
`kerazoo.distribute.processes` for when, and why).
"""

from kerazoo.distribute import processes
from kerazoo.distribute.distribution import Distribution
from kerazoo.distribute.launch import launch
from kerazoo.distribute.precision import precision_policy
from kerazoo.distribute.processes import TooLateToJoinError, initialize
from kerazoo.distribute.scope import KINDS, get_strategy, resolve, scope
from kerazoo.distribute.tpu import TPUNotFoundError

__all__ = [
    "KINDS",
    "Distribution",
    "TPUNotFoundError",
    "TooLateToJoinError",
    "get_strategy",
    "initialize",
    "launch",
    "precision_policy",
    "resolve",
    "scope",
]

processes.initialize_when_keras_loads()
