import json
import os
import subprocess
import sys

import numpy as np
import pytest
from gensim.models import Word2Vec
from gensim.test.utils import datapath

from kerazoo.embeddings import Corpus, stable_hash, train_word2vec

LEE = datapath("lee_background.cor")
SMALL = {"vector_size": 20, "epochs": 3, "workers": 1, "progress": False}


@pytest.fixture(scope="module")
def model():
    return train_word2vec(LEE, **SMALL)


def test_training_returns_a_real_gensim_word2vec(model):
    assert isinstance(model, Word2Vec)
    assert model.wv.vector_size == 20 and model.sg == 1
    assert "government" in model.wv


def test_every_token_read_is_trained(model):
    assert model.token_counts["read"] == model.token_counts["trained"] > 50_000


def test_per_epoch_losses_are_positive_and_reset_each_epoch(model):
    losses = [epoch["loss"] for epoch in model.training_history]
    assert len(losses) == 3 and all(loss > 0 for loss in losses)
    # A running tally would grow by a whole epoch each time; per-epoch losses stay within a factor of 2.
    assert max(losses) < 2 * min(losses)


class _LastEpochTally:
    """Reads gensim's cumulative tally at each epoch end (after training it reports another value)."""

    def on_train_begin(self, model): ...

    def on_epoch_begin(self, model): ...

    def on_epoch_end(self, model):
        self.tally = model.get_latest_training_loss()

    def on_train_end(self, model): ...


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
    ours = train_word2vec(texts, vector_size=20, epochs=3, workers=1, min_count=2, progress=False).training_history
    assert sum(epoch["loss"] for epoch in ours) == pytest.approx(_raw_gensim_tally(path), rel=1e-3)


def test_history_reports_speed_and_a_decaying_learning_rate(model):
    history = model.training_history
    assert all(epoch["words_per_second"] > 0 for epoch in history)
    rates = [epoch["learning_rate"] for epoch in history]
    assert rates == sorted(rates, reverse=True) and rates[-1] == pytest.approx(model.min_alpha)


def test_a_text_longer_than_gensims_limit_is_trained_whole(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(" ".join(f"w{i % 50}" for i in range(25_000)) + "\n", encoding="utf8")
    long = train_word2vec(path, vector_size=8, epochs=1, workers=1, progress=False)
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


def test_phrases_join_collocations_once_and_travel_with_the_model():
    phrased = train_word2vec(LEE, phrases={"min_count": 3, "threshold": 5.0}, **{**SMALL, "epochs": 1})
    joined = [word for word in phrased.wv.index_to_key if "_" in word]
    assert joined, "no collocation was joined"
    assert phrased.token_counts["trained"] < phrased.token_counts["read"]
    first, second = joined[0].split("_", 1)
    assert phrased.phrases[[first, second]] == [joined[0]]


def test_without_phrases_no_phrase_model_is_kept(model):
    assert model.phrases is None
