"""`kerazoo env`, `kerazoo models` and `kerazoo summary`: what is installed, what the zoo holds."""

from __future__ import annotations

from kerazoo import __version__
from kerazoo.cli._common import parse_settings


def _environment(_args) -> int:
    """Prints what kerazoo will run on: versions, backend and installed frameworks."""
    from importlib import metadata

    import keras

    print(f"kerazoo {__version__}")
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    for distribution in ("tensorflow", "tensorflow-cpu", "tensorflow-tpu", "jax", "torch", "gensim"):
        try:
            print(f"{distribution} {metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            continue
    return 0


def _models(args) -> int:
    from kerazoo import models

    columns = ("name", "family", "task", "inputs", "outputs", "parameters")
    rows = [
        (
            name,
            info.family,
            info.task,
            " + ".join(str(spec) for spec in info.inputs),
            info.outputs,
            f"{info.parameters / 1e6:.2f}M",
        )
        for name, info in ((name, models.info(name)) for name in models.list_models(args.pattern))
    ]
    if not rows:
        print(f"No registered model matches {args.pattern!r}.")
        return 0
    widths = [max(len(column), *(len(row[i]) for row in rows)) for i, column in enumerate(columns)]
    for row in (columns, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print("Parameters at each builder's defaults; kerazoo summary NAME --set KEY=VALUE shows one model in full.")
    return 0


def _summary(args) -> int:
    from kerazoo import models

    model = models.build(args.name, **parse_settings(args.set))
    model.summary()
    return 0


def add_commands(commands) -> None:
    commands.add_parser("env", help="versions, the Keras backend and installed frameworks").set_defaults(
        run=_environment, needs_keras=True
    )
    listing = commands.add_parser(
        "models",
        help="list the registered models",
        description="A table of the registered models: family, task, inputs (shape at the defaults, seq = any "
        "length), outputs and parameters at the defaults.",
    )
    listing.add_argument("pattern", nargs="?", help='fnmatch pattern, e.g. "resnet*"')
    listing.set_defaults(run=_models, needs_keras=True)
    summary = commands.add_parser("summary", help="build a model and print its summary")
    summary.add_argument("name")
    summary.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a default")
    summary.set_defaults(run=_summary, needs_keras=True)
