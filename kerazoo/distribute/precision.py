"""The mixed-precision policy that suits the hardware a `Distribution` runs on."""

from __future__ import annotations

from kerazoo.distribute.distribution import Distribution


def precision_policy(distribution: Distribution) -> str | None:
    """`"mixed_bfloat16"` on TPUs and GPUs of compute capability 8 or more (A100, H100), `"mixed_float16"`
    on compute capability 7 (V100, T4), None (float32) on CPUs and older GPUs, where neither is faster.
    """
    if not isinstance(distribution, Distribution):
        raise TypeError(
            "`distribution` must be the Distribution that kerazoo.distribute.scope() yields. "
            f"Received: {type(distribution).__name__}"
        )
    if distribution.platform == "tpu":
        return "mixed_bfloat16"
    capability = distribution.gpu_compute_capability
    if distribution.platform == "gpu" and capability:
        if capability >= (8, 0):
            return "mixed_bfloat16"
        if capability >= (7, 0):
            return "mixed_float16"
    return None
