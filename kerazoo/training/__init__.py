"""Training shared by the command line, the examples and the notebooks: `fit` on any distribution setup,
resumable checkpoints, saving and plots."""

from kerazoo import _lazy

__all__ = [
    "SCHEDULES",
    "InverseSquareRootSchedule",
    "ResumableCheckpoint",
    "comparison_figure",
    "fit",
    "history_figure",
    "learning_rate_schedule",
    "plot_comparison",
    "plot_history",
    "plot_word2vec_history",
    "save_model",
    "train",
    "word2vec_history_figure",
]

# Loaded on first use: `kerazoo train --help` and the plots need no Keras.
__getattr__, __dir__ = _lazy.exports(
    __name__,
    {
        "ResumableCheckpoint": "checkpoint",
        "fit": "fitting",
        "train": "job",
        "plot_history": "plots",
        "history_figure": "plots",
        "plot_comparison": "plots",
        "comparison_figure": "plots",
        "plot_word2vec_history": "plots",
        "word2vec_history_figure": "plots",
        "save_model": "saving",
        "SCHEDULES": "schedules",
        "InverseSquareRootSchedule": "schedules",
        "learning_rate_schedule": "schedules",
    },
)
