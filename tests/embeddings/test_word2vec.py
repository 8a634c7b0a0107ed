import json
import logging
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from gensim.models import Word2Vec
from gensim.models.callbacks import CallbackAny2Vec
from gensim.test.utils import datapath

from kerazoo.embeddings import Corpus, EarlyStopping, TrainingReport, evaluate, stable_hash, train_word2vec

LEE = datapath("lee_background.cor")
SMALL = {"vector_size": 20, "epochs": 3, "workers": 1, "progress": False}


def _train(corpus, *, callbacks=(), **options):
    """The model `train_word2vec` returns, and the report it filled."""
    report = TrainingReport()
    return train_word2vec(corpus, callbacks=[*callbacks, report], **options), report


@pytest.fixture(scope="module")
def trained():
    return _train(LEE, **SMALL)


@pytest.fixture(scope="module")
def model(trained):
    return trained[0]


@pytest.fixture(scope="module")
def report(trained):
    return trained[1]


def test_training_returns_a_real_gensim_word2vec(model):
    assert isinstance(model, Word2Vec)
    assert model.wv.vector_size == 20 and model.sg == 1
    assert "government" in model.wv


def test_every_token_read_is_trained(model, report):
    assert report.token_counts["read"] == report.token_counts["trained"] == model.corpus_total_words > 50_000


def test_the_report_stays_off_gensims_model(model, report):
    bolted = ("training_history", "token_counts", "early_stopping", "stop_training")
    assert [name for name in bolted if hasattr(model, name)] == []
    assert report.model is model and len(report.training_history) == model.epochs == 3


def test_per_epoch_losses_are_positive_and_reset_each_epoch(report):
    losses = [epoch["loss"] for epoch in report.training_history]
    assert len(losses) == 3 and all(loss > 0 for loss in losses)
    # A running tally would grow by a whole epoch each time; per-epoch losses stay within a factor of 2.
    assert max(losses) < 2 * min(losses)


class _LastEpochTally(CallbackAny2Vec):
    """Reads gensim's cumulative tally at each epoch end (after training it reports another value)."""

    def on_epoch_end(self, model):
        self.tally = model.get_latest_training_loss()


def _raw_gensim_tally(path, epochs=3):
    settings = {"vector_size": 20, "min_count": 2, "workers": 1, "seed": 1, "sg": 1}
    reader = _LastEpochTally()
    Word2Vec(
        corpus_file=str(path), epochs=epochs, hashfxn=stable_hash, compute_loss=True, callbacks=[reader], **settings
    )
    return reader.tally


def test_per_epoch_losses_add_up_to_gensims_own_tally_while_it_is_exact(tmp_path):
    # gensim's float32 tally drifts once it grows large (gensim#2735), so compare on a small slice.
    texts = list(Corpus(LEE))[:60]
    path = tmp_path / "slice.txt"
    path.write_text("\n".join(" ".join(t) for t in texts) + "\n", encoding="utf8")
    ours = _train(texts, vector_size=20, epochs=3, workers=1, min_count=2, progress=False)[1].training_history
    assert sum(epoch["loss"] for epoch in ours) == pytest.approx(_raw_gensim_tally(path), rel=1e-3)


def test_history_reports_speed_and_a_decaying_learning_rate(model, report):
    history = report.training_history
    assert all(epoch["words_per_second"] > 0 for epoch in history)
    rates = [epoch["learning_rate"] for epoch in history]
    assert rates == sorted(rates, reverse=True) and rates[-1] == pytest.approx(model.min_alpha)


def test_a_text_longer_than_gensims_limit_is_trained_whole(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(" ".join(f"w{i % 50}" for i in range(25_000)) + "\n", encoding="utf8")
    _, long = _train(path, vector_size=8, epochs=1, workers=1, progress=False)
    assert long.token_counts == {"read": 25_000, "trained": 25_000}


def _vectors_in_fresh_process(hash_seed: str) -> list:
    code = (
        "import json; from kerazoo.embeddings import train_word2vec; from gensim.test.utils import datapath\n"
        "m = train_word2vec(datapath('lee_background.cor'), vector_size=10, epochs=1, workers=1, seed=7,"
        " progress=False)\n"
        "print(json.dumps(m.wv[['government', 'the', 'said']].round(6).tolist()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_one_worker_and_a_seed_give_the_same_vectors_whatever_the_hash_seed():
    np.testing.assert_array_equal(_vectors_in_fresh_process("1"), _vectors_in_fresh_process("2"))


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="The corpus has no tokens"):
        train_word2vec(tmp_path / "empty.txt", progress=False)


def test_a_vocabulary_empty_after_min_count_names_min_count(tmp_path):
    (tmp_path / "tiny.txt").write_text("one two three\n")
    with pytest.raises(ValueError, match="No word reaches `min_count`=5; the most frequent occurs 1 times"):
        train_word2vec(tmp_path / "tiny.txt", progress=False)


def test_arguments_kerazoo_sets_cannot_be_passed_through():
    with pytest.raises(TypeError, match="`hashfxn` is set by train_word2vec"):
        train_word2vec(LEE, hashfxn=hash, progress=False)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"window": 0}, "`window` must be a positive integer. Received: window=0"),  # SIGFPE in gensim
        ({"window": -1}, "`window` must be a positive integer"),
        ({"vector_size": 0}, "`vector_size` must be a positive integer"),
        ({"epochs": 0}, "`epochs` must be a positive integer"),
        ({"workers": -1}, "`workers` must be a positive integer. Received: workers=-1"),  # trained nothing
        ({"negative": -5}, "`negative` must be an integer >= 0"),  # trained nothing
        ({"negative": 0}, "With hs=0, `negative` must be >= 1"),
        ({"min_count": -1}, "`min_count` must be an integer >= 0"),
        ({"min_count": "5"}, "`min_count` must be an integer >= 0. Received: min_count='5'"),
        ({"alpha": float("nan")}, "`alpha` must be a finite number > 0.0"),  # SIGSEGV in gensim
        ({"alpha": 0.0}, "`alpha` must be a finite number > 0.0"),
        ({"min_alpha": -0.1}, "`min_alpha` must be a finite number >= 0.0"),
        ({"sample": float("inf")}, "`sample` must be a finite number >= 0.0"),
        ({"ns_exponent": float("nan")}, "`ns_exponent` must be a finite number"),
        ({"hs": 2}, r"`hs` must be True or False \(or 1 or 0, as gensim writes it\). Received: hs=2"),
        ({"max_vocab_size": 0}, "`max_vocab_size` must be a positive integer"),
        ({"batch_words": 0}, "`batch_words` must be a positive integer"),
    ],
)
def test_every_value_gensim_would_trust_is_checked_before_gensim_sees_it(arguments, message):
    with pytest.raises(ValueError, match=message):
        train_word2vec(LEE, progress=False, **arguments)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sg": "False"}, r"`sg` must be True or False \(or 1 or 0, as gensim writes it\). Received: sg='False'"),
        ({"sg": 1.0}, "`sg` must be True or False .* Received: sg=1.0"),
        ({"hs": "1"}, "`hs` must be True or False .* Received: hs='1'"),
        ({"cbow_mean": "yes"}, "`cbow_mean` must be True or False .* Received: cbow_mean='yes'"),
        ({"cbow_mean": 0.0}, "`cbow_mean` must be True or False .* Received: cbow_mean=0.0"),
        ({"seed": 1.5}, "`seed` must be an integer"),
    ],
)
def test_wrong_types_are_refused_not_reinterpreted(arguments, message):
    with pytest.raises(TypeError, match=message):
        train_word2vec(LEE, progress=False, **arguments)


def test_another_integer_for_a_gensim_flag_is_refused():
    with pytest.raises(
        ValueError, match=r"`sg` must be True or False \(or 1 or 0, as gensim writes it\). Received: sg=2"
    ):
        train_word2vec(LEE, progress=False, sg=2)


@pytest.mark.parametrize(
    "flags",
    [{"sg": 1}, {"sg": 0, "cbow_mean": 1}, {"sg": 1, "hs": 1, "negative": 0}, {"sg": False, "hs": True}],
    ids=["sg=1", "cbow with cbow_mean=1", "hierarchical softmax", "bools"],
)
def test_gensims_own_spellings_of_its_flags_train_the_model_they_name(flags):
    model = train_word2vec(LEE, vector_size=8, epochs=1, workers=1, progress=False, **flags)
    assert model.sg == int(flags["sg"])
    assert model.hs == int(flags.get("hs", 0))
    assert model.cbow_mean == int(flags.get("cbow_mean", 1))


def test_phrases_join_collocations_once_and_travel_with_the_model():
    phrased, report = _train(LEE, phrases={"min_count": 3, "threshold": 5.0}, **{**SMALL, "epochs": 1})
    joined = [word for word in phrased.wv.index_to_key if "_" in word]
    assert joined, "no collocation was joined"
    assert report.token_counts["trained"] < report.token_counts["read"] == _count_tokens(Corpus(LEE))
    first, second = joined[0].split("_", 1)
    assert phrased.phrases[[first, second]] == [joined[0]]


def _count_tokens(corpus):
    return sum(len(tokens) for tokens in corpus)


def test_without_phrases_no_phrase_model_is_kept(model):
    assert model.phrases is None


@pytest.mark.parametrize("max_vocab_size", [None, 2_000])
def test_kerazoo_counts_give_the_vocabulary_gensims_own_scan_gives(tmp_path, max_vocab_size):
    path = tmp_path / "lee.txt"
    path.write_text("\n".join(" ".join(text) for text in Corpus(LEE)) + "\n", encoding="utf8")
    raw = Word2Vec(vector_size=8, max_vocab_size=max_vocab_size)
    raw.build_vocab(corpus_file=str(path))
    ours = train_word2vec(LEE, max_vocab_size=max_vocab_size, **{**SMALL, "vector_size": 8, "epochs": 1})
    assert ours.wv.index_to_key == raw.wv.index_to_key
    assert [ours.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key[:50]] == [
        raw.wv.get_vecattr(w, "count") for w in raw.wv.index_to_key[:50]
    ]
    assert ours.corpus_total_words == raw.corpus_total_words


def test_a_trim_rule_shapes_the_vocabulary():
    from gensim.utils import RULE_DEFAULT, RULE_DISCARD

    trimmed = train_word2vec(
        LEE, trim_rule=lambda word, count, min_count: RULE_DISCARD if word == "the" else RULE_DEFAULT, **SMALL
    )
    assert "the" not in trimmed.wv and "government" in trimmed.wv


def test_epoch_records_carry_the_scores_asked_for():
    scored, report = _train(LEE, evaluate_every_epoch=["analogy", "wordsim353"], **SMALL)
    assert [sorted(record) for record in report.training_history] == 3 * [
        ["analogy", "epoch", "learning_rate", "loss", "seconds", "words_per_second", "wordsim353"]
    ]
    assert all(math.isfinite(record[name]) for record in report.training_history for name in ("analogy", "wordsim353"))
    # The last epoch's scores are the trained model's: gensim's cached norms were refreshed each epoch.
    final = evaluate(scored.wv)
    assert report.training_history[-1]["wordsim353"] == pytest.approx(final["wordsim353"]["spearman"])
    assert report.training_history[-1]["analogy"] == pytest.approx(final["analogy"]["accuracy"])
    assert final["analogy"]["oov_ratio"] < 1.0


def test_an_unknown_epoch_score_names_the_argument_and_the_choices():
    with pytest.raises(ValueError, match="`evaluate_every_epoch`.*'wordsim353'"):
        train_word2vec(LEE, evaluate_every_epoch="wordsim", **SMALL)


def test_early_stopping_ends_training_after_patience_epochs_without_improvement():
    # The loss falls every epoch, so watching for it to rise stops training after the first epoch + patience.
    stop = EarlyStopping("loss", mode="max", patience=1)
    stopped, report = _train(LEE, callbacks=[stop], **{**SMALL, "epochs": 5})
    assert len(report.training_history) == 3 and stop.stopped_epoch == 3 and stop.best_epoch == 1
    assert stopped.wv.most_similar("government", topn=1)  # a usable model, norms rebuilt


def test_early_stopping_on_a_standard_set_scores_it_each_epoch():
    stop = EarlyStopping("simlex999", patience=5)
    _, report = _train(LEE, callbacks=[stop], **SMALL)
    scores = [record["simlex999"] for record in report.training_history]
    assert len(scores) == 3 and stop.best == max(scores) and stop.stopped_epoch == 0


class _VectorsEachEpoch(CallbackAny2Vec):
    def __init__(self):
        self.vectors = []

    def on_epoch_end(self, model):
        self.vectors.append(model.wv.vectors.copy())


def test_restoring_best_weights_puts_back_the_best_epochs_vectors():
    recorder = _VectorsEachEpoch()
    stop = EarlyStopping("loss", mode="max", patience=1, restore_best_weights=True)
    restored = train_word2vec(LEE, callbacks=[recorder, stop], **SMALL)
    np.testing.assert_array_equal(restored.wv.vectors, recorder.vectors[stop.best_epoch - 1])
    assert not np.array_equal(restored.wv.vectors, recorder.vectors[-1])
    np.testing.assert_allclose(restored.wv.norms, np.linalg.norm(restored.wv.vectors, axis=1), rtol=1e-6)


class _StopAfterFirstEpoch(CallbackAny2Vec):
    def on_epoch_end(self, model):
        model.stop_training = True

    def on_train_end(self, model):
        self.ended = True


def test_any_callback_stops_training_by_setting_stop_training_and_still_sees_the_end():
    callback = _StopAfterFirstEpoch()
    _, report = _train(LEE, callbacks=[callback], **SMALL)
    assert len(report.training_history) == 1 and callback.ended


class _StopAfter(CallbackAny2Vec):
    """Reads the epoch records as kerazoo's own callbacks do: through the report handed to `set_report`."""

    def __init__(self, epochs: int):
        self.epochs = epochs

    def set_report(self, report):
        self.report = report

    def on_epoch_end(self, model):
        model.stop_training = len(self.report.training_history) >= self.epochs


def test_a_model_stopped_after_k_epochs_is_the_uninterrupted_run_after_k_epochs():
    recorder = _VectorsEachEpoch()
    train_word2vec(LEE, callbacks=[recorder], **{**SMALL, "epochs": 4})
    stopped, report = _train(LEE, callbacks=[_StopAfter(2)], **{**SMALL, "epochs": 4})
    np.testing.assert_array_equal(stopped.wv.vectors, recorder.vectors[1])
    assert [r["epoch"] for r in report.training_history] == [1, 2]
    # gensim ended its own training (one public train() call per epoch): the norms are fresh.
    np.testing.assert_allclose(
        stopped.wv.get_vector("government", norm=True),
        stopped.wv["government"] / np.linalg.norm(stopped.wv["government"]),
        rtol=1e-6,
    )


def test_the_model_keeps_the_rates_and_epochs_it_was_asked_for_after_epoch_by_epoch_training():
    model, report = _train(LEE, alpha=0.03, min_alpha=0.0, **{**SMALL, "epochs": 2})
    assert (model.alpha, model.min_alpha, model.epochs) == (0.03, 0.0, 2)
    assert [record["learning_rate"] for record in report.training_history] == pytest.approx([0.015, 0.0])


def test_a_monitor_that_is_not_in_the_history_is_named():
    with pytest.raises(ValueError, match="`monitor`='accuracy'.*allowed: 'loss', 'analogy'"):
        train_word2vec(LEE, callbacks=[EarlyStopping("accuracy")], **SMALL)


def test_an_object_without_callback_hooks_is_refused():
    with pytest.raises(TypeError, match="`callbacks` holds <built-in function print>"):
        train_word2vec(LEE, callbacks=[print], **SMALL)


def test_the_progress_bar_counts_words_and_leaves_gensims_logging_as_it_was(capsys):
    logger = logging.getLogger("gensim.models.word2vec")
    before = (logger.level, logger.propagate, list(logger.handlers))
    trained = train_word2vec(LEE, **{**SMALL, "progress": True, "epochs": 2})
    bar = capsys.readouterr().err
    assert "word2vec" in bar and f"{2 * trained.corpus_total_words / 1000:.0f}k/" in bar.replace(".0k", "k")
    assert (logger.level, logger.propagate, list(logger.handlers)) == before


def test_a_phrase_delimiter_with_whitespace_is_refused():
    with pytest.raises(ValueError, match="`phrases` delimiter ' ' holds whitespace"):
        train_word2vec(LEE, phrases={"delimiter": " "}, **SMALL)


def test_a_model_trained_without_early_stopping_has_no_early_stopping_record(report):
    assert report.early_stopping is None


def test_early_stopping_records_where_it_stopped_and_which_epoch_it_restored():
    stop = EarlyStopping("loss", mode="max", patience=1, restore_best_weights=True)
    _, stopped = _train(LEE, callbacks=[stop], **{**SMALL, "epochs": 5})
    assert stopped.early_stopping == {
        "monitor": "loss",
        "mode": "max",
        "best": stopped.training_history[0]["loss"],
        "best_epoch": 1,
        "stopped_epoch": 3,
        "restored_epoch": 1,
    }
    assert json.loads(json.dumps(stopped.early_stopping)) == stopped.early_stopping  # ready for history.json


def test_early_stopping_says_when_it_stopped_and_which_epoch_it_restored(caplog):
    stop = EarlyStopping("loss", mode="max", patience=1, restore_best_weights=True)
    with caplog.at_level("WARNING", logger="kerazoo.embeddings.callbacks"):
        train_word2vec(LEE, callbacks=[stop], **{**SMALL, "epochs": 5})
    (message,) = [record.getMessage() for record in caplog.records if record.name == "kerazoo.embeddings.callbacks"]
    assert message.startswith("Early stopping: stopped after epoch 3 of 5, best loss ")
    assert message.endswith("at epoch 1; restored the vectors of epoch 1.")


def test_early_stopping_without_restoring_says_it_kept_the_last_epoch(caplog):
    stop = EarlyStopping("loss", mode="max", patience=0)
    with caplog.at_level("WARNING", logger="kerazoo.embeddings.callbacks"):
        _, stopped = _train(LEE, callbacks=[stop], **SMALL)
    assert stopped.early_stopping["stopped_epoch"] == 2 and stopped.early_stopping["restored_epoch"] is None
    assert caplog.records[-1].getMessage().endswith("kept the last epoch's vectors (restore_best_weights=False).")


def test_early_stopping_that_ran_its_course_records_no_stop_and_says_nothing(caplog):
    stop = EarlyStopping("loss", patience=0, restore_best_weights=True)  # the loss falls every epoch
    with caplog.at_level("WARNING", logger="kerazoo.embeddings.callbacks"):
        _, trained = _train(LEE, callbacks=[stop], **SMALL)
    assert trained.early_stopping["stopped_epoch"] is None and trained.early_stopping["restored_epoch"] is None
    assert trained.early_stopping["best_epoch"] == 3 and not caplog.records


def test_one_report_follows_each_run_it_is_passed_to():
    report = TrainingReport()
    train_word2vec(LEE, callbacks=[EarlyStopping("loss", mode="max", patience=0), report], **SMALL)
    assert len(report.training_history) == 2 and report.early_stopping["stopped_epoch"] == 2
    second = train_word2vec(LEE, callbacks=[report], **{**SMALL, "epochs": 1})
    assert report.model is second and [r["epoch"] for r in report.training_history] == [1]
    assert report.early_stopping is None


def test_two_reports_for_one_run_are_refused():
    with pytest.raises(ValueError, match="`callbacks` holds 2 TrainingReport objects"):
        train_word2vec(LEE, callbacks=[TrainingReport(), TrainingReport()], **SMALL)


def test_early_stopping_outside_train_word2vec_says_where_it_belongs(tmp_path):
    path = tmp_path / "lee.txt"
    path.write_text("\n".join(" ".join(text) for text in Corpus(LEE)) + "\n", encoding="utf8")
    with pytest.raises(RuntimeError, match="pass it in the `callbacks` of `kerazoo.embeddings.train_word2vec`"):
        Word2Vec(corpus_file=str(path), vector_size=8, epochs=1, workers=1, callbacks=[EarlyStopping("loss")])
