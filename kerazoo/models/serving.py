"""Exporting zoo models for serving, through Keras's own `model.export`.

    models.export(model, "served/resnet18", format="saved_model")   # TensorFlow Serving, TF.js, ...
    models.export("runs/gpt/model.keras", "gpt.onnx", format="onnx")  # onnxruntime (needs tf2onnx)
    models.export(model, "lenet5.tflite", format="litert")           # LiteRT (formerly TensorFlow Lite)

Every export keeps the batch size dynamic and is written atomically: an interrupted export leaves any
earlier one in place. Exporting needs the TensorFlow backend's converters (TensorFlow for every format,
tf2onnx for ONNX).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import keras

from kerazoo._io import atomic_path
from kerazoo._optional import require
from kerazoo._validation import require_choice

EXPORT_FORMATS = ("saved_model", "onnx", "litert")
_KERAS_FORMATS = {"saved_model": "tf_saved_model", "onnx": "onnx", "litert": "litert"}
_SUFFIXES = {"onnx": ".onnx", "litert": ".tflite"}


def export(model, path, *, format: str = "saved_model") -> str:
    """Writes `model` (a `keras.Model` or a `.keras` file) to `path` in `format`; returns the path.

    Args:
        model: the model, or the path of a `.keras` file.
        path: a folder for "saved_model", a `.onnx` file for "onnx", a `.tflite` file for "litert".
        format: "saved_model", "onnx" or "litert".

    Raises:
        ValueError: for an unknown format, a path of the wrong kind, or a model the format cannot express
            (the LSTM models in LiteRT: their loops need TensorFlow's select ops, which LiteRT's standard
            interpreter does not carry).
    """
    require_choice("format", format, EXPORT_FORMATS)
    path = Path(os.fspath(path))
    suffix = _SUFFIXES.get(format)
    if suffix and path.suffix != suffix:
        raise ValueError(f"`path` for format={format!r} must end in {suffix!r}. Received: path={str(path)!r}")
    if format == "onnx":  # Keras imports them mid-export, after the model is traced
        for module in ("tf2onnx", "onnx"):
            require(module, "ONNX export")
    model = _loaded(model)
    _require_expressible(model, format)
    _call_once(model)
    with warnings.catch_warnings():
        # Keras traces the model on one-step sequences and warns that an attention softmax over one step is
        # always 1, which is true and harmless there.
        warnings.filterwarnings(
            "ignore", message=r"(?s).*softmax over axis -1 of a tensor of shape", category=UserWarning
        )
        if format == "saved_model":
            _export_folder(model, path)
        else:
            with atomic_path(path) as temporary:
                model.export(str(temporary), format=_KERAS_FORMATS[format], verbose=False)
    return str(path)


def _loaded(model) -> keras.Model:
    if isinstance(model, keras.Model):
        return model
    file = Path(os.fspath(model))
    if file.suffix != ".keras" or not file.is_file():
        raise FileNotFoundError(f"`model` must be a keras.Model or an existing .keras file. Received: {str(file)!r}")
    return keras.saving.load_model(file)


def _require_expressible(model: keras.Model, format: str) -> None:
    if format == "litert" and any(isinstance(layer, keras.layers.RNN) for layer in _all_layers(model)):
        raise ValueError(
            f"{model.name} cannot be exported to litert: its LSTM loops need TensorFlow's select ops (the Flex "
            "delegate), which LiteRT's standard interpreter does not carry. Use format='saved_model' or 'onnx'."
        )


def _call_once(model: keras.Model) -> None:
    """Keras's ONNX export refuses a model that was built but never called; one call on ones settles it
    (two steps where the length is free)."""
    shapes = [[1, *(size or 2 for size in tensor.shape[1:])] for tensor in model.inputs]
    ones = [keras.ops.ones(shape, dtype=tensor.dtype) for shape, tensor in zip(shapes, model.inputs, strict=True)]
    structure = model.input
    if isinstance(structure, dict):
        model(dict(zip(structure, ones, strict=True)))
    else:
        model(ones[0] if len(ones) == 1 else ones)


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.layers.Bidirectional):
            yield layer.forward_layer


def _export_folder(model: keras.Model, path: Path) -> None:
    """A SavedModel is a folder: write it beside `path`, then swap it in with renames."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        model.export(str(staging / "model"), format="tf_saved_model", verbose=False)
        if path.exists():  # kept whole in the staging folder until the new export is in place
            os.replace(path, staging / "previous")
        os.replace(staging / "model", path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
