import inspect
import json
from pathlib import Path

import pytest

from kerazoo import cli, embeddings
from kerazoo.cli import word2vec as word2vec_command
from kerazoo.embeddings import job

QUICK = ["--vector-size", "16", "--workers", "1"]


class _StopWhenTheLossFalls(embeddings.EarlyStopping):
    """The CLI's early stopping watching for the loss to rise, which it never does: a stop after patience."""

    def __init__(self, monitor, **kwargs):
        super().__init__(monitor, mode="max", **kwargs)


def test_history_json_records_where_early_stopping_stopped_and_which_epoch_it_restored(tmp_path, monkeypatch):
    monkeypatch.setattr(job, "EarlyStopping", _StopWhenTheLossFalls)
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


def _parsed(*arguments):
    """The `word2vec train` arguments as the command's handler receives them."""
    return cli._parser().parse_args(["word2vec", "train", *arguments])


def test_train_options_left_out_take_the_librarys_defaults():
    args = _parsed("--output", "runs/w2v")
    library = {
        **inspect.signature(embeddings.train_word2vec).parameters,
        **inspect.signature(embeddings.run_word2vec).parameters,
        **inspect.signature(embeddings.Corpus).parameters,
    }
    stated = (*word2vec_command.TRAINING_OPTIONS, "evaluate_every_epoch", "early_stopping", "patience")
    assert {name: getattr(args, name) for name in (*stated, "lowercase", "strip_punctuation")} == {
        name: library[name].default for name in (*stated, "lowercase", "strip_punctuation")
    }
    assert (args.vector_size, args.sg, args.patience, args.lowercase) == (100, True, 1, True)


def test_train_options_reach_the_library_under_its_own_names():
    args = _parsed(
        *("--output", "runs/w2v", "--cbow", "--keep-case", "--keep-punctuation", "--phrases"),
        *("--score", "wordsim353", "--score", "analogy", "--early-stopping", "simlex999", "--patience", "3"),
    )
    assert (args.sg, args.lowercase, args.strip_punctuation, args.phrases) == (False, False, False, True)
    assert (args.evaluate_every_epoch, args.early_stopping, args.patience) == (
        ["wordsim353", "analogy"],
        "simlex999",
        3,
    )


def test_export_offers_the_formats_export_writes():
    export = cli._parser().parse_args(["word2vec", "export", "runs/w2v", "--format", "word2vec-binary"])
    assert export.format == "word2vec-binary"
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["word2vec", "export", "runs/w2v", "--format", "saved_model"])
