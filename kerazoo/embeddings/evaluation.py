"""Word-vector evaluation on the analogy and similarity sets gensim ships, each with its OOV ratio."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping

from kerazoo.embeddings.keras_layers import require_keyed_vectors


def standard_sets() -> tuple[str, dict[str, str]]:
    """Paths of Google's analogy questions and of WordSim-353 and SimLex-999, from gensim's test data."""
    from gensim.test.utils import datapath

    return datapath("questions-words.txt"), {
        "wordsim353": datapath("wordsim353.tsv"),
        "simlex999": datapath("simlex999.txt"),
    }


STANDARD_SETS = ("analogy", "wordsim353", "simlex999")


def evaluate(
    wv,
    *,
    analogies: str | os.PathLike | None = None,
    similarities: Mapping[str, str | os.PathLike] | None = None,
    restrict_vocab: int = 300_000,
) -> dict:
    """Scores `wv` (a gensim `KeyedVectors`) on analogies and word-pair similarities.

    Args:
        analogies: a questions-words style file; None uses Google's set shipped with gensim.
        similarities: {name: tab-separated "word1 word2 score" file}; None uses WordSim-353 and SimLex-999.
        restrict_vocab: only the most frequent words take part, as in gensim.

    Returns:
        {"analogy": {"accuracy", "oov_ratio", "questions"}, name: {"spearman", "pearson", "oov_ratio"}, ...}.
        The OOV ratio is the share of questions or pairs skipped because a word is missing; a score over
        few remaining items says little, so read the two together. Scores are NaN when nothing is covered.
    """
    require_keyed_vectors(wv)
    _require_sets(analogies, similarities)
    sets = {"analogy": analogies, **(similarities or dict.fromkeys(STANDARD_SETS[1:]))}
    return _scores(wv, sets, restrict_vocab)


def _require_sets(analogies, similarities) -> None:
    """A file for the analogies; {name: file} for the similarities, where None is a standard set's own file."""
    if analogies is not None and not isinstance(analogies, (str, os.PathLike)):
        raise TypeError(
            f"`analogies` must be the path of a questions-words file, or None for Google's set. "
            f"Received: {type(analogies).__name__} {analogies!r}"
        )
    if similarities is None:
        return
    if not isinstance(similarities, Mapping):
        raise TypeError(
            f"`similarities` must be a mapping {{name: file}} (None as the file of a standard set, e.g. "
            f"{{'simlex999': None}}). Received: {type(similarities).__name__} {similarities!r}"
        )
    for name, path in similarities.items():
        if path is None and name not in STANDARD_SETS[1:]:
            raise ValueError(
                f"`similarities` names {name!r} without a file; the sets that need none are "
                f"{', '.join(repr(n) for n in STANDARD_SETS[1:])}."
            )
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"`similarities[{name!r}]` must be the path of a word-pair file, or None for a standard set. "
                f"Received: {type(path).__name__} {path!r}"
            )


def headline_scores(wv, sets: Mapping[str, str | os.PathLike | None], restrict_vocab: int = 300_000) -> dict:
    """One number per set, for per-epoch tracking: analogy accuracy, or the Spearman of a similarity set.

    `sets` maps a name to a file; a None file means the standard set of that name (`STANDARD_SETS`), and the
    name "analogy" marks a questions-words file, every other name a word-pair file.
    """
    unknown = [name for name, path in sets.items() if path is None and name not in STANDARD_SETS]
    if unknown:
        raise ValueError(f"`sets` names {unknown} without a file; only {list(STANDARD_SETS)} need none.")
    scores = _scores(wv, sets, restrict_vocab)
    return {name: score["accuracy" if name == "analogy" else "spearman"] for name, score in scores.items()}


def _scores(wv, sets: Mapping[str, str | os.PathLike | None], restrict_vocab: int) -> dict:
    """{name: full scores} of each set; a None file is the standard set of that name."""
    wv.fill_norms(force=True)  # a cache gensim keeps; stale when training has moved the vectors since
    default_analogies, default_similarities = standard_sets()
    scores = {}
    with _quiet_gensim():
        for name, path in sets.items():
            path = os.fspath(path or (default_analogies if name == "analogy" else default_similarities[name]))
            if not os.path.isfile(path):
                raise FileNotFoundError(f"The {name!r} evaluation file does not exist: {path!r}")
            try:
                if name == "analogy":
                    scores[name] = _analogy_scores(wv, path, restrict_vocab)
                else:
                    scores[name] = _pair_scores(wv, path, restrict_vocab)
            except (UnicodeDecodeError, IndexError) as error:
                raise ValueError(
                    f"The {name!r} evaluation file {path!r} is not a "
                    + ("questions-words file" if name == "analogy" else 'tab-separated "word1 word2 score" file')
                    + f" in UTF-8 ({type(error).__name__}: {error})."
                ) from None
    return scores


@contextlib.contextmanager
def _quiet_gensim():
    # gensim logs every skipped word at INFO/WARNING; the OOV ratios say the same in one number.
    gensim_logger = logging.getLogger("gensim.models.keyedvectors")
    level = gensim_logger.level
    gensim_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        gensim_logger.setLevel(level)


def _analogy_scores(wv, path: str, restrict_vocab: int) -> dict:
    accuracy, sections = wv.evaluate_word_analogies(path, restrict_vocab=restrict_vocab)
    total = _count_questions(path)
    answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]) if sections else 0
    return {
        "accuracy": float(accuracy) if answered else float("nan"),
        "oov_ratio": 1.0 - answered / total if total else float("nan"),
        "questions": total,
    }


def _pair_scores(wv, path: str, restrict_vocab: int) -> dict:
    try:
        pearson, spearman, oov_percent = wv.evaluate_word_pairs(path, restrict_vocab=restrict_vocab)
    except ValueError:  # scipy needs two covered pairs; gensim lets its error through
        known = {word.upper() for word in wv.index_to_key[:restrict_vocab]}
        with open(path, encoding="utf8") as file:
            pairs = [line.split("\t")[:2] for line in file if line.strip() and not line.startswith("#")]
        covered = sum(1 for a, b in pairs if a.upper() in known and b.upper() in known)
        oov = 1.0 - covered / len(pairs) if pairs else float("nan")
        return {"spearman": float("nan"), "pearson": float("nan"), "oov_ratio": oov}
    return {"spearman": float(spearman[0]), "pearson": float(pearson[0]), "oov_ratio": float(oov_percent) / 100.0}


def _count_questions(path: str) -> int:
    with open(path, encoding="utf8") as file:
        return sum(1 for line in file if line.strip() and not line.startswith(":"))
