"""Training shared by the command line, the examples and the notebooks: `fit` on any distribution setup,
resumable checkpoints and saving, language models' scores that compare across tokenizers (the figures of a
run are `kerazoo.plots`)."""

from kerazoo import _lazy

__all__ = [
    "SCHEDULES",
    "InverseSquareRootSchedule",
    "ResumableCheckpoint",
    "fit",
    "language_model_scores",
    "learning_rate_schedule",
    "save_model",
    "train",
]

# Loaded on first use: `kerazoo train --help` needs no Keras.
__getattr__, __dir__ = _lazy.exports(
    __name__,
    {
        "ResumableCheckpoint": "checkpoint",
        "fit": "fitting",
        "train": "job",
        "language_model_scores": "scores",
        "save_model": "saving",
        "SCHEDULES": "schedules",
        "InverseSquareRootSchedule": "schedules",
        "learning_rate_schedule": "schedules",
    },
)
