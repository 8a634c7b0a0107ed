"""Hugging Face GPT-2 and BERT checkpoints (`config.json` + safetensors) mapped onto kerazoo's weights.

Each `*_from_hugging_face(config, arrays, origin)` returns the zoo model's name, the builder arguments the
checkpoint fixes, a fetch function from kerazoo weight paths to source tensors, and the checkpoint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from kerazoo import names
from kerazoo._optional import require
from kerazoo.layers import gelu_erf, gelu_tanh
from kerazoo.models._transplant import Checkpoint


def read_hugging_face_weights(folder: Path) -> tuple[dict, str]:
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
    SafetensorError = require("safetensors", "Reading Hugging Face checkpoints").SafetensorError
    load_file = require("safetensors.numpy", "Reading Hugging Face checkpoints").load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise ValueError(f"{str(path)!r} is not a readable safetensors file ({error})") from None


_HF_ACTIVATIONS = ("gelu_new", "gelu_pytorch_tanh", "gelu", "relu")


def _activation(config, key: str):
    name = config.get(key, "gelu_new")
    if name not in _HF_ACTIVATIONS:
        raise ValueError(f"config.json's {key}={name!r} is not one kerazoo has; allowed: {list(_HF_ACTIVATIONS)}")
    return {"gelu": gelu_erf, "relu": "relu"}.get(name, gelu_tanh)


def _gpt2_from_hugging_face(config, arrays, origin):
    # GPT2LMHeadModel saves under "transformer."; its lm_head is the token table again (tied). Older
    # checkpoints also store the causal-mask buffers attn.bias / attn.masked_bias, which are not weights.
    arrays = {key.removeprefix("transformer."): value for key, value in arrays.items()}
    arrays = {key: value for key, value in arrays.items() if not re.fullmatch(r"h\.\d+\.attn\.(masked_)?bias", key)}
    checkpoint = Checkpoint(arrays, origin)
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

    embeddings = {names.TOKEN_EMBEDDING: "wte.weight", names.POSITION_EMBEDDING: "wpe.weight"}
    norms = {names.norm(names.SELF_ATTENTION): "ln_1", names.norm(names.FFN): "ln_2"}
    linears = {names.FFN_INNER: "c_fc", names.FFN_OUTER: "c_proj"}  # GPT-2's Conv1D stores (in, out), as Keras

    def fetch(path: str):
        layer, *rest = path.split("/")
        if layer in embeddings:
            return embeddings[layer]
        if layer == names.FINAL_NORM:
            return f"ln_f.{_NORM[rest[-1]]}"
        number, (sublayer, *rest) = _layer_number(layer, names.DECODER), rest
        prefix, weight = f"h.{number}.", rest[-1]
        if sublayer in norms:
            return f"{prefix}{norms[sublayer]}.{_NORM[weight]}"
        if sublayer in linears:
            return f"{prefix}mlp.{linears[sublayer]}.{_LINEAR[weight]}"
        projection = rest[0]
        if sublayer != names.SELF_ATTENTION:
            raise KeyError(path)
        if projection == names.ATTENTION_OUTPUT:
            value = checkpoint.take(f"{prefix}attn.c_proj.{_LINEAR[weight]}")
            return value.reshape(heads, head_dim, dim) if weight == "kernel" else value
        # Query, key and value are the thirds of the fused c_attn.
        fused = checkpoint.take(f"{prefix}attn.c_attn.{_LINEAR[weight]}", partial=True)
        part = np.split(fused, 3, axis=-1)[names.ATTENTION_PROJECTIONS.index(projection)]
        return part.reshape(dim, heads, head_dim) if weight == "kernel" else part.reshape(heads, head_dim)

    return "gpt", settings, fetch, checkpoint


def _bert_from_hugging_face(config, arrays, origin):
    # BertFor... models save under "bert."; older checkpoints also store the position_ids buffer.
    arrays = {key.removeprefix("bert."): value for key, value in arrays.items()}
    arrays.pop("embeddings.position_ids", None)
    checkpoint = Checkpoint(arrays, origin, has_head="classifier.weight" in arrays)
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
        "include_top": checkpoint.has_head,
    }
    if settings["include_top"]:
        settings.update(num_classes=arrays["classifier.weight"].shape[0], classifier_activation=None)
    embeddings = {
        names.TOKEN_EMBEDDING: "word",
        names.POSITION_EMBEDDING: "position",
        names.SEGMENT_EMBEDDING: "token_type",
    }
    dense = {names.POOLER: "pooler.dense", names.HEAD: "classifier"}
    sublayers = {
        names.norm(names.SELF_ATTENTION): "attention.output.LayerNorm",
        names.FFN_INNER: "intermediate.dense",
        names.FFN_OUTER: "output.dense",
        names.norm(names.FFN): "output.LayerNorm",
    }

    def fetch(path: str):
        layer, *rest = path.split("/")
        weight = rest[-1]
        if layer in embeddings:
            return checkpoint.take(f"embeddings.{embeddings[layer]}_embeddings.weight")
        if layer == names.EMBEDDING_NORM:
            return checkpoint.take(f"embeddings.LayerNorm.{_NORM[weight]}")
        if layer in dense:
            value = checkpoint.take(f"{dense[layer]}.{_LINEAR[weight]}")
            return value.T if weight == "kernel" else value
        number, (part, *rest) = _layer_number(layer, names.ENCODER), rest
        prefix = f"encoder.layer.{number}."
        if part == names.SELF_ATTENTION:
            projection = rest[0]
            if projection == names.ATTENTION_OUTPUT:
                value = checkpoint.take(f"{prefix}attention.output.dense.{_LINEAR[weight]}")
                return value.T.reshape(heads, head_dim, dim) if weight == "kernel" else value
            value = checkpoint.take(f"{prefix}attention.self.{projection}.{_LINEAR[weight]}")
            return value.T.reshape(dim, heads, head_dim) if weight == "kernel" else value.reshape(heads, head_dim)
        if part not in sublayers:
            raise KeyError(path)
        if weight in _NORM:
            return checkpoint.take(f"{prefix}{sublayers[part]}.{_NORM[weight]}")
        value = checkpoint.take(f"{prefix}{sublayers[part]}.{_LINEAR[weight]}")
        return value.T if weight == "kernel" else value

    return "transformer_classifier", settings, fetch, checkpoint


def _layer_number(layer: str, stack: str) -> int:
    """The 0-based index of `layer` in a stack kerazoo numbers from 1 (`decoder3` -> 2)."""
    number = re.fullmatch(rf"{stack}(\d+)", layer)
    if number is None:
        raise KeyError(layer)
    return int(number[1]) - 1


_NORM = {"gamma": "weight", "beta": "bias"}
_LINEAR = {"kernel": "weight", "bias": "bias"}
HUGGING_FACE = {"gpt2": _gpt2_from_hugging_face, "bert": _bert_from_hugging_face}
HUGGING_FACE_TARGETS = {"gpt2": "gpt", "bert": "transformer_classifier"}
