"""`kerazoo train ARGS...` that stops itself mid-epoch, as a user or the system would stop it.

    python interrupted_run.py SIGNAL EPOCH BATCH -- train lenet5 ...

At batch BATCH of epoch EPOCH (counted from 0) the process sends itself SIGNAL (INT: Ctrl-C, KILL: kill -9),
so tests stop a run at a known point without sleeping or racing it.
"""

import os
import signal
import sys

import keras

from kerazoo import cli
from kerazoo.training import fitting


class _StopAt(keras.callbacks.Callback):
    def __init__(self, sig: int, epoch: int, batch: int):
        super().__init__()
        self.sig, self.stop_epoch, self.stop_batch, self.epoch = sig, epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (self.stop_epoch, self.stop_batch):
            os.kill(os.getpid(), self.sig)


def _fit_stopping_at(stop):
    fit = fitting.fit

    def stopping(*args, callbacks=(), **kwargs):
        return fit(*args, callbacks=[*callbacks, stop], **kwargs)

    return stopping


if __name__ == "__main__":
    name, epoch, batch, separator, *command = sys.argv[1:]
    assert separator == "--", "usage: interrupted_run.py SIGNAL EPOCH BATCH -- COMMAND..."
    fitting.fit = _fit_stopping_at(_StopAt(signal.Signals[f"SIG{name}"], int(epoch), int(batch)))
    sys.exit(cli.main(command))
