"""`kerazoo word2vec train|evaluate|similar|export`: the Word2Vec pipeline from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from kerazoo.cli._common import UsageError
from kerazoo.embeddings.evaluation import STANDARD_SETS  # a light module: gensim loads only when scoring
from kerazoo.embeddings.persistence import MODEL_FILE


def _word2vec_train(args) -> int:
    from kerazoo import embeddings
    from kerazoo._io import atomic_path, require_writable_folder
    from kerazoo.training.plots import plot_word2vec_history

    require_writable_folder(args.output)  # before the corpus is read and trained on, not after

    corpus = embeddings.Corpus(
        args.corpus or [_lee_corpus()], lowercase=not args.keep_case, strip_punctuation=not args.keep_punctuation
    )
    options = {"phrases": args.phrases, "workers": args.workers, "seed": args.seed}
    callbacks = []
    if args.early_stopping:
        callbacks.append(
            embeddings.EarlyStopping(args.early_stopping, patience=args.patience, restore_best_weights=True)
        )
    model = embeddings.train_word2vec(
        corpus,
        evaluate_every_epoch=args.score or None,
        callbacks=callbacks,
        vector_size=args.vector_size,
        window=args.window,
        min_count=args.min_count,
        sg=not args.cbow,
        epochs=args.epochs,
        **options,
    )
    output = Path(args.output)
    embeddings.save(model, output / MODEL_FILE)
    history = {
        "history": model.training_history,
        "token_counts": model.token_counts,
        "early_stopping": model.early_stopping,
    }
    with atomic_path(output / "history.json") as temporary:
        temporary.write_text(json.dumps(history, indent=2), encoding="utf8")
    plot_word2vec_history(model, output / "history.png")
    print(f"{len(model.wv)} words, {model.token_counts['read']} tokens read; saved to {output / MODEL_FILE}")
    return 0


def _lee_corpus() -> str:
    from gensim.test.utils import datapath

    return datapath("lee_background.cor")


def _load(folder: str):
    from kerazoo import embeddings

    return embeddings.load(folder)


def _word2vec_evaluate(args) -> int:
    from kerazoo import embeddings

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
    from kerazoo import embeddings

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
    train.add_argument("--vector-size", type=int, default=100)
    train.add_argument("--window", type=int, default=5)
    train.add_argument("--min-count", type=int, default=5)
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--workers", type=int, default=None, help="threads (default: two per core)")
    train.add_argument("--seed", type=int, default=1)
    train.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    train.add_argument("--phrases", action="store_true", help="join frequent collocations first")
    train.add_argument("--keep-case", action="store_true", help="do not lowercase")
    train.add_argument(
        "--keep-punctuation", action="store_true", help="split on whitespace only (for already tokenized text)"
    )
    train.add_argument(
        "--score", action="append", choices=STANDARD_SETS, default=[], help="score this set after every epoch"
    )
    train.add_argument(
        "--early-stopping",
        choices=("loss", *STANDARD_SETS),
        help="stop when this stops improving, keeping the best epoch's vectors",
    )
    train.add_argument("--patience", type=int, default=1, help="epochs without improvement before stopping")
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
    export.add_argument("--format", required=True, choices=["word2vec", "word2vec-binary", "projector"])
    export.add_argument("--path", help="where to write (default: inside the model folder)")
    export.set_defaults(run=_word2vec_export)
