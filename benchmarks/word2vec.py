"""kerazoo's Word2Vec pipeline against raw gensim, on gensim's head500.noblanks.cor repeated 10x
(CBOW, 100-d, window 5, negative 5, 5 epochs); the rows of `python -m benchmarks --suite word2vec`.

1. words/s end to end (kerazoo's figure includes reading, tokenizing, counting and spilling the corpus)
   against raw gensim `corpus_file` at workers=os.cpu_count(); target >= 0.95;
2. given an in-memory iterable of token lists, kerazoo (defaults) against gensim's iterable mode at
   workers=os.cpu_count(); target >= 1.1;
3. peak RSS growth from 1x to 10x the corpus, each size in a fresh process, with the same vocabulary
   at both sizes; target <= 20 MB;
4. WordSim-353 and SimLex-999 Spearman, kerazoo minus raw gensim on the same seeds, beside raw gensim
   minus itself on other seeds, which is the noise of such a difference on a small corpus.

`python -m benchmarks.word2vec` prints the diagnostics behind kerazoo's defaults: raw gensim at 1, 2 and 4
threads per core (the measurement behind `default_workers`) and the one pass kerazoo makes before training.
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import cache, partial
from pathlib import Path

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

from benchmarks._harness import Comparison, Custom, Measurement, Row
from benchmarks._timing import interleaved
from kerazoo.embeddings import Corpus, evaluate, train_word2vec
from kerazoo.embeddings.word2vec import _spill  # the pass before training, timed on its own

SETTINGS = {"vector_size": 100, "window": 5, "negative": 5, "epochs": 5, "sg": False, "min_count": 5}


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kerazoo-benchmarks-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def repeated_corpus(times: int) -> Path:
    text = Path(datapath("head500.noblanks.cor")).read_text(encoding="utf8")
    path = _folder() / f"head500x{times}.txt"
    path.write_text(text * times, encoding="utf8")
    return path


@cache
def token_lists(path: Path) -> list[list[str]]:
    return list(LineSentence(str(path)))


def _words(path: Path) -> int:
    with path.open(encoding="utf8") as lines:
        return sum(len(line.split()) for line in lines)


def rows(quick: bool) -> list:
    times = 2 if quick else 10
    cores = os.cpu_count() or 1
    timing = {"rounds": 1 if quick else 5, "steps_per_round": 1, "warmup": 0}

    big = repeated_corpus(times)
    words = SETTINGS["epochs"] * _words(big)

    def race(name, title, mode, target, notes=""):
        """kerazoo's defaults against raw gensim at one thread per core, both given the same text: the
        file's path, or its token lists (read when the row is raced, not whenever the rows are listed)."""
        reference = f"gensim {mode}, workers={cores}"

        def text():
            return str(big) if mode == "corpus_file" else token_lists(big)

        def kerazoo():
            return partial(train_word2vec, text(), progress=False, **SETTINGS)

        def gensim():
            keyword = "corpus_file" if mode == "corpus_file" else "sentences"
            return partial(Word2Vec, **{keyword: text()}, workers=cores, **SETTINGS)

        return Row(
            name=name,
            title=title,
            unit="words/s",
            work=words,
            contenders={"kerazoo": kerazoo, reference: gensim},
            comparisons=[Comparison("kerazoo", reference, target=target)],
            notes=notes,
            **timing,
        )

    return [
        race(
            "word2vec_corpus_file",
            f"Word2Vec training from a file (head500 x{times}, CBOW, 5 epochs)",
            "corpus_file",
            0.95,
            notes="kerazoo's time includes tokenizing, counting and spilling the corpus",
        ),
        race("word2vec_iterable", f"Word2Vec training from token lists in memory (head500 x{times})", "iterable", 1.1),
        Custom("word2vec_memory", lambda: [memory_growth(times)]),
        Custom("word2vec_similarity", lambda: similarity((1,) if quick else (1, 2, 3), times)),
    ]


def peak_rss_mb(path: Path, trainer: str, min_count: int) -> float:
    """Peak resident memory of a fresh process that trains Word2Vec on `path` with `trainer`."""
    settings = {**SETTINGS, "min_count": min_count}
    train = {
        "kerazoo": "from kerazoo.embeddings import train_word2vec; train_word2vec(path, progress=False, **settings)",
        "gensim": "from gensim.models import Word2Vec; Word2Vec(corpus_file=path, **settings)",
    }[trainer]
    code = f"import sys; path, settings = sys.argv[1], {settings!r}; {train}; print(peak_resident_mb())"
    code = f"from benchmarks._memory import peak_resident_mb; {code}"
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return float(run.stdout.strip().splitlines()[-1])


def memory_growth(times: int) -> Measurement:
    """Peak RSS at `times` x the corpus minus at 1x. `min_count` grows with the corpus, so both sizes keep
    the very same vocabulary (every count is multiplied by `times`) and the vectors the same size: what
    grows is what streaming the corpus costs, not a larger vocabulary's vectors."""
    sizes = {repeated_corpus(1): SETTINGS["min_count"], repeated_corpus(times): times * SETTINGS["min_count"]}
    peaks = {
        trainer: [peak_rss_mb(path, trainer, min_count) for path, min_count in sizes.items()]
        for trainer in ("kerazoo", "gensim")
    }
    growth = {trainer: big - small for trainer, (small, big) in peaks.items()}
    return Measurement(
        row="word2vec_memory",
        title=f"Word2Vec peak RSS growth from 1x to {times}x the corpus",
        unit="MB",
        kerazoo=growth["kerazoo"],
        reference_name="gensim corpus_file",
        reference=growth["gensim"],
        comparison="difference",
        value=growth["kerazoo"] - growth["gensim"],
        low=growth["kerazoo"] - growth["gensim"],
        high=growth["kerazoo"] - growth["gensim"],
        target="kerazoo <= 20 MB",
        met="yes" if growth["kerazoo"] <= 20 else "no",
        notes=(
            f"the same vocabulary at both sizes (min_count x{times}); one fresh process per size; peaks "
            + ", ".join(f"{trainer} {small:.0f} -> {big:.0f} MB" for trainer, (small, big) in peaks.items())
            + " (kerazoo's include Keras and TensorFlow, which `import kerazoo` loads)"
        ),
    )


def similarity(seeds: tuple[int, ...], times: int) -> list[Measurement]:
    big = repeated_corpus(times)

    @cache
    def raw(seed):
        return evaluate(Word2Vec(corpus_file=str(big), workers=os.cpu_count(), seed=seed, **SETTINGS).wv)

    def ours(seed):
        return evaluate(train_word2vec(big, seed=seed, progress=False, **SETTINGS).wv)

    scores = {seed: (ours(seed), raw(seed), raw(seed + 10)) for seed in seeds}
    lines = []
    for name in ("wordsim353", "simlex999"):
        kerazoo = [scores[seed][0][name]["spearman"] for seed in seeds]
        gensim = [scores[seed][1][name]["spearman"] for seed in seeds]
        noise = [scores[seed][2][name]["spearman"] - scores[seed][1][name]["spearman"] for seed in seeds]
        differences = [a - b for a, b in zip(kerazoo, gensim, strict=True)]
        oov = scores[seeds[0]][0][name]["oov_ratio"]
        lines.append(
            Measurement(
                row="word2vec_similarity",
                title=f"{name} Spearman (head500 x{times}; {len(seeds)} seeds)",
                unit="Spearman",
                kerazoo=statistics.mean(kerazoo),
                reference_name="gensim corpus_file",
                reference=statistics.mean(gensim),
                comparison="difference",
                value=statistics.mean(differences),
                low=min(differences),
                high=max(differences),
                notes=(
                    f"gensim against itself on other seeds: {statistics.mean(noise):+.3f}; "
                    f"{oov:.0%} of pairs out of vocabulary (kerazoo lowercases and strips punctuation)"
                ),
            )
        )
    return lines


def main() -> None:
    cores = os.cpu_count() or 1
    big = repeated_corpus(10)
    words = _words(big)
    print(f"head500.noblanks.cor x10, {words:,} tokens; CBOW {SETTINGS}; {cores} cores")
    threads = {
        f"raw gensim corpus_file, workers={n}": lambda n=n: Word2Vec(corpus_file=str(big), workers=n, **SETTINGS)
        for n in (cores, 2 * cores, 4 * cores)
    }
    for label, seconds in interleaved(threads, rounds=3, steps_per_round=1, warmup=0).items():
        print(f"  {label:<36} best {SETTINGS['epochs'] * words / min(seconds):12,.0f} words/s")
    passes = {
        "kerazoo: read, tokenize, count, write, set up": lambda: Word2Vec(**SETTINGS).build_vocab_from_freq(
            (scan := _spill(Corpus(big), _folder() / "spill.txt")).counts, corpus_count=scan.texts
        ),
        "raw gensim build_vocab: read, split, count, set up": lambda: Word2Vec(**SETTINGS).build_vocab(
            corpus_file=str(big)
        ),
    }
    for label, seconds in interleaved(passes, rounds=3, steps_per_round=1, warmup=0).items():
        print(f"  one pass before training, {label:<52} best {min(seconds):.2f} s")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"{time.perf_counter() - start:.0f} s")
