"""Weights users already have, loaded into zoo models: every source tensor lands in exactly one place.

    model = convert.from_keras_applications(keras.applications.ResNet50(weights="imagenet"))
    model = convert.from_keras_applications("~/.keras/models/resnet50_weights_tf_dim_ordering_tf_kernels.h5")
    model = convert.from_keras_hub(keras_hub.models.GPT2Backbone.from_preset("gpt2_base_en"))
    model = convert.from_keras_hub("path/to/a/saved/preset")    # GPT2Backbone, BertBackbone, ResNetBackbone
    model = convert.from_hugging_face("path/to/gpt2")           # config.json + model.safetensors: GPT-2, BERT
    model = convert.convert(source)                              # any of the above, by what it is

A mapping that would leave a source or target weight unused, or meet a shape it does not expect, is
refused with the tensor's name and both shapes. Nothing is downloaded: sources are objects or local paths.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np


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
    import keras

    from kerazoo import models

    reference = _reference_resnet50(source, input_shape)
    top = any(layer.name == "predictions" for layer in reference.layers)
    shape = tuple(input_shape or reference.input_shape[1:])
    if top:
        classes = reference.get_layer("predictions").units
        activation = reference.get_layer("predictions").activation
        model = models.resnet50(variant="v1", input_shape=shape, classes=classes, classifier_activation=activation)
    else:
        model = models.resnet50(variant="v1", input_shape=shape, include_top=False)
    sources = {layer.name: layer for layer in reference.layers if layer.weights}
    used = set()
    for layer in model.layers:
        if not layer.weights or isinstance(layer, keras.layers.BatchNormalization):
            continue
        name = layer.name.replace("_proj_", "_0_")  # kerazoo's projection shortcut is keras.applications' "_0"
        if name not in sources:
            raise ValueError(f"The source model has no layer {name!r} for {layer.name!r}; is it a ResNet50?")
        if isinstance(layer, keras.layers.Conv2D):
            _fold_conv(layer, sources[name], model, sources)
            used.update({name, name.replace("_conv", "_bn")})
        else:
            _copy(layer, sources[name].get_weights(), name)
            used.add(name)
    unused = sorted(set(sources) - used)
    if unused:
        raise ValueError(f"These source layers found no place in resnet50: {', '.join(unused)}")
    return model


def _reference_resnet50(source, input_shape):
    import keras

    if isinstance(source, keras.Model):
        return source
    path = Path(os.path.expanduser(os.fspath(source)))
    if not path.is_file():
        raise FileNotFoundError(f"`source` is neither a keras.applications model nor a file: {str(path)!r}")
    from kerazoo.models._common import h5_variable_shapes

    top = "notop" not in path.name
    reference = keras.applications.ResNet50(
        weights=None, include_top=top, input_shape=tuple(input_shape) if input_shape else None
    )
    not_resnet50 = f"{str(path)!r} is not a keras.applications ResNet50 weights file"
    try:
        found = sorted(shape for shapes in h5_variable_shapes(path).values() for shape in shapes)
    except OSError as error:
        raise ValueError(f"{not_resnet50} ({type(error).__name__}: {error})") from None
    # Keras only warns about weights a file lacks and leaves them random; compare every shape first.
    if found != sorted(tuple(w.shape) for w in reference.weights):
        raise ValueError(
            f"{not_resnet50}{'' if top else ' without its top'}: it holds {len(found)} arrays, ResNet50 has "
            f"{len(reference.weights)} of other shapes."
        )
    reference.load_weights(str(path))
    return reference


def _fold_conv(layer, conv, model, sources) -> None:
    """The source convolution's kernel, and its bias folded into the following batch normalization."""
    kernel, bias = conv.get_weights()
    _copy(layer, [kernel], conv.name)
    source_bn = sources[conv.name.replace("_conv", "_bn")]
    target_bn = model.get_layer(layer.name.replace("_conv", "_bn"))
    gamma, beta, mean, variance = source_bn.get_weights()
    folded = [gamma, beta, mean - bias, variance + source_bn.epsilon - target_bn.epsilon]
    _copy(target_bn, folded, source_bn.name)


def _copy(layer, values, source_name: str) -> None:
    expected = [tuple(w.shape) for w in layer.weights]
    found = [tuple(np.shape(v)) for v in values]
    if expected != found:
        raise ValueError(
            f"Source layer {source_name!r} holds shapes {found}; kerazoo's {layer.name!r} needs {expected}. "
            "Is the source another size or class count?"
        )
    layer.set_weights(values)


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
    import keras

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
    if any((path / name).is_file() for name in weights) and config.get("model_type") in _HUGGING_FACE:
        return "hugging-face", _HF_TARGETS[config["model_type"]]
    raise ValueError(
        f"`source` {str(path)!r} is neither a weights file, a keras-hub preset folder (config.json naming a "
        f"keras-hub class) nor a Hugging Face GPT-2 or BERT folder (config.json + model.safetensors)."
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
    model = _build(name, settings, options)
    arrays = {variable.path: np.asarray(variable.numpy()) for variable in backbone.weights}
    _transplant(model, _Checkpoint(arrays, f"keras-hub {kind}"), rename)
    return model


def from_hugging_face(folder, **options):
    """A Hugging Face GPT-2 or BERT folder (`config.json` + `model.safetensors`) as `gpt` or
    `transformer_classifier`. Read with safetensors' NumPy API: PyTorch is not needed.

    GPT-2's fused `c_attn` is split into query, key and value and every projection reshaped to Keras's
    (dim, heads, head_dim); BERT's Linear kernels are transposed. A `BertForSequenceClassification`
    checkpoint gives a classifier with its head (logits); a plain `BertModel`, the backbone.

    Args:
        folder: the checkpoint's folder.
        **options: builder arguments on top of the ones the checkpoint fixes.
    """
    folder = _existing_path(folder)
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"A Hugging Face checkpoint folder needs config.json; {str(folder)!r} has none.")
    config = json.loads(config_file.read_text())
    kind = config.get("model_type")
    if kind not in _HUGGING_FACE:
        raise ValueError(
            f"{str(config_file)!r} describes model_type={kind!r}; kerazoo converts {', '.join(sorted(_HUGGING_FACE))}."
        )
    arrays, origin = _read_hugging_face_weights(folder)
    name, settings, fetch, checkpoint = _HUGGING_FACE[kind](config, arrays, origin)
    model = _build(name, settings, options)
    _transplant(model, checkpoint, fetch)
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


# keras-hub's TransformerEncoder and TransformerDecoder name their sublayers alike.
_KERAS_HUB_SUBLAYERS = (
    (r"/self_attention_norm/", "/self_attention_layer_norm/"),
    (r"/ffn_inner/", "/feedforward_intermediate_dense/"),
    (r"/ffn_outer/", "/feedforward_output_dense/"),
    (r"/ffn_norm/", "/feedforward_layer_norm/"),
)


def _gpt2_from_keras_hub(config):
    rename = _renamer(
        (r"block(\d+)/", lambda m: f"transformer_layer_{int(m[1]) - 1}/"),
        *_KERAS_HUB_SUBLAYERS,
        (r"^final_norm/", "layer_norm/"),
    )
    return "gpt", {**_keras_hub_sizes(config), "mask_zero": False}, rename


def _bert_from_keras_hub(config):
    from kerazoo.layers import gelu_tanh

    settings = {
        **_keras_hub_sizes(config),
        "num_segments": config["num_segments"],
        "activation": gelu_tanh,  # keras-hub's BERT uses the tanh approximation
        "pooling": "cls",
        "include_top": False,
    }
    rename = _renamer(
        (r"^embedding_token/", "token_embedding/"),
        (r"^embedding_position/", "position_embedding/"),
        (r"^embedding_norm/", "embeddings_layer_norm/"),
        (r"^encoder(\d+)_", lambda m: f"transformer_layer_{int(m[1]) - 1}/"),
        (r"/self_attention/", "/self_attention_layer/"),
        *_KERAS_HUB_SUBLAYERS,
        (r"^pooler/", "pooled_dense/"),
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
        _renamer(
            (r"^conv(\d)_block(\d+)_", lambda m: f"stack{int(m[1]) - 2}_block{int(m[2]) - 1}_"),
            (r"_proj_", "_0_"),
        ),
    )


_KERAS_HUB = {
    "GPT2Backbone": _gpt2_from_keras_hub,
    "BertBackbone": _bert_from_keras_hub,
    "ResNetBackbone": _resnet_from_keras_hub,
}


def _keras_hub_backbone(source):
    import keras

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


# --- Hugging Face --------------------------------------------------------------------------------------------


def _read_hugging_face_weights(folder: Path) -> tuple[dict, str]:
    """The arrays of `model.safetensors`, or of every shard its `model.safetensors.index.json` lists."""
    single, index = folder / "model.safetensors", folder / "model.safetensors.index.json"
    if single.is_file():
        return _read_safetensors(single), str(single)
    if not index.is_file():
        raise FileNotFoundError(
            f"A Hugging Face checkpoint folder needs model.safetensors (or its shards and "
            f"model.safetensors.index.json); {str(folder)!r} has neither."
        )
    shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    arrays = {}
    for shard in shards:
        arrays.update(_read_safetensors(folder / shard))
    return arrays, str(index)


def _read_safetensors(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise ValueError(f"{str(path)!r} is not a readable safetensors file ({error})") from None


_HF_ACTIVATIONS = ("gelu_new", "gelu_pytorch_tanh", "gelu", "relu")


def _activation(config, key: str):
    from kerazoo.layers import gelu_erf, gelu_tanh

    name = config.get(key, "gelu_new")
    if name not in _HF_ACTIVATIONS:
        raise ValueError(f"config.json's {key}={name!r} is not one kerazoo has; allowed: {list(_HF_ACTIVATIONS)}")
    return {"gelu": gelu_erf, "relu": "relu"}.get(name, gelu_tanh)


def _gpt2_from_hugging_face(config, arrays, origin):
    # GPT2LMHeadModel saves under "transformer."; its lm_head is the token table again (tied). Older
    # checkpoints also store the causal-mask buffers attn.bias / attn.masked_bias, which are not weights.
    arrays = {key.removeprefix("transformer."): value for key, value in arrays.items()}
    arrays = {key: value for key, value in arrays.items() if not re.fullmatch(r"h\.\d+\.attn\.(masked_)?bias", key)}
    checkpoint = _Checkpoint(arrays, origin)
    if "lm_head.weight" in arrays:
        checkpoint.take_tied("lm_head.weight", "wte.weight")
    dim, heads = config["n_embd"], config["n_head"]
    settings = {
        "vocab_size": config["vocab_size"],
        "max_length": config["n_positions"],
        "dim": dim,
        "num_heads": heads,
        "ffn_dim": config.get("n_inner") or 4 * dim,
        "num_layers": config["n_layer"],
        "dropout": 0.0,
        "activation": _activation(config, "activation_function"),
        "mask_zero": False,
    }
    head_dim = dim // heads

    def fetch(path: str):
        if path in ("token_embedding/embeddings", "position_embedding/embeddings"):
            return "wte.weight" if path.startswith("token") else "wpe.weight"
        if path.startswith("final_norm/"):
            return f"ln_f.{_NORM[path.rsplit('/', 1)[1]]}"
        block, layer, *rest = path.split("/")
        number = re.fullmatch(r"block(\d+)", block)
        if number is None or not rest:
            raise KeyError(path)
        prefix, weight = f"h.{int(number[1]) - 1}.", rest[-1]
        if layer in ("self_attention_norm", "ffn_norm"):
            return f"{prefix}{'ln_1' if layer == 'self_attention_norm' else 'ln_2'}.{_NORM[weight]}"
        if layer in ("ffn_inner", "ffn_outer"):  # GPT-2's Conv1D stores (in, out), as Keras does
            return f"{prefix}mlp.{'c_fc' if layer == 'ffn_inner' else 'c_proj'}.{_LINEAR[weight]}"
        projection = rest[0]
        if projection == "attention_output":
            value = checkpoint.take(f"{prefix}attn.c_proj.{_LINEAR[weight]}")
            return value.reshape(heads, head_dim, dim) if weight == "kernel" else value
        # Query, key and value are the thirds of the fused c_attn.
        fused = checkpoint.take(f"{prefix}attn.c_attn.{_LINEAR[weight]}", partial=True)
        part = np.split(fused, 3, axis=-1)[("query", "key", "value").index(projection)]
        return part.reshape(dim, heads, head_dim) if weight == "kernel" else part.reshape(heads, head_dim)

    return "gpt", settings, fetch, checkpoint


def _bert_from_hugging_face(config, arrays, origin):
    # BertFor... models save under "bert."; older checkpoints also store the position_ids buffer.
    arrays = {key.removeprefix("bert."): value for key, value in arrays.items()}
    arrays.pop("embeddings.position_ids", None)
    checkpoint = _Checkpoint(arrays, origin)
    dim, heads = config["hidden_size"], config["num_attention_heads"]
    head_dim = dim // heads
    settings = {
        "vocab_size": config["vocab_size"],
        "max_length": config["max_position_embeddings"],
        "dim": dim,
        "num_heads": heads,
        "ffn_dim": config["intermediate_size"],
        "num_layers": config["num_hidden_layers"],
        "dropout": 0.0,
        "num_segments": config.get("type_vocab_size", 2),
        "layer_norm_epsilon": config.get("layer_norm_eps", 1e-12),
        "activation": _activation(config, "hidden_act"),
        "pooling": "cls",
        "include_top": "classifier.weight" in arrays,
    }
    if settings["include_top"]:
        settings.update(num_classes=arrays["classifier.weight"].shape[0], classifier_activation=None)
    embeddings = {"embedding_token": "word", "embedding_position": "position", "segment_embedding": "token_type"}

    def fetch(path: str):
        layer, *rest = path.split("/")
        weight = rest[-1]
        if layer in embeddings:
            return checkpoint.take(f"embeddings.{embeddings[layer]}_embeddings.weight")
        if layer == "embedding_norm":
            return checkpoint.take(f"embeddings.LayerNorm.{_NORM[weight]}")
        if layer in ("pooler", "predictions"):
            source = "pooler.dense" if layer == "pooler" else "classifier"
            value = checkpoint.take(f"{source}.{_LINEAR[weight]}")
            return value.T if weight == "kernel" else value
        match = re.fullmatch(r"encoder(\d+)_(\w+)", layer)
        if match is None:
            raise KeyError(path)
        prefix, part = f"encoder.layer.{int(match[1]) - 1}.", match[2]
        if part == "self_attention":
            projection = rest[0]
            if projection == "attention_output":
                value = checkpoint.take(f"{prefix}attention.output.dense.{_LINEAR[weight]}")
                return value.T.reshape(heads, head_dim, dim) if weight == "kernel" else value
            value = checkpoint.take(f"{prefix}attention.self.{projection}.{_LINEAR[weight]}")
            return value.T.reshape(dim, heads, head_dim) if weight == "kernel" else value.reshape(heads, head_dim)
        sources = {
            "self_attention_norm": f"{prefix}attention.output.LayerNorm",
            "ffn_inner": f"{prefix}intermediate.dense",
            "ffn_outer": f"{prefix}output.dense",
            "ffn_norm": f"{prefix}output.LayerNorm",
        }
        if part not in sources:
            raise KeyError(path)
        if part.endswith("norm"):
            return checkpoint.take(f"{sources[part]}.{_NORM[weight]}")
        value = checkpoint.take(f"{sources[part]}.{_LINEAR[weight]}")
        return value.T if weight == "kernel" else value

    return "transformer_classifier", settings, fetch, checkpoint


_NORM = {"gamma": "weight", "beta": "bias"}
_LINEAR = {"kernel": "weight", "bias": "bias"}
_HUGGING_FACE = {"gpt2": _gpt2_from_hugging_face, "bert": _bert_from_hugging_face}
_HF_TARGETS = {"gpt2": "gpt", "bert": "transformer_classifier"}


# --- the shared transplant ----------------------------------------------------------------------------------


class _MissingTensor(ValueError):
    """A tensor the mapping looks for is not in the checkpoint."""


class _Checkpoint:
    """A source's named arrays; each must be taken, and the conversion fails if one is left over."""

    def __init__(self, arrays: dict, origin: str):
        self.arrays, self.origin = arrays, origin
        self.taken: set[str] = set()

    def take(self, name: str, *, partial: bool = False) -> np.ndarray:
        """The array `name`; `partial` for a fused array read once per part (GPT-2's c_attn)."""
        if name not in self.arrays:
            raise _MissingTensor(f"{self.origin} has no tensor {name!r}: is it the architecture it claims to be?")
        if name in self.taken and not partial:
            raise ValueError(f"{self.origin}'s tensor {name!r} would be used twice.")
        self.taken.add(name)
        return np.asarray(self.arrays[name])

    def take_tied(self, name: str, same_as: str) -> None:
        """Takes an array that must equal another one (a tied output projection)."""
        if not np.array_equal(self.arrays[name], self.arrays.get(same_as)):
            raise ValueError(f"{self.origin}'s {name!r} differs from {same_as!r}; kerazoo's gpt ties them.")
        self.taken.add(name)

    def require_all_taken(self, model_name: str) -> None:
        unused = sorted(set(self.arrays) - self.taken)
        if unused:
            shown = ", ".join(f"{name} {tuple(np.shape(self.arrays[name]))}" for name in unused[:8])
            more = f" and {len(unused) - 8} more" if len(unused) > 8 else ""
            raise ValueError(f"{self.origin}'s tensors {shown}{more} have no place in {model_name}.")


def _renamer(*rules) -> Callable[[str], str]:
    """A fetch function made of regex substitutions from kerazoo's weight paths to the source's names."""

    def rename(path: str) -> str:
        for pattern, replacement in rules:
            path = re.sub(pattern, replacement, path)
        return path

    return rename


def _transplant(model, checkpoint: _Checkpoint, fetch: Callable[[str], object]) -> None:
    """Assigns every weight of `model` (but a fresh classifier head) from the checkpoint, checking shapes;
    then requires every source tensor to have been used. `fetch(path)` gives the source tensor's name, or
    the array itself where it must be reshaped or split."""
    for variable in model.weights:
        if variable.path.startswith("predictions/") and not _provides_head(checkpoint):
            continue  # a head the user asked for on top of a backbone checkpoint starts fresh
        try:
            found = fetch(variable.path)
            value = checkpoint.take(found) if isinstance(found, str) else found
        except _MissingTensor as error:
            raise _MissingTensor(
                f"{error} {model.name}'s {variable.path!r} {tuple(variable.shape)} needs it."
            ) from None
        except KeyError:  # a weight the mapping does not know, added by an option the checkpoint lacks
            raise ValueError(
                f"{model.name}'s {variable.path!r} {tuple(variable.shape)} has no counterpart in {checkpoint.origin}; "
                "leave out the option that adds it."
            ) from None
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"{checkpoint.origin} gives shape {tuple(value.shape)} for {model.name}'s {variable.path!r}, "
                f"which needs {tuple(variable.shape)}: is the checkpoint another size?"
            )
        variable.assign(value.astype(_dtype(variable)))
    checkpoint.require_all_taken(model.name)


def _provides_head(checkpoint: _Checkpoint) -> bool:
    return any(name.startswith("classifier.") for name in checkpoint.arrays)


def _dtype(variable) -> str:
    import keras

    return keras.backend.standardize_dtype(variable.dtype)


def _build(name: str, settings: dict, options: dict):
    from kerazoo import models

    clashes = sorted(key for key in options if key in settings and options[key] != settings[key] and key not in _FREE)
    if clashes:
        fixed = ", ".join(f"{key}={settings[key]!r}" for key in clashes)
        raise ValueError(f"The checkpoint fixes {fixed}; these options cannot change it.")
    return models.build(name, **{**settings, **options})


# What a user may choose against a checkpoint's own setting: regularisation, the head and the input size.
_FREE = {"dropout", "include_top", "num_classes", "classifier_activation", "input_shape", "mask_zero", "name"}


def _existing_path(source) -> Path:
    try:
        path = Path(os.path.expanduser(os.fspath(source)))
    except TypeError:
        raise TypeError(f"`source` must be a model or a path. Received: {type(source).__name__}") from None
    if not path.exists():
        raise FileNotFoundError(f"`source` does not exist: {str(path)!r}")
    return path
