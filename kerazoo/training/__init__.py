"""Training helpers shared by the command line and the examples."""

from kerazoo.training.plots import plot_history
from kerazoo.training.saving import save_model

__all__ = ["plot_history", "save_model"]
