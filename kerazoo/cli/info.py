"""`kerazoo env`, `kerazoo models` and `kerazoo summary`: what is installed, what the zoo holds."""

from __future__ import annotations

from kerazoo.cli._common import parse_settings


def _environment(_args) -> int:
    """Prints what kerazoo will run on: versions, backend and installed frameworks."""
    from importlib import metadata

    import keras

    from kerazoo import __version__

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

    for name in models.list_models(args.pattern):
        info = models.info(name)
        print(f"{name:<30} {info.family:<12} {info.task:<22} {info.outputs:<14} {info.paper}")
    return 0


def _summary(args) -> int:
    from kerazoo import models

    model = models.build(args.name, **parse_settings(args.set))
    model.summary()
    return 0


def add_commands(commands) -> None:
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
