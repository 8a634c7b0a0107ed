"""The Word2Vec run behind `kerazoo word2vec train`: train on a corpus, then write the run's folder.

The folder holds the model (`MODEL_FILE`, which `load` finds when given the folder), `HISTORY_FILE` (the
run's `TrainingReport` as JSON: each epoch's record, the token counts and early stopping's record) and
`PLOT_FILE` (the same curves, with early stopping's epochs marked), each written atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from kerazoo._io import atomic_path, require_writable_folder
from kerazoo.embeddings.callbacks import EarlyStopping, TrainingReport
from kerazoo.embeddings.persistence import MODEL_FILE, save
from kerazoo.embeddings.word2vec import train_word2vec
from kerazoo.plots import plot_word2vec_history

HISTORY_FILE, PLOT_FILE = "history.json", "history.png"


def run_word2vec(
    corpus,
    *,
    output: str | os.PathLike,
    early_stopping: str | None = None,
    patience: int = 1,
    callbacks: Sequence = (),
    **options,
) -> TrainingReport:
    """Trains Word2Vec on `corpus` and writes the run to `output`: the model, `history.json` and `history.png`.

        report = run_word2vec("texts/", output="runs/w2v", epochs=20, early_stopping="simlex999")
        report.model.wv.most_similar("government"), report.training_history[-1], report.early_stopping

    Args:
        corpus: a `Corpus`, or anything it takes (paths, folders, globs, token lists).
        output: the run's folder; checked for writing before the corpus is read.
        early_stopping: stop once this epoch record ("loss", or a score such as "simlex999") stops
            improving, and keep the best epoch's vectors; None trains every epoch.
        patience: epochs without improvement that early stopping waits for.
        callbacks: more epoch callbacks (the run keeps its own `TrainingReport`).
        **options: any other argument of `train_word2vec` (`vector_size`, `epochs`, `evaluate_every_epoch`,
            `seed`, ...), with its defaults.

    Returns:
        The run's `TrainingReport`, whose `model` is the trained gensim `Word2Vec`.
    """
    output = Path(output)
    require_writable_folder(output)  # before the corpus is read and trained on, not after
    report = TrainingReport()
    stopping = [EarlyStopping(early_stopping, patience=patience, restore_best_weights=True)] if early_stopping else []
    train_word2vec(corpus, callbacks=[*callbacks, *stopping, report], **options)
    save(report.model, output / MODEL_FILE)
    history = {
        "history": report.training_history,
        "token_counts": report.token_counts,
        "early_stopping": report.early_stopping,
    }
    with atomic_path(output / HISTORY_FILE) as temporary:
        temporary.write_text(json.dumps(history, indent=2), encoding="utf8")
    plot_word2vec_history(report, output / PLOT_FILE)
    return report
