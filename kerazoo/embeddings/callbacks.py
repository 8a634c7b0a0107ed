"""Epoch callbacks for `train_word2vec`: its report, early stopping, and the protocol every callback follows.

`train_word2vec` calls each callback's gensim hooks (`on_train_begin`, `on_epoch_begin`, `on_epoch_end`,
`on_train_end`) where the callback has them, so gensim's `CallbackAny2Vec` subclasses work unchanged. As in
Keras, a callback ends training after the current epoch by setting `model.stop_training = True`. A callback
that reads the epoch records has a `set_report(report)` method: before training, `train_word2vec` hands it
the run's `TrainingReport` (as Keras hands each callback its model with `set_model`), whose
`training_history[-1]` is the epoch just ended when `on_epoch_end` runs.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from kerazoo._validation import require_choice

logger = logging.getLogger(__name__)

HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")
# Arrays gensim trains: the word vectors and, depending on the loss, its output weights.
_TRAINED_ARRAYS = ("syn1neg", "syn1")


class TrainingReport:
    """What a `train_word2vec` run reports, kept apart from gensim's model: pass one in `callbacks` to read it.

        report = TrainingReport()
        model = train_word2vec(corpus, epochs=20, callbacks=[EarlyStopping("simlex999"), report])
        report.training_history[-1]["loss"], report.token_counts["read"], report.early_stopping

    It plays the part of Keras's `History` callback; `run_word2vec` returns the one it kept, and
    `kerazoo.plots.plot_word2vec_history` draws one. Without one in `callbacks`, `train_word2vec` keeps its
    own, for the progress bar and the other callbacks.

    Attributes:
        model: the model trained (set when training begins).
        training_history: one dict per finished epoch: epoch, loss, seconds, words_per_second, learning_rate
            and any scores. It grows while training runs.
        token_counts: {"read": tokens in the corpus, "trained": tokens gensim saw; fewer only when phrases
            joined words}, set before training begins.
        early_stopping: None, or the record an `EarlyStopping` callback left when training ended
            (`EarlyStopping.record()`).
    """

    def __init__(self):
        self.model = None
        self.training_history: list[dict] = []
        self.token_counts: dict[str, int] | None = None
        self.early_stopping: dict | None = None

    def on_train_begin(self, model):
        """Forgets an earlier run's epochs, so that one report can follow several runs in turn."""
        self.model, self.training_history, self.early_stopping = model, [], None

    def __repr__(self) -> str:
        return f"TrainingReport({len(self.training_history)} epochs, token_counts={self.token_counts})"


class EarlyStopping:
    """Ends Word2Vec training when an epoch score stops improving; modelled on `keras.callbacks.EarlyStopping`.

        stop, report = EarlyStopping("simlex999", patience=1, restore_best_weights=True), TrainingReport()
        model = train_word2vec(corpus, epochs=20, callbacks=[stop, report])
        stop.best_epoch, stop.stopped_epoch, report.early_stopping  # the record that history.json keeps

    Args:
        monitor: "loss", or a score of the epoch history: "analogy", "wordsim353", "simlex999" (evaluated
            each epoch because this callback names them), or a set named in `evaluate_every_epoch`.
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement to wait before stopping.
        mode: "min", "max", or "auto" (min for "loss", max for scores).
        restore_best_weights: when training ends, put back the vectors of the best epoch (a copy of the
            trained arrays is kept while training).

    Attributes:
        best: the best value seen; best_epoch: its epoch (1-based); stopped_epoch: the epoch after which
        training stopped, 0 when it ran its course; restored_epoch: the epoch whose vectors were put back
        when training ended, 0 when none were. A NaN score (too few words covered) never improves.

    When training ends it leaves its record (`record()`) in the run's `TrainingReport`, and when it
    stopped training or restored an earlier epoch's vectors it says so in a warning of the
    "kerazoo.embeddings.callbacks" logger, which comes after the progress bar has closed.
    """

    def __init__(
        self,
        monitor: str = "wordsim353",
        *,
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ):
        require_choice("mode", mode, ("auto", "min", "max"))
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"`patience` must be a non-negative integer. Received: patience={patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"`min_delta` must be zero or positive. Received: min_delta={min_delta!r}")
        self.monitor = monitor
        self.min_delta = float(min_delta)
        self.patience = patience
        self.mode = ("min" if monitor == "loss" else "max") if mode == "auto" else mode
        self.restore_best_weights = restore_best_weights
        self._report = None

    def set_report(self, report: TrainingReport) -> None:
        """Takes the run's report, whose epoch records this callback watches; `train_word2vec` calls it."""
        self._report = report

    def on_train_begin(self, model):
        if self._report is None:
            raise RuntimeError(
                f"{self!r} watches the epoch records that `train_word2vec` keeps; pass it in the `callbacks` of "
                "`kerazoo.embeddings.train_word2vec`, not to gensim's own training."
            )
        self.best, self.best_epoch, self.stopped_epoch, self.restored_epoch, self.wait = None, 0, 0, 0, 0
        self._best_weights = None

    def on_epoch_end(self, model):
        record = self._report.training_history[-1]
        value = record[self.monitor]
        if self._improves(value):
            self.best, self.best_epoch, self.wait = value, record["epoch"], 0
            if self.restore_best_weights:
                self._best_weights = {name: np.copy(array) for name, array in _trained_arrays(model).items()}
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = record["epoch"]
            model.stop_training = True

    def on_train_end(self, model):
        if self._best_weights is not None and self.best_epoch != len(self._report.training_history):
            for name, array in _trained_arrays(model).items():
                np.copyto(array, self._best_weights[name])
            model.wv.fill_norms(force=True)
            self.restored_epoch = self.best_epoch
        self._best_weights = None
        self._report.early_stopping = self.record()
        if self.stopped_epoch or self.restored_epoch:
            logger.warning(self._summary(planned=model.epochs))

    def record(self) -> dict:
        """What early stopping did, for the run's history (JSON-ready): the monitor and its mode, the best
        value and its epoch, `stopped_epoch` and `restored_epoch` (None when it did not stop or restore)."""
        return {
            "monitor": self.monitor,
            "mode": self.mode,
            "best": None if self.best is None else float(self.best),
            "best_epoch": self.best_epoch or None,
            "stopped_epoch": self.stopped_epoch or None,
            "restored_epoch": self.restored_epoch or None,
        }

    def _summary(self, planned: int) -> str:
        if self.best is None:
            best = f"{self.monitor} was never a number (NaN: too few of its words in the vocabulary)"
        else:
            best = f"best {self.monitor} {self.best:.4g} at epoch {self.best_epoch}"
        if self.stopped_epoch:
            message = f"Early stopping: stopped after epoch {self.stopped_epoch} of {planned}, {best}"
        else:
            message = f"Early stopping: trained all {planned} epochs, {best}"
        if self.restored_epoch:
            return f"{message}; restored the vectors of epoch {self.restored_epoch}."
        kept = "kept the last epoch's vectors" + ("" if self.restore_best_weights else " (restore_best_weights=False)")
        return f"{message}; {kept}."

    def _improves(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        change = value - self.best if self.mode == "max" else self.best - value
        return change > self.min_delta

    def __repr__(self) -> str:
        return f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, mode={self.mode!r})"


def _trained_arrays(model) -> dict[str, np.ndarray]:
    arrays = {"vectors": model.wv.vectors}
    arrays.update({name: getattr(model, name) for name in _TRAINED_ARRAYS if getattr(model, name, None) is not None})
    return arrays
