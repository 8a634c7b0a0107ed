"""Learning-rate schedules by name: constant, warm-up then cosine decay, and the Transformer paper's."""

from __future__ import annotations

import keras

from kerazoo._validation import require_choice, require_positive_int

SCHEDULES = ("constant", "cosine", "transformer")


@keras.saving.register_keras_serializable(package="kerazoo")
class InverseSquareRootSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Vaswani et al. (2017, §5.3): linear warm-up to `peak` over `warmup_steps`, then decay with 1/sqrt(step).

    The paper writes it as `dim**-0.5 * min(step**-0.5, step * warmup**-1.5)`; this is the same curve scaled
    to reach `peak` at the end of the warm-up, so the learning rate is stated, not derived from the width.
    """

    def __init__(self, peak: float, warmup_steps: int = 4000):
        require_positive_int(warmup_steps=warmup_steps)
        self.peak = peak
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = keras.ops.cast(step, "float32") + 1.0  # optimizers count from 0
        warmup = float(self.warmup_steps)
        return self.peak * keras.ops.minimum(step / warmup, keras.ops.sqrt(warmup / step))

    def get_config(self) -> dict:
        return {"peak": self.peak, "warmup_steps": self.warmup_steps}


def learning_rate_schedule(name: str, learning_rate: float, *, total_steps: int, warmup_fraction: float = 0.1):
    """The learning rate to give an optimizer: a float for "constant", else a `LearningRateSchedule`.

    Args:
        name: "constant", "cosine" (linear warm-up to `learning_rate`, then cosine decay to 0 at
            `total_steps`) or "transformer" (`InverseSquareRootSchedule` peaking at `learning_rate`).
        learning_rate: the constant rate, or the peak after warm-up.
        total_steps: optimizer steps in the whole run.
        warmup_fraction: the share of `total_steps` spent warming up.
    """
    require_choice("schedule", name, SCHEDULES)
    require_positive_int(total_steps=total_steps)
    if not learning_rate > 0:
        raise ValueError(f"`learning_rate` must be a positive number. Received: learning_rate={learning_rate!r}")
    if name == "constant":
        return learning_rate
    warmup = max(1, int(total_steps * warmup_fraction))
    if name == "transformer":
        return InverseSquareRootSchedule(learning_rate, warmup)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup),
        warmup_target=learning_rate,
        warmup_steps=warmup,
    )
