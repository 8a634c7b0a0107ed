"""`scope(kind)`: one entry point that spreads training over what this machine (and cluster) has."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from kerazoo._keras_config import dtype_policy
from kerazoo._validation import require_choice
from kerazoo.distribute import _jax, _tf
from kerazoo.distribute.distribution import Distribution, logger
from kerazoo.distribute.precision import precision_policy
from kerazoo.distribute.tpu import not_found

KINDS = ("auto", "off", "one_device", "mirrored", "multi_worker_mirrored", "tpu")
PRECISIONS = (None, "auto", "float32", "mixed_float16", "mixed_bfloat16")


def get_strategy(kind: str = "auto", *, tpu: str | None = None):
    """The `tf.distribute.Strategy` for `kind`, as tf-models' `get_distribution_strategy` gives it.

    Args:
        kind: "auto" (several workers when `TF_CONFIG` names them, else every GPU, else a TPU that really
            initialises, else the default strategy), "off", "one_device", "mirrored" (every GPU, or every
            logical CPU), "multi_worker_mirrored" (from `TF_CONFIG`) or "tpu".
        tpu: a TPU name or `grpc://` address; by default `$TPU_NAME`, `$COLAB_TPU_ADDR`, or the local TPU of a
            TPU VM when its device files exist.

    Raises:
        ValueError: for an unknown kind, or on a Keras backend other than TensorFlow (use `scope` there).
        TPUNotFoundError: for "tpu" when no TPU initialises; it never falls back silently.
    """
    import keras

    require_choice("kind", kind, KINDS)
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"get_strategy() returns a tf.distribute strategy, which trains TensorFlow-backend models only; the "
            f"Keras backend is {keras.backend.backend()!r}. Use kerazoo.distribute.scope(kind), which picks "
            "keras.distribution on JAX."
        )
    return _tf.strategy(kind, tpu)


def resolve(
    kind: str = "auto", *, layout_map=None, model_parallel: int | None = None, tpu: str | None = None
) -> Distribution:
    """The `Distribution` that `scope` would enter, without entering it. Arguments as in `scope`."""
    import keras

    require_choice("kind", kind, KINDS)
    backend = keras.backend.backend()
    if layout_map is not None and backend != "jax":
        raise ValueError(f"`layout_map` needs the JAX backend (keras.distribution). The backend is {backend!r}.")
    if backend == "tensorflow":
        return _tf.tensorflow_distribution(kind, tpu)
    if backend == "jax":
        if isinstance(layout_map, str):
            from kerazoo import models  # builds Keras models: imported only when a model name asks for it

            layout_map = functools.partial(models.layout_map, layout_map)
        return _jax.jax_distribution(kind, layout_map, model_parallel)
    if kind not in ("auto", "off", "one_device"):
        if kind == "tpu":
            raise not_found(backend, tried="nothing: kerazoo reaches TPUs through JAX or TensorFlow only")
        raise ValueError(
            f"kind={kind!r} needs the TensorFlow or JAX backend; on {backend!r} kerazoo trains on one device. "
            "Use kind='auto' or 'one_device'."
        )
    logger.info("The %s backend has no kerazoo distribution; training runs on one device.", backend)
    import torch

    platform, device = ("gpu", "cuda:0") if torch.cuda.is_available() else ("cpu", "cpu")
    return Distribution(backend=backend, kind="one_device", platform=platform, devices=(device,))


@contextlib.contextmanager
def scope(
    kind: str = "auto",
    *,
    layout_map=None,
    model_parallel: int | None = None,
    tpu: str | None = None,
    precision: str | None = None,
) -> Iterator[Distribution]:
    """Build and compile inside: `with distribute.scope("auto") as dist: model = ...; model.compile(...)`.

    On TensorFlow this enters a `tf.distribute` strategy (see `get_strategy` for the kinds). On JAX it
    sets a `keras.distribution`: on several processes (`KERAS_DISTRIBUTION_*` variables, or a TPU pod's
    hosts) it first joins them, then `DataParallel` over every device, or `ModelParallel` when a layout
    map is given. On torch it trains on one device. The previous distribution and dtype policy come back
    on exit.

    Args:
        kind: one of `KINDS`; on JAX, "mirrored" and "multi_worker_mirrored" mean data parallel, "off" and
            "one_device" one device.
        layout_map: JAX only. A `keras.distribution.LayoutMap`, a function of a `DeviceMesh` returning one,
            or a registered model name (`"gpt"`) to use that family's layout map.
        model_parallel: JAX only. How many devices share one model replica (the "model" mesh axis);
            by default every device of a process.
        tpu: TensorFlow only: a TPU name or address (see `get_strategy`).
        precision: None keeps the dtype policy; "auto" applies `precision_policy` (bfloat16 on TPU and
            recent GPUs, float16 on older GPUs, float32 on CPU); or a policy name.

    Yields:
        The `Distribution`: `describe()`, `num_replicas`, `global_batch_size()`, `compile_kwargs()`, ...
    """
    require_choice("precision", precision, PRECISIONS)
    info = resolve(kind, layout_map=layout_map, model_parallel=model_parallel, tpu=tpu)
    logger.info("training on %s", info.describe())
    with contextlib.ExitStack() as stack:
        stack.enter_context(info.variable_scope())
        policy = precision_policy(info) if precision == "auto" else precision
        if policy is not None:
            stack.enter_context(dtype_policy(policy))
        yield info
