"""Weights users already have, loaded into zoo models: every source tensor lands in exactly one place.

    model = convert.from_keras_applications(keras.applications.ResNet50(weights="imagenet"))
    model = convert.from_keras_applications("~/.keras/models/resnet50_weights_tf_dim_ordering_tf_kernels.h5")
    model = convert.from_keras_hub(keras_hub.models.GPT2Backbone.from_preset("gpt2_base_en"))
    model = convert.from_keras_hub("path/to/a/saved/preset")    # GPT2Backbone, BertBackbone, ResNetBackbone
    model = convert.from_hugging_face("path/to/gpt2")           # config.json + model.safetensors: GPT-2, BERT, Marian
    model = convert.convert(source)                              # any of the above, by what it is

A mapping that would leave a source or target weight unused, or meet a shape it does not expect, is
refused with the tensor's name and both shapes. Nothing is downloaded: sources are objects or local paths.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np

from kerazoo import models, names
from kerazoo.layers import gelu_tanh
from kerazoo.models._hugging_face import HUGGING_FACE, HUGGING_FACE_TARGETS, read_hugging_face_weights
from kerazoo.models._keras_applications import load_keras_applications, reference_resnet50
from kerazoo.models._transplant import Checkpoint, build_for_checkpoint, renamer, transplant


def from_keras_applications(source, *, input_shape=None):
    """`keras.applications.ResNet50` (a built model, or its weights file) as kerazoo's `resnet50(variant="v1")`.

    keras.applications' ResNet50 strides the first 1x1 convolution of a unit (ResNet v1) and gives its
    convolutions biases; kerazoo's have none, because the batch normalization after each absorbs them: a
    bias moves into that layer's moving mean, and the variance absorbs the difference of epsilons
    (1.001e-5 there, 1e-5 here). The result computes the same function.

    Args:
        source: a built `keras.applications.ResNet50`, or a path to its `.h5` weights file (with or without
            the top, as Keras caches them under `~/.keras/models`).
        input_shape: the zoo model's input shape; default the source model's, or (224, 224, 3).

    Returns:
        The zoo model, with the top (1000 classes, softmax) when the source has one, else `include_top=False`.
    """
    reference = reference_resnet50(source, input_shape)
    top = any(layer.name == names.HEAD for layer in reference.layers)
    shape = tuple(input_shape or reference.input_shape[1:])
    if top:
        classes = reference.get_layer(names.HEAD).units
        activation = reference.get_layer(names.HEAD).activation
        model = models.resnet50(variant="v1", input_shape=shape, classes=classes, classifier_activation=activation)
    else:
        model = models.resnet50(variant="v1", input_shape=shape, include_top=False)
    load_keras_applications(model, reference)
    return model


def convert(source, *, to: str | None = None, **options):
    """Any supported source, by what it is: a keras.applications ResNet50 (model or `.h5`), a keras-hub
    backbone (object or preset folder) or a Hugging Face folder (`config.json` + `model.safetensors`).

    `to` names the zoo model you expect (e.g. "gpt"); a source that converts to another one is refused
    before anything is loaded. `options` go to the converter (see `from_keras_hub`).
    """
    kind, target = _identify(source)
    if to is not None and to != target:
        raise ValueError(f"`source` converts to {target!r}, not to={to!r}.")
    if kind == "keras.applications":
        return from_keras_applications(source, **options)
    if kind == "keras-hub":
        return from_keras_hub(source, **options)
    return from_hugging_face(source, **options)


def _identify(source) -> tuple[str, str]:
    """(the kind of source, the zoo model it converts to), from as little as tells them apart."""
    if isinstance(source, keras.Model):
        kind = type(source).__name__
        if kind in _KERAS_HUB:
            return "keras-hub", _KERAS_HUB[kind](source.get_config())[0]
        return "keras.applications", "resnet50"
    path = _existing_path(source)
    if path.is_file():
        return "keras.applications", "resnet50"
    config = _read_config(path)
    if str(config.get("module", "")).startswith("keras_hub"):
        kind = config.get("class_name")
        if kind not in _KERAS_HUB:
            raise ValueError(f"`source` is a keras-hub {kind}; kerazoo converts {', '.join(sorted(_KERAS_HUB))}.")
        return "keras-hub", _KERAS_HUB[kind](config["config"])[0]
    weights = ("model.safetensors", "model.safetensors.index.json")
    if any((path / name).is_file() for name in weights) and config.get("model_type") in HUGGING_FACE:
        return "hugging-face", HUGGING_FACE_TARGETS[config["model_type"]]
    raise ValueError(
        f"`source` {str(path)!r} is neither a weights file, a keras-hub preset folder (config.json naming a "
        f"keras-hub class) nor a Hugging Face GPT-2, BERT or MarianMT folder (config.json + model.safetensors)."
    )


def _read_config(folder: Path) -> dict:
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def from_keras_hub(source, **options):
    """A keras-hub backbone as the zoo model of the same size, computing the same function.

    `GPT2Backbone` -> `gpt` (logits through the tied token table; `mask_zero=False`, as GPT-2's id 0 is a
    token); `BertBackbone` -> `transformer_classifier(include_top=False, pooling="cls", num_segments=...)`,
    whose "sequence_output" and "pooled_output" are keras-hub's (id 0 is BERT's [PAD]: padding is masked);
    `ResNetBackbone` -> `resnet18/34/50(variant="v1.5", include_top=False)`.

    Args:
        source: a keras-hub backbone, or the folder of a saved keras-hub preset (`backbone.save_to_preset`
            or a downloaded Kaggle preset); `keras_hub` must be installed for a folder.
        **options: builder arguments on top of the ones the checkpoint fixes, e.g. `include_top=True,
            num_classes=2` for a BERT classifier; the new head ("predictions") is then the only weight
            the checkpoint does not provide.
    """
    backbone = _keras_hub_backbone(source)
    kind = type(backbone).__name__
    if kind not in _KERAS_HUB:
        raise ValueError(f"`source` is a keras-hub {kind}; kerazoo converts {', '.join(sorted(_KERAS_HUB))}.")
    config = backbone.get_config()
    name, settings, rename = _KERAS_HUB[kind](config)
    model = build_for_checkpoint(name, settings, options)
    arrays = {variable.path: np.asarray(variable.numpy()) for variable in backbone.weights}
    transplant(model, Checkpoint(arrays, f"keras-hub {kind}"), rename, max_length=options.get("max_length"))
    return model


def from_hugging_face(folder, **options):
    """A Hugging Face GPT-2, BERT or MarianMT folder (`config.json` + `model.safetensors`) as `gpt`,
    `transformer_classifier` or `transformer_seq2seq`. Read with safetensors' NumPy API: PyTorch is not needed.

    GPT-2's fused `c_attn` is split into query, key and value and every projection reshaped to Keras's
    (dim, heads, head_dim); BERT's and Marian's Linear kernels are transposed. A
    `BertForSequenceClassification` checkpoint gives a classifier with its head (logits); a plain
    `BertModel`, the backbone. A `MarianMTModel` gives `transformer_seq2seq` with one shared table, Marian's
    sinusoidal layout and final_logits_bias, whose source is padded with Marian's `<pad>` id (masked) and
    whose target starts with it (Marian's decoder start token); the folder's tokenizer is
    `kerazoo.text.Tokenizer.load(folder)`, with the same ids.

    Args:
        folder: the checkpoint's folder.
        **options: builder arguments on top of the ones the checkpoint fixes; `max_length` may be lower
            than the checkpoint's (the first rows of its position table serve).
    """
    folder = _existing_path(folder)
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"A Hugging Face checkpoint folder needs config.json; {str(folder)!r} has none.")
    config = json.loads(config_file.read_text())
    kind = config.get("model_type")
    if kind not in HUGGING_FACE:
        raise ValueError(
            f"{str(config_file)!r} describes model_type={kind!r}; kerazoo converts {', '.join(sorted(HUGGING_FACE))}."
        )
    arrays, origin = read_hugging_face_weights(folder)
    name, settings, fetch, checkpoint = HUGGING_FACE[kind](config, arrays, origin)
    model = build_for_checkpoint(name, settings, options)
    transplant(model, checkpoint, fetch, max_length=options.get("max_length"))
    return model


# --- keras-hub ---------------------------------------------------------------------------------------------


def _keras_hub_sizes(config) -> dict:
    """The sizes keras-hub's Transformer backbones share, as kerazoo's builder arguments."""
    return {
        "vocab_size": config["vocabulary_size"],
        "max_length": config["max_sequence_length"],
        "dim": config["hidden_dim"],
        "num_heads": config["num_heads"],
        "ffn_dim": config["intermediate_dim"],
        "num_layers": config["num_layers"],
        "dropout": config["dropout"],
    }


# keras-hub numbers a backbone's Transformer layers from 0 and names their sublayers alike (but for the
# encoder's self-attention, below).
_KERAS_HUB_SUBLAYERS = (
    (rf"^({names.ENCODER}|{names.DECODER})(\d+)/", lambda m: f"transformer_layer_{int(m[2]) - 1}/"),
    (rf"/{names.norm(names.SELF_ATTENTION)}/", "/self_attention_layer_norm/"),
    (rf"/{names.FFN_INNER}/", "/feedforward_intermediate_dense/"),
    (rf"/{names.FFN_OUTER}/", "/feedforward_output_dense/"),
    (rf"/{names.norm(names.FFN)}/", "/feedforward_layer_norm/"),
)


def _gpt2_from_keras_hub(config):
    rename = renamer(*_KERAS_HUB_SUBLAYERS, (rf"^{names.FINAL_NORM}/", "layer_norm/"))
    return "gpt", {**_keras_hub_sizes(config), "mask_zero": False}, rename


def _bert_from_keras_hub(config):
    settings = {
        **_keras_hub_sizes(config),
        "num_segments": config["num_segments"],
        "activation": gelu_tanh,  # keras-hub's BERT uses the tanh approximation
        "pooling": "cls",
        "include_top": False,
    }
    rename = renamer(
        (rf"^{names.EMBEDDING_NORM}/", "embeddings_layer_norm/"),
        (rf"/{names.SELF_ATTENTION}/", "/self_attention_layer/"),
        *_KERAS_HUB_SUBLAYERS,
        (rf"^{names.POOLER}/", "pooled_dense/"),
    )
    return "transformer_classifier", settings, rename


_RESNETS = {("basic_block", (2, 2, 2, 2)): "resnet18", ("basic_block", (3, 4, 6, 3)): "resnet34"}
_RESNETS[("bottleneck_block", (3, 4, 6, 3))] = "resnet50"


def _resnet_from_keras_hub(config):
    shape = (config["block_type"], tuple(config["stackwise_num_blocks"]))
    plain = config["input_conv_filters"] == [64] and config["input_conv_kernel_sizes"] == [7]
    if shape not in _RESNETS or config.get("use_pre_activation") or not plain:
        raise ValueError(
            f"The keras-hub ResNetBackbone is {shape[0]} x {list(shape[1])} (pre-activation: "
            f"{config.get('use_pre_activation')}); kerazoo has ResNet-18, -34 and -50 v1.5 "
            "(basic 2-2-2-2 and 3-4-6-3, bottleneck 3-4-6-3; a 7x7, 64-filter stem, no pre-activation)."
        )
    image_shape = tuple(config.get("image_shape") or (None, None, 3))
    settings = {"variant": "v1.5", "include_top": False, "input_shape": image_shape}
    return (
        _RESNETS[shape],
        settings,
        renamer(
            (names.RESNET_UNIT_PATTERN, lambda m: f"stack{int(m[1]) - 2}_block{int(m[2]) - 1}_"),
            (f"_{names.PROJECTION}_", "_0_"),
        ),
    )


_KERAS_HUB = {
    "GPT2Backbone": _gpt2_from_keras_hub,
    "BertBackbone": _bert_from_keras_hub,
    "ResNetBackbone": _resnet_from_keras_hub,
}


def _keras_hub_backbone(source):
    if isinstance(source, keras.Model):
        return source
    path = _existing_path(source)
    if not _is_keras_hub_preset(path):
        raise ValueError(
            f"`source` {str(path)!r} is not a keras-hub preset folder (its config.json names no keras-hub class)."
        )
    try:
        import keras_hub
    except ImportError:
        raise ImportError("Reading a keras-hub preset folder needs keras-hub: pip install keras-hub") from None
    return keras_hub.models.Backbone.from_preset(str(path))


def _is_keras_hub_preset(path: Path) -> bool:
    return str(_read_config(path).get("module", "")).startswith("keras_hub")


def _existing_path(source) -> Path:
    try:
        path = Path(os.path.expanduser(os.fspath(source)))
    except TypeError:
        raise TypeError(f"`source` must be a model or a path. Received: {type(source).__name__}") from None
    if not path.exists():
        raise FileNotFoundError(f"`source` does not exist: {str(path)!r}")
    return path
