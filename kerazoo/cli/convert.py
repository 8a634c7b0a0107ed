"""`kerazoo convert`: checkpoints users already have, as zoo models in `.keras` files."""

from __future__ import annotations

from pathlib import Path

from kerazoo import hub
from kerazoo._io import require_writable_folder
from kerazoo.cli._common import UsageError, parse_settings


def _convert(args) -> int:
    from kerazoo.models import convert, pretrained  # imports Keras
    from kerazoo.training.saving import save_model

    output = Path(args.output)
    if output.suffix != ".keras":
        raise UsageError(f"--output must end in .keras. Received: {args.output!r}")
    require_writable_folder(output.parent, "--output")  # before the conversion, not after
    settings = parse_settings(args.set)
    if hub.is_hub_source(args.source):
        target = pretrained.zoo_model_of(args.source)  # config.json only: nothing large is fetched for a wrong --to
        if args.to is not None and args.to != target:
            raise UsageError(f"{args.source} converts to {target!r}, not --to={args.to!r}.")
        model = pretrained.from_pretrained(args.source, **settings)
    else:
        model = convert.convert(args.source, to=args.to, **settings)
    save_model(model, output)
    print(f"{args.source} -> {model.name} ({model.count_params():,} parameters): {output}")
    return 0


def add_commands(commands) -> None:
    command = commands.add_parser(
        "convert",
        help="convert a keras.applications, keras-hub or Hugging Face checkpoint to a zoo model",
        description="Reads SOURCE (a keras.applications ResNet50 .h5 weights file; a keras-hub preset folder of "
        "a GPT2Backbone, BertBackbone or ResNetBackbone; a Hugging Face GPT-2 or BERT folder with config.json "
        "and model.safetensors; or such a checkpoint on the Hugging Face Hub, hf:ORG/NAME[@REVISION], downloaded "
        "with huggingface_hub and its cache, HF_TOKEN and HF_HUB_OFFLINE), builds the zoo model of the same size "
        "and writes it to --output. Every source tensor must find its place: a missing, unused or misshapen one "
        "stops the conversion. Only hf: sources are downloaded, and only their config, safetensors and "
        "tokenizer files.",
        epilog="examples: kerazoo convert ./gpt2 --to gpt --output gpt2.keras; "
        "kerazoo convert hf:google-bert/bert-base-uncased --set num_classes=2 --output bert.keras",
    )
    command.add_argument("source", help="a weights file, a checkpoint folder or hf:ORG/NAME[@REVISION]")
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
