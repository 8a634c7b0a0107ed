"""Whole models built from kerazoo blocks, found by name in a registry.

models.list_models("resnet*")        # ['resnet18', 'resnet34', 'resnet50']
models.info("gpt").outputs           # 'logits'
model = models.build("resnet18", classes=10, input_shape=(32, 32, 3))
model = models.resnet18(classes=10)  # the same builder, called directly
models.export(model, "resnet18.onnx", format="onnx")  # for serving: saved_model, onnx, litert
"""

from kerazoo.models.cnn import lenet5, resnet18, resnet34, resnet50, simple_cnn
from kerazoo.models.generation import generate, generate_stream
from kerazoo.models.imagenet import decode_predictions, preprocess_input
from kerazoo.models.pretrained import from_pretrained
from kerazoo.models.recurrent import bilstm_attention_classifier, lstm_classifier, lstm_seq2seq
from kerazoo.models.registry import (
    InputSpec,
    ModelInfo,
    build,
    check_arguments,
    info,
    layout_map,
    list_models,
    register,
)
from kerazoo.models.serving import export
from kerazoo.models.transformer import gpt, transformer_classifier, transformer_seq2seq

__all__ = [
    "InputSpec",
    "ModelInfo",
    "bilstm_attention_classifier",
    "build",
    "check_arguments",
    "decode_predictions",
    "export",
    "from_pretrained",
    "generate",
    "generate_stream",
    "gpt",
    "info",
    "layout_map",
    "lenet5",
    "list_models",
    "lstm_classifier",
    "lstm_seq2seq",
    "preprocess_input",
    "register",
    "resnet18",
    "resnet34",
    "resnet50",
    "simple_cnn",
    "transformer_classifier",
    "transformer_seq2seq",
]
