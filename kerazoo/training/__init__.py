"""Training shared by the command line, the examples and the notebooks: `fit` on any distribution setup,
resumable checkpoints, saving and plots."""

from kerazoo import _lazy

__all__ = [
    "SCHEDULES",
    "InverseSquareRootSchedule",
    "ResumableCheckpoint",
    "fit",
    "learning_rate_schedule",
    "plot_history",
    "save_model",
    "train",
]

# Loaded on first use: `kerazoo train --help` and the plots need no Keras.
__getattr__, __dir__ = _lazy.exports(
    __name__,
    {
        "ResumableCheckpoint": "checkpoint",
        "fit": "fitting",
        "train": "job",
        "plot_history": "plots",
        "save_model": "saving",
        "SCHEDULES": "schedules",
        "InverseSquareRootSchedule": "schedules",
        "learning_rate_schedule": "schedules",
    },
)
