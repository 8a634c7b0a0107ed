"""`kerazoo convert`: checkpoints users already have, as zoo models in `.keras` files."""

from __future__ import annotations

from pathlib import Path

from kerazoo._io import require_writable_folder
from kerazoo.cli._common import UsageError, parse_settings


def _convert(args) -> int:
    from kerazoo.models import convert  # imports Keras
    from kerazoo.training.saving import save_model

    output = Path(args.output)
    if output.suffix != ".keras":
        raise UsageError(f"--output must end in .keras. Received: {args.output!r}")
    require_writable_folder(output.parent, "--output")  # before the conversion, not after
    model = convert.convert(args.source, to=args.to, **parse_settings(args.set))
    save_model(model, output)
    print(f"{args.source} -> {model.name} ({model.count_params():,} parameters): {output}")
    return 0


def add_commands(commands) -> None:
    command = commands.add_parser(
        "convert",
        help="convert a keras.applications, keras-hub or Hugging Face checkpoint to a zoo model",
        description="Reads SOURCE (a keras.applications ResNet50 .h5 weights file; a keras-hub preset folder of "
        "a GPT2Backbone, BertBackbone or ResNetBackbone; or a Hugging Face GPT-2 or BERT folder with config.json "
        "and model.safetensors), builds the zoo model of the same size and writes it to --output. Every source "
        "tensor must find its place: a missing, unused or misshapen one stops the conversion. Nothing is "
        "downloaded.",
        epilog="example: kerazoo convert ./gpt2 --to gpt --output gpt2.keras",
    )
    command.add_argument("source", help="a weights file or a checkpoint folder")
    command.add_argument("--to", help="the zoo model you expect (gpt, transformer_classifier, resnet50, ...)")
    command.add_argument("--output", required=True, help="the .keras file to write")
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a builder option the checkpoint leaves free, e.g. include_top=True, num_classes=2, dropout=0.1",
    )
    command.set_defaults(run=_convert, needs_keras=True)
