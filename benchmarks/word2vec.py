"""kerazoo's Word2Vec pipeline against raw gensim, side by side in one run.

    python benchmarks/word2vec.py

On gensim's head500.noblanks.cor repeated 10x (CBOW, 100-d, window 5, negative 5, 5 epochs):
1. words/s end to end (kerazoo includes reading, tokenizing, counting and spilling) vs raw gensim
   `corpus_file` at workers=os.cpu_count(); target ratio >= 0.95. kerazoo is timed with its default
   workers and with the same workers as raw gensim, and raw gensim with kerazoo's default too, so the
   pipeline's cost and the thread count's gain are each visible;
2. given an in-memory iterable of token lists, kerazoo (defaults) vs raw gensim's iterable mode at
   workers=os.cpu_count(); target >= 1.1;
3. peak RSS of kerazoo training on 10x minus 1x the corpus, each in a fresh process; target <= 20 MB;
4. WordSim-353 and SimLex-999 Spearman, mean over 3 seeds, kerazoo (defaults) minus raw gensim
   `corpus_file`; target within 0.02. kerazoo splitting on whitespace only, as gensim does, trains on the
   very tokens raw gensim sees, and raw gensim against itself on three other seeds shows the noise of
   the difference: the stemmed corpus covers few pairs of either set;
5. raw gensim `corpus_file` words/s at 1, 2 and 4 threads per core, the measurement behind kerazoo's
   default of two per core (`default_workers`).
Each speed is measured in three rounds, the trainers taking turns in each; the report gives the ratio of
the best runs and the median of the per-round ratios, since a shared machine's speed drifts by +-10%.
"""

from __future__ import annotations

import os
import resource
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

from kerazoo.embeddings import Corpus, default_workers, evaluate, train_word2vec
from kerazoo.embeddings.word2vec import _spill  # the pass before training, timed on its own

SETTINGS = {"vector_size": 100, "window": 5, "negative": 5, "epochs": 5, "sg": 0, "min_count": 5}


def repeated_corpus(folder: Path, times: int) -> Path:
    text = Path(datapath("head500.noblanks.cor")).read_text(encoding="utf8")
    path = folder / f"head500x{times}.txt"
    path.write_text(text * times, encoding="utf8")
    return path


def seconds_per_run(steps: dict, runs: int = 3) -> dict[str, list[float]]:
    """Seconds of each step in each of `runs` rounds, the steps taking turns within a round."""
    seconds: dict[str, list[float]] = {label: [] for label in steps}
    for _ in range(runs):
        for label, step in steps.items():
            start = time.perf_counter()
            step()
            seconds[label].append(time.perf_counter() - start)
    return seconds


def words_per_second(trainers: dict, words: int) -> dict[str, list[float]]:
    """Words/s of each trainer in each round (`seconds_per_run`)."""
    trained = SETTINGS["epochs"] * words
    return {label: [trained / s for s in seconds] for label, seconds in seconds_per_run(trainers).items()}


def report(label: str, speeds: dict[str, list[float]], reference: str) -> None:
    """Each trainer's best words/s and its ratio to the reference's best, then the median of the ratios
    taken round by round: a shared machine's speed drifts, and a round's trainers share its drift."""
    print(label)
    best = {name: max(values) for name, values in speeds.items()}
    for name, values in speeds.items():
        paired = statistics.median(ours / theirs for ours, theirs in zip(values, speeds[reference], strict=True))
        print(
            f"   {name:<44} {best[name]:12,.0f} words/s   ratio of bests {best[name] / best[reference]:.2f}"
            f"   median ratio per round {paired:.2f}"
        )


def kerazoo_pass(path: Path, spill: Path) -> None:
    """What `train_word2vec` does before its first epoch: one pass over the corpus, then the vectors."""
    scan = _spill(Corpus(path), spill)
    Word2Vec(**SETTINGS).build_vocab_from_freq(scan.counts, corpus_count=scan.texts)


def peak_rss_mb(path: Path) -> float:
    """Peak resident memory of a fresh process that trains kerazoo's Word2Vec on `path`."""
    code = (
        "import resource, sys; from kerazoo.embeddings import train_word2vec\n"
        f"train_word2vec(sys.argv[1], progress=False, **{SETTINGS!r})\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return float(run.stdout.strip().splitlines()[-1])


def main() -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        big = repeated_corpus(Path(folder), 10)
        small = repeated_corpus(Path(folder), 1)
        words = sum(len(line.split()) for line in big.open(encoding="utf8"))
        print(f"corpus: head500.noblanks.cor x10, {words:,} tokens; CBOW {SETTINGS}; {cores} cores\n")

        threads = default_workers()
        speeds = words_per_second(
            {
                f"raw gensim corpus_file, workers={cores}": lambda: Word2Vec(
                    corpus_file=str(big), workers=cores, **SETTINGS
                ),
                "kerazoo, default workers": lambda: train_word2vec(big, progress=False, **SETTINGS),
                f"kerazoo, workers={cores}": lambda: train_word2vec(big, workers=cores, progress=False, **SETTINGS),
                f"raw gensim corpus_file, workers={threads}": lambda: Word2Vec(
                    corpus_file=str(big), workers=threads, **SETTINGS
                ),
            },
            words,
        )
        report("1. corpus_file (target: kerazoo default >= 0.95)", speeds, f"raw gensim corpus_file, workers={cores}")

        passes = {
            "kerazoo: read, tokenize, count, write, set up": partial(kerazoo_pass, big, Path(folder) / "spill.txt"),
            "raw gensim build_vocab: read, split, count, set up": lambda: Word2Vec(**SETTINGS).build_vocab(
                corpus_file=str(big)
            ),
        }
        for label, seconds in seconds_per_run(passes).items():
            print(f"   one pass before training, {label:<44} best {min(seconds):.2f} s")

        sentences = list(LineSentence(str(big)))
        speeds = words_per_second(
            {
                f"raw gensim iterable, workers={cores}": lambda: Word2Vec(
                    sentences=sentences, workers=cores, **SETTINGS
                ),
                "kerazoo, default workers": lambda: train_word2vec(sentences, progress=False, **SETTINGS),
            },
            words,
        )
        report("2. iterable (target: kerazoo default >= 1.1)", speeds, f"raw gensim iterable, workers={cores}")

        rss_small, rss_big = peak_rss_mb(small), peak_rss_mb(big)
        print(f"3. peak RSS      1x {rss_small:.0f} MB, 10x {rss_big:.0f} MB, growth {rss_big - rss_small:.1f} MB")

        @cache
        def raw(seed):
            return evaluate(Word2Vec(corpus_file=str(big), workers=cores, seed=seed, **SETTINGS).wv)

        def ours(seed):
            return evaluate(train_word2vec(big, seed=seed, progress=False, **SETTINGS).wv)

        def ours_split_as_gensim(seed):
            corpus = Corpus(big, lowercase=False, strip_punctuation=False)
            return evaluate(train_word2vec(corpus, seed=seed, progress=False, **SETTINGS).wv)

        comparisons = (
            ("kerazoo - raw", ours, raw),
            ("kerazoo, gensim's split - raw", ours_split_as_gensim, raw),
            ("raw - raw (noise)", raw, raw),
        )
        for label, first, second in comparisons:
            differences = {"wordsim353": [], "simlex999": []}
            for seed in (1, 2, 3):
                scores, reference = first(seed), second(seed + 10 if first is second else seed)
                for name in differences:
                    differences[name].append(scores[name]["spearman"] - reference[name]["spearman"])
            for name, values in differences.items():
                print(
                    f"4. {name:<11} Spearman {label:<29} mean of 3 seeds {statistics.mean(values):+.3f} "
                    f"(per seed {', '.join(f'{v:+.3f}' for v in values)}; OOV {scores[name]['oov_ratio']:.2f})"
                )

        speeds = words_per_second(
            {
                f"raw gensim corpus_file, workers={threads}": partial(
                    Word2Vec, corpus_file=str(big), workers=threads, **SETTINGS
                )
                for threads in (cores, 2 * cores, 4 * cores)
            },
            words,
        )
        report("5. threads per core", speeds, f"raw gensim corpus_file, workers={cores}")
    print(f"\nthis process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
