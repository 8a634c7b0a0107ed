import math

import numpy as np
import pytest
import scipy.stats
from gensim.models import KeyedVectors

from kerazoo.embeddings import evaluate


@pytest.fixture
def vectors():
    """Hand-made vectors where king - man + woman is exactly queen."""
    wv = KeyedVectors(vector_size=3)
    words = {
        "king": [1.0, 1.0, 0.0],
        "man": [1.0, 0.0, 0.0],
        "woman": [0.0, 0.0, 1.0],
        "queen": [0.0, 1.0, 1.0],
        "cat": [0.2, -1.0, 0.3],
    }
    wv.add_vectors(list(words), np.array(list(words.values()), dtype="float32"))
    return wv


def _cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_scores_and_oov_ratios_of_user_supplied_sets(tmp_path, vectors):
    analogies = tmp_path / "analogies.txt"
    analogies.write_text(": royalty\nman king woman queen\nman king woman unicorn\n", encoding="utf8")
    pairs = tmp_path / "pairs.tsv"
    # The vectors rank king-queen above man-woman, people the other way round: a Spearman of 0.5, not 1.
    human = {("king", "queen"): 8.0, ("man", "woman"): 9.0, ("king", "cat"): 1.0}
    lines = [f"{a}\t{b}\t{score:g}\n" for (a, b), score in human.items()]
    pairs.write_text("".join(lines) + "zebra\tcat\t5\n", encoding="utf8")
    scores = evaluate(vectors, analogies=analogies, similarities={"mine": pairs})
    assert scores["analogy"] == {"accuracy": 1.0, "oov_ratio": 0.5, "questions": 2}
    assert scores["mine"]["oov_ratio"] == pytest.approx(0.25)
    cosines = [_cosine(vectors[a], vectors[b]) for a, b in human]
    assert scores["mine"]["spearman"] == pytest.approx(0.5)
    assert scores["mine"]["spearman"] == pytest.approx(scipy.stats.spearmanr(list(human.values()), cosines)[0])
    assert scores["mine"]["pearson"] == pytest.approx(scipy.stats.pearsonr(list(human.values()), cosines)[0])


def test_the_standard_sets_shipped_with_gensim_are_the_default(vectors):
    scores = evaluate(vectors)
    assert set(scores) == {"analogy", "wordsim353", "simlex999"}
    assert scores["analogy"]["questions"] == 19544
    assert 0.99 < scores["wordsim353"]["oov_ratio"] <= 1.0
    # Five words cover 2 analogy questions (both answered), 2 of WordSim-353's 353 pairs and 1 of
    # SimLex-999's 999: too few for a correlation.
    assert scores["analogy"] == {"accuracy": 1.0, "oov_ratio": pytest.approx(1 - 2 / 19544), "questions": 19544}
    assert scores["wordsim353"] == pytest.approx({"spearman": 1.0, "pearson": 1.0, "oov_ratio": 1 - 2 / 353})
    assert math.isnan(scores["simlex999"]["spearman"]) and math.isnan(scores["simlex999"]["pearson"])
    assert scores["simlex999"]["oov_ratio"] == pytest.approx(1 - 1 / 999)


def test_no_covered_question_gives_nan_not_zero(tmp_path, vectors):
    analogies = tmp_path / "a.txt"
    analogies.write_text(": x\nfoo bar baz qux\n", encoding="utf8")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("king\tqueen\t8\nzebra\tyak\t3\n", encoding="utf8")
    scores = evaluate(vectors, analogies=analogies, similarities={"p": pairs})
    assert math.isnan(scores["analogy"]["accuracy"]) and scores["analogy"]["oov_ratio"] == 1.0
    assert math.isnan(scores["p"]["spearman"]) and scores["p"]["oov_ratio"] == 0.5  # one pair: no correlation


def test_a_model_in_place_of_its_vectors_is_refused_with_a_hint():
    class Model:
        wv = KeyedVectors(4)

    with pytest.raises(TypeError, match="`wv` must be gensim KeyedVectors. Pass model.wv"):
        evaluate(Model())


def test_a_missing_evaluation_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="The 'analogy' evaluation file does not exist"):
        evaluate(KeyedVectors(4), analogies=tmp_path / "none.txt")


def test_an_evaluation_file_that_is_not_text_is_named(tmp_path):
    keyed = KeyedVectors(4)
    keyed.add_vectors(["a", "b", "c"], np.eye(3, 4, dtype="float32"))
    (tmp_path / "pairs.tsv").write_bytes(b"\xff\xfe\x00 binary\n")
    with pytest.raises(ValueError, match="'pairs' evaluation file .* is not a tab-separated"):
        evaluate(keyed, similarities={"pairs": tmp_path / "pairs.tsv"})
