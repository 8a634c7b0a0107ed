"""The `kerazoo` console script."""

from __future__ import annotations

import argparse
import sys


def _environment(_args) -> int:
    """Prints what kerazoo will run on: versions, backend and devices."""
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


def _version() -> str:
    from kerazoo import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kerazoo", description="Keras 3 model zoo, Word2Vec and distribution.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("env", help="show versions, the Keras backend and installed frameworks").set_defaults(
        run=_environment
    )
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
