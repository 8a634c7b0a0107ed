"""`kerazoo export`: a saved model in a serving format."""

from __future__ import annotations


def _export(args) -> int:
    from kerazoo.models import export

    path = export(args.model, args.output, format=args.format)
    print(f"{args.model} -> {path} ({args.format})")
    return 0


def add_commands(commands) -> None:
    command = commands.add_parser(
        "export",
        help="export a .keras model for serving: TensorFlow SavedModel, ONNX or LiteRT",
        description="Writes MODEL (a .keras file, e.g. runs/NAME/model.keras) to --output in --format, with a "
        "dynamic batch size: saved_model (a folder, for TensorFlow Serving), onnx (a .onnx file, for "
        "onnxruntime; needs tf2onnx) or litert (a .tflite file; not for the LSTM models, whose loops need "
        "TensorFlow's select ops).",
        epilog="example: kerazoo export runs/resnet18/model.keras --format onnx --output resnet18.onnx",
    )
    command.add_argument("model", help="a .keras file")
    command.add_argument("--format", required=True, help="saved_model, onnx or litert")
    command.add_argument("--output", required=True, help="a folder (saved_model) or a .onnx / .tflite file")
    command.set_defaults(run=_export, needs_keras=True)
