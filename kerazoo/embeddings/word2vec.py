"""Word2Vec training on gensim's corpus_file path, with per-epoch losses and reproducible seeding."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from kerazoo._validation import (
    require_choice,
    require_flag,
    require_non_negative_int,
    require_number,
    require_positive_int,
)
from kerazoo.embeddings.callbacks import HOOKS, TrainingReport
from kerazoo.embeddings.evaluation import STANDARD_SETS, headline_scores
from kerazoo.text.corpus import Corpus


def stable_hash(text: str) -> int:
    """CRC-32 of the UTF-8 text: the same in every process, unlike `hash` under PYTHONHASHSEED (gensim#2859).

    gensim seeds each word's initial vector with `hashfxn(word + str(seed))`; with the default `hash`,
    two processes give different vectors even with `workers=1` and a fixed seed.
    """
    return zlib.crc32(text.encode("utf8"))


def default_workers() -> int:
    """Training threads when none are asked for: two per core, a measured choice.

    In gensim's corpus_file mode each thread trains its own slice of the file, without the GIL. On a
    2-core VM, 4 threads trained 7-22% more words per second than 2 (over several runs), with the same
    words trained per epoch and both cores busy either way; 8 threads were sometimes faster still and
    sometimes slower. `python -m benchmarks.word2vec` prints the sweep for your machine. Large machines
    were not measured.
    """
    return 2 * (os.cpu_count() or 1)


def train_word2vec(
    corpus_or_paths,
    *,
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    sg: bool | int = True,
    negative: int = 5,
    epochs: int = 5,
    workers: int | None = None,
    seed: int = 1,
    phrases: bool | dict = False,
    progress: bool = True,
    callbacks=(),
    evaluate_every_epoch=None,
    **gensim_kwargs,
):
    """Trains and returns a real `gensim.models.Word2Vec` on a corpus or paths.

    The corpus is read once: tokenized, counted and written to a temporary one-text-a-line file, which
    gensim then trains on in `corpus_file` mode (it scales with cores where iterable mode plateaus, and it
    needs no second counting pass). Texts longer than gensim's 10,000-token limit arrive split, not
    truncated. Word vectors are seeded with `stable_hash`, so `workers=1` and a seed give the same
    vectors in every process.

    Args:
        corpus_or_paths: a `Corpus`, or anything `Corpus` takes (paths, folders, globs, token lists).
        vector_size, window, min_count, negative, epochs, seed: as in gensim.
        sg: skip-gram (True, or gensim's 1) or CBOW (False, or 0).
        workers: training threads; None uses `default_workers()`.
        phrases: join frequent collocations ("new york" -> "new_york") with gensim `Phrases`, learned in
            one pass and applied once while the corpus is written to disk; a dict passes `Phrases`
            options (`min_count`, `threshold`, ...). The frozen phrase model is kept as `model.phrases`
            (None without phrases), to apply to new text; it travels with the saved model.
        progress: show a progress bar with words/s, loss, learning rate and time left.
        callbacks: epoch callbacks: gensim `CallbackAny2Vec` objects, or any object with some of its hooks,
            such as `EarlyStopping`. A callback ends training after an epoch by setting
            `model.stop_training = True`. A `TrainingReport` among them receives the run's report: the
            per-epoch history, the token counts and early stopping's record (at most one report).
        evaluate_every_epoch: scores to add to each epoch's record: a name or list of names from
            "analogy", "wordsim353", "simlex999", or {name: file} for your own sets ("analogy" names a
            questions-words file, any other name a word-pair file). Sets that a callback monitors are
            added on their own.
        **gensim_kwargs: any other `gensim.models.Word2Vec` argument (`hs`, `sample`, `alpha`,
            `max_vocab_size`, `trim_rule`, ...).

    Returns:
        The trained gensim model, holding gensim's own state and `phrases`; what the run reports (loss,
        speed, learning rate and scores per epoch, token counts, early stopping) is in the `TrainingReport`
        passed in `callbacks`.

    Raises:
        ValueError: for a corpus with no tokens, no word reaching `min_count`, an unknown score name, or
            more than one `TrainingReport`.
    """
    from gensim.models import Word2Vec

    for name in ("hashfxn", "corpus_file", "sentences", "corpus_iterable", "compute_loss"):
        if name in gensim_kwargs:
            raise TypeError(f"`{name}` is set by train_word2vec; it cannot be passed through.")
    _check_arguments(
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=sg,
        negative=negative,
        epochs=epochs,
        workers=workers,
        seed=seed,
        **gensim_kwargs,
    )
    callbacks = list(callbacks)
    _require_hooks(callbacks)
    report, callbacks = _split_report(callbacks)
    score_sets = _score_sets(evaluate_every_epoch, callbacks)
    trim_rule = gensim_kwargs.pop("trim_rule", None)
    corpus = corpus_or_paths if isinstance(corpus_or_paths, Corpus) else Corpus(corpus_or_paths)
    phraser = _learn_phrases(corpus, phrases) if phrases else None
    model = Word2Vec(
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=int(sg),
        negative=negative,
        epochs=epochs,
        workers=workers or default_workers(),
        seed=seed,
        hashfxn=stable_hash,
        **gensim_kwargs,
    )
    with tempfile.TemporaryDirectory(prefix="kerazoo-w2v-") as folder:
        lines = Path(folder) / "corpus.txt"
        scan = _spill(corpus, lines, phraser=phraser, max_vocab_size=model.max_vocab_size, trim_rule=trim_rule)
        if not scan.tokens_written:
            raise ValueError("The corpus has no tokens: its files are empty or hold no words.")
        # The spill counted every word, so gensim's own counting pass over the file is not needed.
        model.build_vocab_from_freq(scan.counts, corpus_count=scan.texts, trim_rule=trim_rule)
        model.corpus_total_words = scan.tokens_written
        _require_vocabulary(model, min_count, scan.counts)
        report.token_counts = {"read": scan.tokens_read, "trained": scan.tokens_written}
        for callback in callbacks:
            if callable(getattr(callback, "set_report", None)):
                callback.set_report(report)
        telemetry = _Telemetry(report, epochs, progress, score_sets)
        try:
            _train(model, lines, epochs, [report, telemetry, *callbacks])
        finally:
            telemetry.close()
    model.phrases = phraser
    return model


def _check_arguments(*, vector_size, window, min_count, sg, negative, epochs, workers, seed, **gensim_kwargs) -> None:
    """Every value gensim's C code would trust, checked first: a window of 0 kills the interpreter
    (SIGFPE), a NaN rate crashes it, and negative counts train nothing while reporting a loss of 0."""
    require_positive_int(vector_size=vector_size, window=window, epochs=epochs)
    require_non_negative_int(min_count=min_count, negative=negative)
    require_flag("gensim", sg=sg)
    if workers is not None:
        require_positive_int(workers=workers)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"`seed` must be an integer. Received: seed={seed!r}")
    # gensim documents these as 1 or 0; True and False mean the same.
    flags = ("hs", "cbow_mean", "sorted_vocab", "shrink_windows", "null_word")
    require_flag("gensim", **{name: gensim_kwargs[name] for name in flags if name in gensim_kwargs})
    hs = gensim_kwargs.get("hs", 0)
    if not hs and not negative:
        raise ValueError("With hs=0, `negative` must be >= 1: nothing would be trained. Received: negative=0")
    for name, minimum, above in (("alpha", None, 0.0), ("min_alpha", 0.0, None), ("sample", 0.0, None)):
        if name in gensim_kwargs:
            require_number(name, gensim_kwargs[name], minimum=minimum, above=above)
    if "ns_exponent" in gensim_kwargs:
        require_number("ns_exponent", gensim_kwargs["ns_exponent"])
    for name in ("max_vocab_size", "max_final_vocab"):
        if gensim_kwargs.get(name) is not None:
            require_positive_int(**{name: gensim_kwargs[name]})
    if "batch_words" in gensim_kwargs:
        require_positive_int(batch_words=gensim_kwargs["batch_words"])


def _train(model, path: Path, epochs: int, callbacks: list) -> None:
    """Trains epoch by epoch through gensim's public `train()`, so that a callback can stop between epochs.

    Each call trains one epoch with the slice of the linear alpha decay that epoch has in one long call,
    so an early stop leaves the model exactly as the full run was after that epoch. gensim runs its
    train-level hooks once per call; ours run once per training.
    """
    alpha, min_alpha = model.alpha, model.min_alpha
    hooks = _EpochHooks(callbacks)
    model.stop_training = False
    try:
        hooks.run("on_train_begin", model)
        for epoch in range(epochs):
            # Set on the model, not passed as start_alpha/end_alpha, which train() ignores when 0.
            model.alpha = _learning_rate(alpha, min_alpha, epoch / epochs)
            model.min_alpha = _learning_rate(alpha, min_alpha, (epoch + 1) / epochs)
            model.train(
                corpus_file=str(path),
                total_words=model.corpus_total_words,
                epochs=1,
                compute_loss=True,
                callbacks=[hooks],
            )
            if model.stop_training:
                break
        # train() keeps the last call's rates and epoch count; the model reports the run's.
        model.alpha, model.min_alpha, model.epochs = alpha, min_alpha, epochs
        hooks.run("on_train_end", model)
    finally:
        del model.stop_training  # the callbacks' signal, not part of the model that is returned and saved


class _EpochHooks:
    """The one callback gensim sees: passes its epoch hooks on to every callback that has them."""

    def __init__(self, callbacks):
        self.callbacks = callbacks

    def run(self, hook: str, model) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(model)

    def on_train_begin(self, model):
        """Each train() call's; the callbacks' own run once, in `_train`."""

    def on_epoch_begin(self, model):
        self.run("on_epoch_begin", model)

    def on_epoch_end(self, model):
        self.run("on_epoch_end", model)

    def on_train_end(self, model):
        """Each train() call's; the callbacks' own run once, in `_train`."""


def _require_hooks(callbacks) -> None:
    for callback in callbacks:
        if not any(callable(getattr(callback, hook, None)) for hook in HOOKS):
            raise TypeError(
                f"`callbacks` holds {callback!r}, which has none of the hooks {', '.join(HOOKS)}; give gensim "
                "CallbackAny2Vec objects or kerazoo callbacks such as EarlyStopping."
            )


def _split_report(callbacks: list) -> tuple[TrainingReport, list]:
    """The caller's `TrainingReport` (or a new one) and the other callbacks."""
    reports = [callback for callback in callbacks if isinstance(callback, TrainingReport)]
    if len(reports) > 1:
        raise ValueError(f"`callbacks` holds {len(reports)} TrainingReport objects; one run fills one report.")
    others = [callback for callback in callbacks if not isinstance(callback, TrainingReport)]
    return (reports[0] if reports else TrainingReport()), others


def _score_sets(evaluate_every_epoch, callbacks) -> dict:
    """{name: file or None for a standard set} to score each epoch, checked before any training."""
    if evaluate_every_epoch is None:
        sets = {}
    elif isinstance(evaluate_every_epoch, Mapping):
        sets = {name: os.fspath(path) for name, path in evaluate_every_epoch.items()}
    else:
        names = [evaluate_every_epoch] if isinstance(evaluate_every_epoch, str) else list(evaluate_every_epoch)
        for name in names:
            require_choice("evaluate_every_epoch", name, STANDARD_SETS)
        sets = dict.fromkeys(names)
    for callback in callbacks:
        monitor = getattr(callback, "monitor", None)
        if monitor is None or monitor == "loss" or monitor in sets:
            continue
        if monitor not in STANDARD_SETS:
            allowed = ", ".join(repr(name) for name in ("loss", *STANDARD_SETS, *sets))
            raise ValueError(
                f"`monitor`={monitor!r} of {callback!r} is not in the epoch history; allowed: {allowed} "
                "(name your own sets in `evaluate_every_epoch`)."
            )
        sets[monitor] = None
    return sets


def _learn_phrases(corpus: Corpus, options):
    from gensim.models.phrases import Phrases

    options = options if isinstance(options, dict) else {}
    if any(character.isspace() for character in options.get("delimiter", "_")):
        raise ValueError(
            f"`phrases` delimiter {options['delimiter']!r} holds whitespace, which would split each phrase "
            "again; use '_' (the default) or another non-space string."
        )
    return Phrases(corpus, **options).freeze()


class _Scan(NamedTuple):
    tokens_read: int
    tokens_written: int
    texts: int
    counts: Counter


def _spill(corpus: Corpus, path: Path, *, phraser=None, max_vocab_size: int | None = None, trim_rule=None) -> _Scan:
    """Writes one text a line, tokens separated by spaces (gensim's LineSentence format), counting words:
    those read from the corpus, and those written once `phraser` has joined its phrases.

    With `max_vocab_size` the counts are pruned as gensim's own scan prunes them, so memory stays bounded.
    """
    from gensim.utils import prune_vocab

    counts: Counter = Counter()
    tokens_read = tokens_written = texts_written = 0
    min_reduce = 1
    with open(path, "w", encoding="utf8") as out:
        for tokens in corpus:
            tokens_read += len(tokens)
            if phraser is not None:
                tokens = phraser[tokens]
            out.write(" ".join(tokens))
            out.write("\n")
            counts.update(tokens)
            tokens_written += len(tokens)
            texts_written += 1
            if max_vocab_size and len(counts) > max_vocab_size:
                prune_vocab(counts, min_reduce, trim_rule=trim_rule)
                min_reduce += 1
    return _Scan(tokens_read, tokens_written, texts_written, counts)


def _require_vocabulary(model, min_count: int, counts: Counter) -> None:
    if len(model.wv) == 0:
        top = max(counts.values(), default=0)
        raise ValueError(
            f"No word reaches `min_count`={min_count}; the most frequent occurs {top} times in "
            f"{model.corpus_total_words} tokens. Lower `min_count` or give a larger corpus."
        )


class _Telemetry:
    """Per-epoch loss, speed, learning rate and scores in the report's `training_history`, and the progress bar.

    gensim's `get_latest_training_loss()` is a float32 tally over the whole `train()` call (gensim#2735);
    resetting it when each epoch begins makes each reading that epoch's loss alone.
    """

    def __init__(self, report: TrainingReport, epochs: int, progress: bool, score_sets: dict):
        self.report, self.epochs, self.progress, self.score_sets = report, epochs, progress, score_sets
        self.bar = None

    def on_train_begin(self, model):
        if self.progress:
            self.bar = _ProgressBar(model, self.epochs, self.report)

    def on_epoch_begin(self, model):
        model.running_training_loss = 0.0
        self.started = time.perf_counter()

    def on_epoch_end(self, model):
        seconds = time.perf_counter() - self.started
        epoch = len(self.report.training_history) + 1
        record = {
            "epoch": epoch,
            "loss": float(model.get_latest_training_loss()),
            "seconds": seconds,
            "words_per_second": model.corpus_total_words / seconds if seconds else float("inf"),
            "learning_rate": model.min_alpha,  # where this epoch's slice of the decay ends
        }
        if self.score_sets:
            record.update(headline_scores(model.wv, self.score_sets))
        self.report.training_history.append(record)
        if self.bar is not None:
            self.bar.end_epoch(record)

    def on_train_end(self, model):
        self.close()

    def close(self) -> None:
        """Detaches the bar; also called when training fails, so gensim's logger is left as it was."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _learning_rate(alpha: float, min_alpha: float, progress: float) -> float:
    """gensim decays the rate linearly from alpha to min_alpha over the whole training."""
    return alpha - (alpha - min_alpha) * progress


class _ProgressBar(logging.Handler):
    """A tqdm bar over the words of all epochs, fed by the progress reports gensim logs about once a second.

    Those reports are gensim's only view inside an epoch (its callbacks fire between epochs); the bar reads
    them from its logger, and keeps them off the console unless the user had asked to see them.
    """

    def __init__(self, model, epochs: int, report: TrainingReport):
        from tqdm.auto import tqdm

        super().__init__(logging.INFO)
        self.model, self.report, self.words = model, report, model.corpus_total_words
        self.tqdm = tqdm(total=epochs * self.words, unit="word", unit_scale=True, desc="word2vec", smoothing=0.1)
        self.logger = logging.getLogger("gensim.models.word2vec")
        self.saved = self.logger.level, self.logger.propagate
        if not self.logger.isEnabledFor(logging.INFO):
            self.logger.setLevel(logging.INFO)
            self.logger.propagate = False
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith(_PROGRESS_REPORT) or not record.args:
            return
        # gensim trains one epoch per call here, so the epoch it reports is always 0; count them ourselves.
        progress = record.args[1] / 100.0
        self._advance_to((len(self.report.training_history) + progress) * self.words)
        rate = _learning_rate(self.model.alpha, self.model.min_alpha, progress)
        self.tqdm.set_postfix(loss=f"{self.model.running_training_loss:.4g}", lr=f"{rate:.3g}")

    def end_epoch(self, record: dict) -> None:
        self._advance_to(record["epoch"] * self.words)
        scores = {name: f"{value:.3f}" for name, value in record.items() if name not in _RECORD_KEYS}
        self.tqdm.set_postfix(loss=f"{record['loss']:.4g}", lr=f"{record['learning_rate']:.3g}", **scores)

    def _advance_to(self, words: float) -> None:
        self.tqdm.update(max(0, int(words) - self.tqdm.n))

    def close(self) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.saved[0])
        self.logger.propagate = self.saved[1]
        self.tqdm.close()
        super().close()


_PROGRESS_REPORT = "EPOCH %i - PROGRESS: at %.2f%%"
_RECORD_KEYS = ("epoch", "loss", "seconds", "words_per_second", "learning_rate")
