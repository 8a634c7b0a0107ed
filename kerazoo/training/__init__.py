"""Training shared by the command line, the examples and the notebooks: `fit` on any distribution setup,
resumable checkpoints and saving, fine-tuning (a frozen backbone, Keras's LoRA), language models' scores
that compare across tokenizers (the figures of a run are `kerazoo.plots`)."""

from kerazoo import _lazy

__all__ = [
    "SCHEDULES",
    "InverseSquareRootSchedule",
    "ResumableCheckpoint",
    "enable_lora",
    "fit",
    "freeze_backbone",
    "language_model_scores",
    "learning_rate_schedule",
    "save_model",
    "train",
    "unfreeze",
]

# Loaded on first use: `kerazoo train --help` needs no Keras.
__getattr__, __dir__ = _lazy.exports(
    __name__,
    {
        "ResumableCheckpoint": "checkpoint",
        "fit": "fitting",
        "enable_lora": "fine_tuning",
        "freeze_backbone": "fine_tuning",
        "unfreeze": "fine_tuning",
        "train": "job",
        "language_model_scores": "scores",
        "save_model": "saving",
        "SCHEDULES": "schedules",
        "InverseSquareRootSchedule": "schedules",
        "learning_rate_schedule": "schedules",
    },
)
