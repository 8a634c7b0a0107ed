"""Finding a TPU for real: no silent fallback, no network look-up when nothing points at one."""

from __future__ import annotations

import glob
import os
from importlib import metadata


class TPUNotFoundError(RuntimeError):
    """Raised by `get_strategy("tpu")` and `scope("tpu")` when no TPU can be used here."""


def _installed(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def local_tpu_devices() -> list[str]:
    """Device files a TPU VM exposes (`/dev/accel*` on v2-v4, `/dev/vfio/*` on v5 and later)."""
    return sorted(glob.glob("/dev/accel*") + [path for path in glob.glob("/dev/vfio/*") if path != "/dev/vfio/vfio"])


def tf_tpu_address(tpu: str | None) -> str | None:
    """Where TensorFlow should look for a TPU: the argument, `TPU_NAME`, Colab's `COLAB_TPU_ADDR` or "local"."""
    if tpu:
        return tpu
    if os.environ.get("TPU_NAME"):
        return os.environ["TPU_NAME"]
    if os.environ.get("COLAB_TPU_ADDR"):
        return f"grpc://{os.environ['COLAB_TPU_ADDR']}"
    return "local" if local_tpu_devices() else None


def not_found(backend: str, *, tried: str, cause: BaseException | None = None) -> TPUNotFoundError:
    """One error that says what was tried, what is installed, and which route works on today's TPUs."""
    versions = {name: _installed(name) for name in ("tensorflow", "tensorflow-cpu", "tensorflow-tpu", "jax", "libtpu")}
    installed = ", ".join(f"{name} {version}" for name, version in versions.items() if version) or "no TPU runtime"
    if not versions["libtpu"]:
        installed += "; libtpu is not installed"
    devices = local_tpu_devices()
    reason = f" ({type(cause).__name__}: {cause})" if cause else ""
    return TPUNotFoundError(
        f"No TPU found on the {backend} backend. Tried: {tried}{reason}. TPU device files: "
        f"{', '.join(devices) if devices else 'none (/dev/accel*, /dev/vfio/*)'}. Installed: {installed}. "
        "Current Colab TPU runtimes and Cloud TPU VMs run Keras on JAX: `pip install -U 'jax[tpu]'`, set "
        "KERAS_BACKEND=jax before importing Keras, and use kerazoo.distribute.scope('auto'). TensorFlow on TPU "
        "needs the tensorflow-tpu build on a TPU VM. Or pass kind='auto' to run on the devices that are here."
    )


def tensorflow_tpu_strategy(tpu: str | None):
    """A `TPUStrategy` on a TPU that initialises, or `TPUNotFoundError`.

    `TPUClusterResolver(tpu="local")` succeeds on any machine, so it is only tried where a TPU VM's device
    files exist; with no name, address or device file nothing is contacted (no metadata-server look-up).
    """
    address = tf_tpu_address(tpu)
    if address is None:
        raise not_found("TensorFlow", tried="the `tpu` argument, $TPU_NAME and $COLAB_TPU_ADDR (all unset)")
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        if address != "local":
            tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except Exception as error:  # the resolver raises ValueError, NotFoundError, RuntimeError... by setup
        raise not_found("TensorFlow", tried=f"TPUClusterResolver(tpu={address!r})", cause=error) from error
    if not tf.config.list_logical_devices("TPU"):
        raise not_found("TensorFlow", tried=f"TPUClusterResolver(tpu={address!r}) initialised no TPU device")
    return tf.distribute.TPUStrategy(resolver)
