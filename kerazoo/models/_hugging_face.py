"""Hugging Face GPT-2, BERT and MarianMT checkpoints (`config.json` + safetensors) mapped onto kerazoo's weights.

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


_HF_ACTIVATIONS = ("gelu_new", "gelu_pytorch_tanh", "gelu", "relu", "swish", "silu")


def _activation(config, key: str, default: str = "gelu_new"):
    name = config.get(key, default)
    if name not in _HF_ACTIVATIONS:
        raise ValueError(f"config.json's {key}={name!r} is not one kerazoo has; allowed: {list(_HF_ACTIVATIONS)}")
    return {"gelu": gelu_erf, "relu": "relu", "swish": "silu", "silu": "silu"}.get(name, gelu_tanh)


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
    # BertFor... models save under "bert."; older checkpoints also store the position_ids buffer, name
    # their LayerNorms' weights TensorFlow's way (gamma, beta: bert-base-uncased's file on the Hub does),
    # and BertForPreTraining's carry its masked-word and next-sentence heads (cls.*), which a classifier
    # has no place for: BertForSequenceClassification.from_pretrained leaves them out too.
    arrays = {_current_norm_name(key.removeprefix("bert.")): value for key, value in arrays.items()}
    arrays = {key: value for key, value in arrays.items() if not key.startswith("cls.")}
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


def _marian_from_hugging_face(config, arrays, origin):
    """MarianMTModel: Vaswani et al.'s post-norm encoder-decoder with one shared table (source, target and
    the tied output projection), embeddings x sqrt(dim), a sinusoidal table of sines then cosines,
    final_logits_bias, and padding by `<pad>`, whose id also starts the target."""
    arrays = {key.removeprefix("model."): value for key, value in arrays.items()}
    checkpoint = Checkpoint(arrays, origin)
    same = {("encoder_layers", "decoder_layers"), ("encoder_attention_heads", "decoder_attention_heads")}
    same |= {("encoder_ffn_dim", "decoder_ffn_dim")}
    for encoder_key, decoder_key in sorted(same):
        if config.get(encoder_key) != config.get(decoder_key):
            raise ValueError(
                f"{origin}: kerazoo's transformer_seq2seq has one size for both stacks; config.json has "
                f"{encoder_key}={config.get(encoder_key)}, {decoder_key}={config.get(decoder_key)}."
            )
    vocab_size = config["vocab_size"]
    shared = config.get("share_encoder_decoder_embeddings", True) and config.get("decoder_vocab_size") in (
        None,
        vocab_size,
    )
    if not shared:
        raise ValueError(
            f"{origin} has separate source and target vocabularies (share_encoder_decoder_embeddings=false); "
            "kerazoo converts MarianMT checkpoints with one shared vocabulary."
        )
    if config.get("normalize_before") or config.get("normalize_embedding"):
        raise ValueError(f"{origin} is a pre-norm (or embedding-norm) Marian; kerazoo converts the post-norm ones.")
    pad = config.get("pad_token_id")
    if pad is None or pad == 0 == config.get("decoder_start_token_id", pad):
        raise ValueError(
            f"{origin}'s pad_token_id={pad!r}: kerazoo masks the padding id in the source, and its target "
            "starts with decoder_start_token_id, which then cannot be 0 (kerazoo's padding id, masked in both)."
        )
    for key in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight"):
        if key in arrays:  # older files store the tied copies of the shared table
            checkpoint.take_tied(key, "shared.weight")
    dim, heads = config["d_model"], config["encoder_attention_heads"]
    head_dim = dim // heads
    settings = {
        "vocab_size": vocab_size,
        "max_length": config["max_position_embeddings"],
        "dim": dim,
        "num_heads": heads,
        "ffn_dim": config["encoder_ffn_dim"],
        "num_layers": config["encoder_layers"],
        "dropout": 0.0,
        "position": "sinusoidal",
        "position_layout": "halves",
        "activation": _activation(config, "activation_function", "gelu"),
        "share_embeddings": True,
        "scale_embeddings": bool(config.get("scale_embedding", False)),
        "logits_bias": True,
        "padding_id": pad,
    }
    positions = [key for key in ("encoder.embed_positions.weight", "decoder.embed_positions.weight") if key in arrays]
    sublayers = {names.SELF_ATTENTION: "self_attn", names.CROSS_ATTENTION: "encoder_attn"}
    sublayers.update({names.FFN_INNER: "fc1", names.FFN_OUTER: "fc2", names.norm(names.FFN): "final_layer_norm"})
    sublayers.update({names.norm(names.SELF_ATTENTION): "self_attn_layer_norm"})
    sublayers[names.norm(names.CROSS_ATTENTION)] = "encoder_attn_layer_norm"
    projections = dict(zip(names.ATTENTION_PROJECTIONS, ("q_proj", "k_proj", "v_proj"), strict=True))
    projections[names.ATTENTION_OUTPUT] = "out_proj"

    def fetch(path: str):
        layer, *rest = path.split("/")
        weight = rest[-1]
        if layer == names.TOKEN_EMBEDDING:
            for key in positions:  # older files store the fixed tables too: they must be the ones kerazoo computes
                _require_marian_positions(checkpoint.take(key), origin, key)
            return checkpoint.take("shared.weight")
        if layer == names.LOGITS_BIAS:
            return checkpoint.take("final_logits_bias").reshape(-1)
        stack = names.ENCODER if layer.startswith(names.ENCODER) else names.DECODER
        number, (sublayer, *rest) = _layer_number(layer, stack), rest
        if sublayer not in sublayers:
            raise KeyError(path)
        prefix = f"{stack}.layers.{number}.{sublayers[sublayer]}."
        if weight in _NORM:
            return checkpoint.take(prefix + _NORM[weight])
        if sublayer not in (names.SELF_ATTENTION, names.CROSS_ATTENTION):
            value = checkpoint.take(prefix + _LINEAR[weight])
            return value.T if weight == "kernel" else value
        projection = rest[0]
        value = checkpoint.take(f"{prefix}{projections[projection]}.{_LINEAR[weight]}")
        if projection == names.ATTENTION_OUTPUT:
            return value.T.reshape(heads, head_dim, dim) if weight == "kernel" else value
        return value.T.reshape(dim, heads, head_dim) if weight == "kernel" else value.reshape(heads, head_dim)

    return "transformer_seq2seq", settings, fetch, checkpoint


def _require_marian_positions(table: np.ndarray, origin: str, key: str) -> None:
    """A stored position table must be Marian's sinusoidal one, which kerazoo computes rather than stores."""
    length, dim = table.shape
    angles = np.arange(length)[:, None] / np.power(10000.0, np.arange(0, dim, 2) / dim)[None, :]
    expected = np.concatenate([np.sin(angles), np.cos(angles)], axis=-1)
    if not np.allclose(table, expected, atol=1e-4):
        raise ValueError(
            f"{origin}'s {key!r} is not Marian's sinusoidal table (the sines, then the cosines), which kerazoo "
            f"computes: it differs by up to {np.abs(table - expected).max():.3g}."
        )


def _layer_number(layer: str, stack: str) -> int:
    """The 0-based index of `layer` in a stack kerazoo numbers from 1 (`decoder3` -> 2)."""
    number = re.fullmatch(rf"{stack}(\d+)", layer)
    if number is None:
        raise KeyError(layer)
    return int(number[1]) - 1


_NORM = {"gamma": "weight", "beta": "bias"}


def _current_norm_name(key: str) -> str:
    """`LayerNorm.gamma` / `LayerNorm.beta`, as checkpoints converted from TensorFlow name them, as
    `LayerNorm.weight` / `LayerNorm.bias`."""
    return re.sub(r"(LayerNorm)\.(gamma|beta)$", lambda match: f"{match[1]}.{_NORM[match[2]]}", key)


_LINEAR = {"kernel": "weight", "bias": "bias"}
HUGGING_FACE = {"gpt2": _gpt2_from_hugging_face, "bert": _bert_from_hugging_face, "marian": _marian_from_hugging_face}
HUGGING_FACE_TARGETS = {"gpt2": "gpt", "bert": "transformer_classifier", "marian": "transformer_seq2seq"}
