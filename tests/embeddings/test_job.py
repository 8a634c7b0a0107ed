import json

import pytest
from gensim.models import Word2Vec
from gensim.test.utils import datapath

from kerazoo.embeddings import TrainingReport, load, run_word2vec
from kerazoo.embeddings.job import HISTORY_FILE, PLOT_FILE
from kerazoo.embeddings.persistence import MODEL_FILE

LEE = datapath("lee_background.cor")
SMALL = {"vector_size": 8, "workers": 1, "progress": False}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v")
    return folder, run_word2vec(LEE, output=folder, epochs=2, evaluate_every_epoch="wordsim353", **SMALL)


def test_a_run_writes_the_model_its_history_and_their_plot(run):
    folder, _ = run
    assert sorted(path.name for path in folder.iterdir()) == sorted([HISTORY_FILE, MODEL_FILE, PLOT_FILE])
    assert (folder / PLOT_FILE).read_bytes().startswith(b"\x89PNG")


def test_the_run_returns_its_report_with_the_trained_model(run):
    folder, report = run
    assert isinstance(report, TrainingReport) and isinstance(report.model, Word2Vec)
    assert [record["epoch"] for record in report.training_history] == [1, 2]
    assert load(folder).wv.index_to_key == report.model.wv.index_to_key


def test_history_json_is_the_report(run):
    folder, report = run
    history = json.loads((folder / HISTORY_FILE).read_text(encoding="utf8"))
    assert history == {
        "history": report.training_history,
        "token_counts": report.token_counts,
        "early_stopping": None,
    }
    assert history["token_counts"]["read"] == history["token_counts"]["trained"] > 50_000
    assert history["history"][-1]["wordsim353"] == report.training_history[-1]["wordsim353"]


def test_early_stopping_by_name_keeps_the_best_epoch_and_records_it(tmp_path):
    report = run_word2vec(LEE, output=tmp_path, epochs=3, early_stopping="loss", patience=0, **SMALL)
    # The loss falls every epoch: early stopping watches, never stops, and the last epoch is the best.
    expected = {"monitor": "loss", "mode": "min", "best_epoch": 3, "stopped_epoch": None, "restored_epoch": None}
    assert {key: report.early_stopping[key] for key in expected} == expected
    assert report.early_stopping["best"] == report.training_history[-1]["loss"]
    assert json.loads((tmp_path / HISTORY_FILE).read_text())["early_stopping"] == report.early_stopping


def test_an_unwritable_output_fails_before_the_corpus_is_read(tmp_path):
    with pytest.raises(ValueError, match="`output` cannot be created: /proc/kerazoo-run"):
        run_word2vec(tmp_path / "no-such-corpus.txt", output="/proc/kerazoo-run", **SMALL)
