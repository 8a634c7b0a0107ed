"""kerazoo's Word2Vec pipeline against raw gensim, side by side in one run.

    python benchmarks/word2vec.py

On gensim's head500.noblanks.cor repeated 10x (CBOW, 100-d, window 5, negative 5, 5 epochs):
1. words/s end to end (kerazoo includes reading, tokenizing and spilling) vs raw gensim `corpus_file`
   at workers=os.cpu_count(); target ratio >= 0.95;
2. given an in-memory iterable of token lists, kerazoo vs raw gensim's iterable mode; target >= 1.1;
3. peak RSS of kerazoo training on 10x minus 1x the corpus, each in a fresh process; target <= 20 MB;
4. WordSim-353 and SimLex-999 Spearman, mean over 3 seeds, kerazoo minus raw gensim; target within 0.02.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

from kerazoo.embeddings import evaluate, train_word2vec

SETTINGS = {"vector_size": 100, "window": 5, "negative": 5, "epochs": 5, "sg": 0, "min_count": 5}


def repeated_corpus(folder: Path, times: int) -> Path:
    text = Path(datapath("head500.noblanks.cor")).read_text(encoding="utf8")
    path = folder / f"head500x{times}.txt"
    path.write_text(text * times, encoding="utf8")
    return path


def words_per_second(train, words: int) -> tuple[float, object]:
    start = time.perf_counter()
    model = train()
    return SETTINGS["epochs"] * words / (time.perf_counter() - start), model


def report(label: str, raw: float, ours: float) -> None:
    print(f"{label:<15} raw gensim {raw:12,.0f} words/s   kerazoo {ours:12,.0f} words/s   ratio {ours / raw:.2f}")


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

        raw, _ = words_per_second(lambda: Word2Vec(corpus_file=str(big), workers=cores, **SETTINGS), words)
        ours, _ = words_per_second(lambda: train_word2vec(big, workers=cores, progress=False, **SETTINGS), words)
        print(
            f"1. corpus_file   raw gensim {raw:12,.0f} words/s   kerazoo {ours:12,.0f} words/s   ratio {ours / raw:.2f}"
        )

        sentences = list(LineSentence(str(big)))
        raw, _ = words_per_second(lambda: Word2Vec(sentences=sentences, workers=cores, **SETTINGS), words)
        ours, _ = words_per_second(lambda: train_word2vec(sentences, workers=cores, progress=False, **SETTINGS), words)
        print(
            f"2. iterable      raw gensim {raw:12,.0f} words/s   kerazoo {ours:12,.0f} words/s   ratio {ours / raw:.2f}"
        )

        rss_small, rss_big = peak_rss_mb(small), peak_rss_mb(big)
        print(f"3. peak RSS      1x {rss_small:.0f} MB, 10x {rss_big:.0f} MB, growth {rss_big - rss_small:.1f} MB")

        differences = {"wordsim353": [], "simlex999": []}
        for seed in (1, 2, 3):
            raw_scores = evaluate(Word2Vec(corpus_file=str(big), workers=cores, seed=seed, **SETTINGS).wv)
            our_scores = evaluate(train_word2vec(big, workers=cores, seed=seed, progress=False, **SETTINGS).wv)
            for name in differences:
                differences[name].append(our_scores[name]["spearman"] - raw_scores[name]["spearman"])
        for name, values in differences.items():
            print(
                f"4. {name:<11} Spearman kerazoo - raw, mean of 3 seeds: {statistics.mean(values):+.3f} "
                f"(per seed {', '.join(f'{v:+.3f}' for v in values)}; OOV {our_scores[name]['oov_ratio']:.2f})"
            )
    print(f"\nthis process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
