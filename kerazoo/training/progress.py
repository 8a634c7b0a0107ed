"""What a run will cost, said early: the model's size at the start, the time per epoch after the first steps."""

from __future__ import annotations

import logging
import time

import keras

logger = logging.getLogger("kerazoo.training")

# The first step compiles; the estimate times the steps after it, up to this many.
TIMED_STEPS = 3
# A run estimated to take longer than this at a model's default size gets a warning with a smaller one.
LONG_RUN_SECONDS = 10 * 60


def duration(seconds: float) -> str:
    """ "45 s", "3 min 20 s", "2 h 5 min"."""
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class CostEstimate(keras.callbacks.Callback):
    """Logs the model's size when training starts and, after the first steps, about how long an epoch and
    the rest of the run will take. With `smaller` (the `--set` options of a small configuration, given when
    the model runs at its default size), a run longer than `LONG_RUN_SECONDS` is warned about.

    The steps per epoch are those Keras tells its callbacks (`params["steps"]`).

    Args:
        smaller: e.g. "--set dim=64 --set num_layers=2", or None.
    """

    def __init__(self, *, smaller: str | None = None):
        super().__init__()
        self.smaller = smaller
        self._started: float | None = None
        self._epochs_left = 0
        self._done = False

    def on_train_begin(self, logs=None):
        logger.info("%s: %s parameters", self.model.name, f"{self.model.count_params():,}")

    def on_epoch_begin(self, epoch, logs=None):
        self._epochs_left = self.params.get("epochs", epoch + 1) - epoch

    def on_train_batch_end(self, batch, logs=None):
        steps_per_epoch = self.params.get("steps") or 0
        timed = min(TIMED_STEPS, steps_per_epoch - 1)
        if self._done or timed < 2:
            return
        if self._started is None:
            self._started = time.perf_counter()  # after the first step, which compiles
            return
        if batch < timed:
            return
        self._done = True
        per_step = (time.perf_counter() - self._started) / timed
        per_epoch = per_step * steps_per_epoch
        remaining = per_epoch * self._epochs_left
        logger.info(  # on a line of its own, below the progress bar's
            "\nabout %s per epoch (%.2g s per step), %s for the %d epoch(s) to go",
            duration(per_epoch),
            per_step,
            duration(remaining),
            self._epochs_left,
        )
        if self.smaller and remaining > LONG_RUN_SECONDS:
            logger.warning(
                "\n%s at its default size needs about %s on this machine. For a quick run, stop it (Ctrl-C) and "
                "start again with its small configuration: %s",
                self.model.name,
                duration(remaining),
                self.smaller,
            )
