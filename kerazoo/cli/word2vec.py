"""`kerazoo word2vec train|evaluate|similar|export`: the Word2Vec pipeline from the shell.

Each handler turns its arguments into one call of `kerazoo.embeddings`; `train` is `run_word2vec`, and its
options' defaults are the library's own.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from kerazoo import embeddings
from kerazoo.cli._common import UsageError
from kerazoo.embeddings.persistence import MODEL_FILE

# Options of `word2vec train` that go to `train_word2vec` under their own names.
TRAINING_OPTIONS = ("vector_size", "window", "min_count", "sg", "epochs", "workers", "seed", "phrases")
# The library's defaults, for the options the command line does not state.
DEFAULTS = {
    name: parameter.default
    for function in (embeddings.train_word2vec, embeddings.run_word2vec)
    for name, parameter in inspect.signature(function).parameters.items()
    if parameter.default is not parameter.empty
}


def _word2vec_train(args) -> int:
    corpus = embeddings.Corpus(
        args.corpus or [_lee_corpus()], lowercase=args.lowercase, strip_punctuation=args.strip_punctuation
    )
    report = embeddings.run_word2vec(
        corpus,
        output=args.output,
        early_stopping=args.early_stopping,
        patience=args.patience,
        evaluate_every_epoch=args.evaluate_every_epoch,
        **{name: getattr(args, name) for name in TRAINING_OPTIONS},
    )
    saved = Path(args.output) / MODEL_FILE
    print(f"{len(report.model.wv)} words, {report.token_counts['read']} tokens read; saved to {saved}")
    return 0


def _lee_corpus() -> str:
    """The corpus `word2vec train` reads when given none: gensim's Lee news corpus, offline."""
    from gensim.test.utils import datapath

    return datapath("lee_background.cor")


def _load(folder: str):
    return embeddings.load(folder)


def _word2vec_evaluate(args) -> int:
    print(json.dumps(embeddings.evaluate(_load(args.folder).wv), indent=2))
    return 0


def _word2vec_similar(args) -> int:
    wv = _load(args.folder).wv
    if args.word not in wv.key_to_index:
        raise UsageError(f"{args.word!r} is not in the vocabulary of {len(wv)} words.")
    for word, similarity in wv.most_similar(args.word, topn=args.top):
        print(f"{similarity:.3f}  {word}")
    return 0


def _word2vec_export(args) -> int:
    target = args.path or str(Path(args.folder) / ("projector" if args.format == "projector" else "vectors.txt"))
    for path in embeddings.export(_load(args.folder).wv, target, format=args.format):
        print(path)
    return 0


def add_commands(commands) -> None:
    word2vec = commands.add_parser("word2vec", help="train, evaluate, query and export Word2Vec vectors")
    word2vec.set_defaults(needs_keras=False)  # gensim alone
    actions = word2vec.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train on text files, folders, globs or Wikipedia dumps")
    train.add_argument("corpus", nargs="*", help="sources (default: gensim's Lee news corpus, offline)")
    train.add_argument("--output", required=True, help="folder for the model and its history")
    train.add_argument("--vector-size", type=int, default=DEFAULTS["vector_size"], help="(default: %(default)s)")
    train.add_argument("--window", type=int, default=DEFAULTS["window"], help="(default: %(default)s)")
    train.add_argument("--min-count", type=int, default=DEFAULTS["min_count"], help="(default: %(default)s)")
    train.add_argument("--epochs", type=int, default=DEFAULTS["epochs"], help="(default: %(default)s)")
    train.add_argument("--workers", type=int, default=DEFAULTS["workers"], help="threads (default: two per core)")
    train.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="(default: %(default)s)")
    train.add_argument("--cbow", dest="sg", action="store_false", help="CBOW instead of skip-gram")
    train.add_argument("--phrases", action="store_true", help="join frequent collocations first")
    train.add_argument("--keep-case", dest="lowercase", action="store_false", help="do not lowercase")
    train.add_argument(
        "--keep-punctuation",
        dest="strip_punctuation",
        action="store_false",
        help="split on whitespace only (for already tokenized text)",
    )
    train.add_argument(
        "--score",
        dest="evaluate_every_epoch",
        action="append",
        choices=embeddings.STANDARD_SETS,
        default=DEFAULTS["evaluate_every_epoch"],
        help="score this set after every epoch (repeatable)",
    )
    train.add_argument(
        "--early-stopping",
        choices=("loss", *embeddings.STANDARD_SETS),
        default=DEFAULTS["early_stopping"],
        help="stop when this stops improving, keeping the best epoch's vectors",
    )
    train.add_argument(
        "--patience",
        type=int,
        default=DEFAULTS["patience"],
        help="epochs without improvement before stopping (default: %(default)s)",
    )
    train.set_defaults(run=_word2vec_train)
    evaluate = actions.add_parser("evaluate", help="analogy and similarity scores with OOV ratios")
    evaluate.add_argument("folder")
    evaluate.set_defaults(run=_word2vec_evaluate)
    similar = actions.add_parser("similar", help="nearest words")
    similar.add_argument("folder")
    similar.add_argument("word")
    similar.add_argument("--top", type=int, default=10)
    similar.set_defaults(run=_word2vec_similar)
    export = actions.add_parser("export", help="word2vec text/binary or TensorBoard projector files")
    export.add_argument("folder")
    export.add_argument("--format", required=True, choices=embeddings.VECTOR_FORMATS)
    export.add_argument("--path", help="where to write (default: inside the model folder)")
    export.set_defaults(run=_word2vec_export)
