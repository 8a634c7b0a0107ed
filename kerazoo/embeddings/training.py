"""Word2Vec training on gensim's corpus_file path, with per-epoch losses and reproducible seeding."""

from __future__ import annotations

import os
import tempfile
import time
import zlib
from collections import defaultdict
from pathlib import Path

from kerazoo.embeddings.corpus import Corpus


def stable_hash(text: str) -> int:
    """CRC-32 of the UTF-8 text: the same in every process, unlike `hash` under PYTHONHASHSEED (gensim#2859).

    gensim seeds each word's initial vector with `hashfxn(word + str(seed))`; with the default `hash`,
    two processes give different vectors even with `workers=1` and a fixed seed.
    """
    return zlib.crc32(text.encode("utf8"))


def train_word2vec(
    corpus_or_paths,
    *,
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    sg: bool = True,
    negative: int = 5,
    epochs: int = 5,
    workers: int | None = None,
    seed: int = 1,
    phrases: bool | dict = False,
    progress: bool = True,
    callbacks=(),
    **gensim_kwargs,
):
    """Trains and returns a real `gensim.models.Word2Vec` on a corpus or paths.

    The corpus is tokenized once into a temporary one-text-a-line file and trained with gensim's
    `corpus_file` mode, which scales with cores where iterable mode plateaus; texts longer than gensim's
    10,000-token limit arrive split, not truncated. Word vectors are seeded with `stable_hash`, so
    `workers=1` and a seed give the same vectors in every process.

    Args:
        corpus_or_paths: a `Corpus`, or anything `Corpus` takes (paths, folders, globs, token lists).
        vector_size, window, min_count, negative, epochs, seed: as in gensim.
        sg: skip-gram (True) or CBOW (False).
        workers: training threads; None uses every core.
        phrases: join frequent collocations ("new york" -> "new_york") with gensim `Phrases`, learned in
            one pass and applied once while the corpus is written to disk; a dict passes `Phrases`
            options (`min_count`, `threshold`, ...). The frozen phrase model is kept as `model.phrases`,
            to apply to new text.
        progress: show a progress bar with loss, words/s and learning rate per epoch.
        callbacks: extra gensim `CallbackAny2Vec` objects.
        **gensim_kwargs: any other `gensim.models.Word2Vec` argument (`hs`, `sample`, `alpha`, ...).

    Returns:
        The trained model, with `training_history` (one dict per epoch: loss, seconds, words_per_second,
        learning_rate) and `token_counts` ({"read": tokens in the corpus, "trained": tokens gensim saw;
        fewer only when phrases joined words}).

    Raises:
        ValueError: for a corpus with no tokens, or no word reaching `min_count`.
    """
    from gensim.models import Word2Vec

    for name in ("hashfxn", "corpus_file", "sentences", "compute_loss"):
        if name in gensim_kwargs:
            raise TypeError(f"`{name}` is set by train_word2vec; it cannot be passed through.")
    corpus = corpus_or_paths if isinstance(corpus_or_paths, Corpus) else Corpus(corpus_or_paths)
    telemetry = _Telemetry(epochs, progress)
    phraser = _learn_phrases(corpus, phrases) if phrases else None
    texts = (phraser[tokens] for tokens in corpus) if phraser else corpus
    with tempfile.TemporaryDirectory(prefix="kerazoo-w2v-") as folder:
        lines = Path(folder) / "corpus.txt"
        if not _spill(texts, lines):
            raise ValueError("The corpus has no tokens: its files are empty or hold no words.")
        model = Word2Vec(
            vector_size=vector_size,
            window=window,
            min_count=min_count,
            sg=int(sg),
            negative=negative,
            epochs=epochs,
            workers=workers or os.cpu_count() or 1,
            seed=seed,
            hashfxn=stable_hash,
            **gensim_kwargs,
        )
        # gensim's own vocabulary scan, then the check it lacks: it would only fail later, obscurely.
        model.build_vocab(corpus_file=str(lines), keep_raw_vocab=True)
        _require_vocabulary(model, min_count)
        model.raw_vocab = defaultdict(int)  # what gensim leaves when it does not keep the raw counts
        model.train(
            corpus_file=str(lines),
            total_words=model.corpus_total_words,
            epochs=epochs,
            compute_loss=True,
            callbacks=[telemetry, *callbacks],
        )
    model.training_history = telemetry.history
    model.phrases = phraser
    model.token_counts = {"read": corpus.tokens_read, "trained": int(model.corpus_total_words)}
    return model


def _learn_phrases(corpus: Corpus, options):
    from gensim.models.phrases import Phrases

    return Phrases(corpus, **(options if isinstance(options, dict) else {})).freeze()


def _spill(corpus, path: Path) -> int:
    """Writes one text a line, tokens separated by spaces (gensim's LineSentence format); returns the token count."""
    tokens_written = 0
    with open(path, "w", encoding="utf8") as out:
        for tokens in corpus:
            out.write(" ".join(token.replace(" ", "_") for token in tokens) + "\n")
            tokens_written += len(tokens)
    return tokens_written


def _require_vocabulary(model, min_count: int) -> None:
    if len(model.wv) == 0:
        top = max(model.raw_vocab.values(), default=0)
        raise ValueError(
            f"No word reaches `min_count`={min_count}; the most frequent occurs {top} times in "
            f"{model.corpus_total_words} tokens. Lower `min_count` or give a larger corpus."
        )


class _Telemetry:
    """Per-epoch loss, speed and learning rate, and a tqdm bar. A gensim callback by duck typing.

    gensim's `get_latest_training_loss()` is a float32 tally over the whole `train()` call (gensim#2735);
    resetting it when each epoch begins makes each reading that epoch's loss alone.
    """

    def __init__(self, epochs: int, progress: bool):
        self.epochs, self.progress = epochs, progress
        self.history: list[dict] = []
        self.bar = None

    def on_train_begin(self, model):
        if self.progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.epochs, unit="epoch", desc="word2vec")

    def on_epoch_begin(self, model):
        model.running_training_loss = 0.0
        self.started = time.perf_counter()

    def on_epoch_end(self, model):
        seconds = time.perf_counter() - self.started
        record = {
            "epoch": len(self.history) + 1,
            "loss": float(model.get_latest_training_loss()),
            "seconds": seconds,
            "words_per_second": model.corpus_total_words / seconds if seconds else float("inf"),
            # gensim decays the rate linearly from alpha to min_alpha over the epochs.
            "learning_rate": model.alpha - (model.alpha - model.min_alpha) * (len(self.history) + 1) / self.epochs,
        }
        self.history.append(record)
        if self.bar is not None:
            self.bar.set_postfix(
                loss=f"{record['loss']:.4g}",
                words_s=f"{record['words_per_second']:.3g}",
                lr=f"{record['learning_rate']:.3g}",
            )
            self.bar.update(1)

    def on_train_end(self, model):
        if self.bar is not None:
            self.bar.close()
