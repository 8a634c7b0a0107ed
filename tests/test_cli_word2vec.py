import json
from pathlib import Path

import pytest

from kerazoo import cli, embeddings

QUICK = ["--vector-size", "16", "--workers", "1"]


class _StopWhenTheLossFalls(embeddings.EarlyStopping):
    """The CLI's early stopping watching for the loss to rise, which it never does: a stop after patience."""

    def __init__(self, monitor, **kwargs):
        super().__init__(monitor, mode="max", **kwargs)


def test_history_json_records_where_early_stopping_stopped_and_which_epoch_it_restored(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "EarlyStopping", _StopWhenTheLossFalls)
    arguments = [*QUICK, "--epochs", "5", "--early-stopping", "loss", "--patience", "0"]
    assert cli.main(["word2vec", "train", "--output", str(tmp_path), *arguments]) == 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["history"]) == 2
    assert history["early_stopping"] == {
        "monitor": "loss",
        "mode": "max",
        "best": history["history"][0]["loss"],
        "best_epoch": 1,
        "stopped_epoch": 2,
        "restored_epoch": 1,
    }


def test_history_json_says_no_early_stopping_ran_when_none_was_asked_for(tmp_path):
    assert cli.main(["word2vec", "train", "--output", str(tmp_path), *QUICK, "--epochs", "1"]) == 0
    assert json.loads((tmp_path / "history.json").read_text())["early_stopping"] is None


class _Crash(Exception):
    """Not a user error: the command line lets it through."""


def test_a_crash_while_writing_history_json_keeps_the_previous_one(tmp_path, monkeypatch):
    (tmp_path / "history.json").write_text("previous")

    def crash(self, text, *args, **kwargs):
        with open(self, "w", encoding="utf8") as file:
            file.write(text[:10])
        raise _Crash

    monkeypatch.setattr(Path, "write_text", crash)
    with pytest.raises(_Crash):
        cli.main(["word2vec", "train", "--output", str(tmp_path), *QUICK, "--epochs", "1"])
    monkeypatch.undo()
    assert (tmp_path / "history.json").read_text() == "previous"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["history.json", "word2vec.model"]
