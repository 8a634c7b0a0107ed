"""Training shared by the command line, the examples and the notebooks: `fit` on any distribution setup,
resumable checkpoints, saving and plots."""

from kerazoo.training.checkpoint import ResumableCheckpoint
from kerazoo.training.fit import fit
from kerazoo.training.plots import plot_history
from kerazoo.training.saving import save_model

__all__ = ["ResumableCheckpoint", "fit", "plot_history", "save_model"]
