"""Training shared by the command line, the examples and the notebooks: `fit` on any distribution setup,
resumable checkpoints, saving and plots."""

from kerazoo.training.checkpoint import ResumableCheckpoint
from kerazoo.training.fit import fit
from kerazoo.training.job import train
from kerazoo.training.plots import plot_history
from kerazoo.training.saving import save_model
from kerazoo.training.schedules import SCHEDULES, InverseSquareRootSchedule, learning_rate_schedule

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
