"""The `kerazoo` console script."""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

from kerazoo.embeddings.evaluation import STANDARD_SETS  # a light module: gensim loads only when scoring

MODEL_FILE = "word2vec.model"


def _environment(_args) -> int:
    """Prints what kerazoo will run on: versions, backend and installed frameworks."""
    from importlib import metadata

    import keras

    print(f"kerazoo {_version()}")
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    for distribution in ("tensorflow", "tensorflow-cpu", "tensorflow-tpu", "jax", "torch", "gensim"):
        try:
            print(f"{distribution} {metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            continue
    return 0


def _models(args) -> int:
    from kerazoo import models

    for name in models.list_models(args.pattern):
        info = models.info(name)
        print(f"{name:<30} {info.family:<12} {info.task:<22} {info.outputs:<14} {info.paper}")
    return 0


def _parse_settings(pairs: list[str]) -> dict:
    """KEY=VALUE pairs; values are Python literals where they parse (3, 0.1, (32, 32, 3), None), else text."""
    settings = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"kerazoo: --set takes KEY=VALUE. Received: {pair!r}")
        try:
            settings[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            settings[key] = value
    return settings


def _summary(args) -> int:
    from kerazoo import models

    model = models.build(args.name, **_parse_settings(args.set))
    model.summary()
    return 0


def _word2vec_train(args) -> int:
    from kerazoo import embeddings

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
    history = {"history": model.training_history, "token_counts": model.token_counts}
    (output / "history.json").write_text(json.dumps(history, indent=2), encoding="utf8")
    _plot_word2vec_history(model.training_history, output / "history.png")
    print(f"{len(model.wv)} words, {model.token_counts['read']} tokens read; saved to {output / MODEL_FILE}")
    return 0


def _plot_word2vec_history(records: list[dict], path: Path) -> None:
    from kerazoo.training import plot_history

    curves = {name: [record[name] for record in records] for name in records[0] if name not in ("epoch", "seconds")}
    plot_history(curves, path, title="word2vec: per-epoch loss, speed, learning rate and scores")


def _lee_corpus() -> str:
    from gensim.test.utils import datapath

    return datapath("lee_background.cor")


def _load(folder: str):
    from kerazoo import embeddings

    return embeddings.load(Path(folder) / MODEL_FILE)


def _word2vec_evaluate(args) -> int:
    from kerazoo import embeddings

    print(json.dumps(embeddings.evaluate(_load(args.folder).wv), indent=2))
    return 0


def _word2vec_similar(args) -> int:
    wv = _load(args.folder).wv
    if args.word not in wv.key_to_index:
        print(f"kerazoo: {args.word!r} is not in the vocabulary of {len(wv)} words.", file=sys.stderr)
        return 2
    for word, similarity in wv.most_similar(args.word, topn=args.top):
        print(f"{similarity:.3f}  {word}")
    return 0


def _word2vec_export(args) -> int:
    from kerazoo import embeddings

    target = args.path or str(Path(args.folder) / ("projector" if args.format == "projector" else "vectors.txt"))
    for path in embeddings.export(_load(args.folder).wv, target, format=args.format):
        print(path)
    return 0


def _launch(args) -> int:
    from kerazoo.distribute import launch

    command = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not command:
        print(
            "kerazoo launch: give the command to run after --, e.g. kerazoo launch -n 2 -- python train.py",
            file=sys.stderr,
        )
        return 2
    return launch(command, args.processes)


def _version() -> str:
    from kerazoo import __version__

    return __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerazoo", description="Keras 3 model zoo, Word2Vec and distribution.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("env", help="versions, the Keras backend and installed frameworks").set_defaults(
        run=_environment
    )
    listing = commands.add_parser("models", help="list the registered models")
    listing.add_argument("pattern", nargs="?", help='fnmatch pattern, e.g. "resnet*"')
    listing.set_defaults(run=_models)
    summary = commands.add_parser("summary", help="build a model and print its summary")
    summary.add_argument("name")
    summary.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a default")
    summary.set_defaults(run=_summary)

    launcher = commands.add_parser(
        "launch",
        help="run a command as N cooperating local processes (TF_CONFIG and KERAS_DISTRIBUTION_* set)",
        description="Starts N copies of COMMAND on this machine as one cluster: each gets TF_CONFIG (TensorFlow) "
        "and KERAS_DISTRIBUTION_* (JAX) naming 127.0.0.1 ports, so distribute.scope('auto') trains across them. "
        "When one fails, the others are stopped; run the same launch again to resume from the last checkpoint.",
    )
    launcher.add_argument("-n", "--processes", type=int, required=True, help="how many processes to start")
    launcher.add_argument("program", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    launcher.set_defaults(run=_launch)

    word2vec = commands.add_parser("word2vec", help="train, evaluate, query and export Word2Vec vectors")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
