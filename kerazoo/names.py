"""The layer names the zoo's models promise: weight paths, layout maps and converters are written in them.

Every builder names its layers from here, and everything that addresses a weight by its path (the
converters, `layout_map`, `models.load_weights`, your own code) imports the names rather than spelling
them, so a name has one owner. A Transformer's sublayers nest inside its layer:

    token_embedding/embeddings                  position_embedding/embeddings
    encoder1/self_attention/query/kernel        encoder1/self_attention_norm/gamma
    encoder1/ffn_inner/kernel                   encoder1/ffn_outer/kernel
    decoder1/cross_attention/key/kernel         decoder1/ffn_norm/beta
    final_norm/gamma                            predictions/kernel

A model of two sequences (the seq2seq models) prefixes its embeddings with the sequence they embed:
`source_token_embedding`, `target_position_embedding`.
"""

from __future__ import annotations

import re

TOKEN_EMBEDDING = "token_embedding"
POSITION_EMBEDDING = "position_embedding"
SEGMENT_EMBEDDING = "segment_embedding"
EMBEDDING_NORM = "embedding_norm"
EMBEDDING_DROPOUT = "embedding_dropout"
# x sqrt(dim) on the token embeddings (Vaswani et al. §3.4); the padding mask of a vocabulary whose
# padding id is not 0 (Marian's).
EMBEDDING_SCALE = "embedding_scale"
PADDING_MASK = "padding_mask"

# The models' inputs: token ids, BERT's segment ids; the two sequences of a seq2seq model.
TOKENS = "tokens"
SEGMENT_IDS = "segment_ids"
SOURCE, TARGET = "source", "target"

# A stack of encoder or decoder layers numbers them from 1 (`encoder1`); an LSTM seq2seq has one of each.
ENCODER, DECODER = "encoder", "decoder"

# The sublayers of kerazoo.layers.TransformerEncoder and TransformerDecoder.
SELF_ATTENTION = "self_attention"
CROSS_ATTENTION = "cross_attention"
FFN = "ffn"
FFN_INNER = "ffn_inner"
FFN_OUTER = "ffn_outer"
# The projections inside kerazoo.layers.MultiHeadAttention (Keras's own names).
ATTENTION_PROJECTIONS = ("query", "key", "value")
ATTENTION_OUTPUT = "attention_output"

# The stack's last LayerNorm of a pre-norm model; a seq2seq model has one per stack.
FINAL_NORM = "final_norm"
ENCODER_NORM = "encoder_norm"
DECODER_NORM = "decoder_norm"

# A ResNet's layers, as keras.applications names them: the stem `conv1_{conv | bn}`, then
# `conv{stage}_block{unit}_{part}_{conv | bn}`, where a unit's parts are numbered from 1 and its projection
# shortcut is "proj" (keras.applications' "0").
CONV, BATCH_NORM = "conv", "bn"
PROJECTION = "proj"

POOLER = "pooler"
POOL = "pool"
HEAD_DROPOUT = "head_dropout"
HEAD = "predictions"  # a classifier's last Dense, as keras.applications names it
LOGITS = "logits"  # the vocabulary projection of a sequence model without tied embeddings
TIED_LOGITS = "tied_logits"
LOGITS_BIAS = "logits_bias"  # the bias added to tied logits (Marian's final_logits_bias)


def norm(sublayer: str) -> str:
    """The LayerNorm of a residual sublayer (`self_attention_norm`, `ffn_norm`)."""
    return f"{sublayer}_norm"


def dropout(sublayer: str) -> str:
    """The dropout on a residual sublayer's output (`self_attention_dropout`, `ffn_dropout`)."""
    return f"{sublayer}_dropout"


def encoder(index: int) -> str:
    """The `index`-th (from 1) encoder layer of a stack."""
    return f"{ENCODER}{index}"


def decoder(index: int) -> str:
    """The `index`-th (from 1) decoder layer of a stack."""
    return f"{DECODER}{index}"


def of_sequence(sequence: str | None, name: str) -> str:
    """`name` for one sequence of a two-sequence model (`source_token_embedding`); `name` itself for None."""
    return f"{sequence}_{name}" if sequence else name


def resnet_stage(stage: int) -> str:
    """A ResNet stage, counted from 1 (the stem, `conv1`); also the name of its output among the features."""
    return f"{CONV}{stage}"


def resnet_unit(stage: int, unit: int) -> str:
    """A ResNet unit: `stage` counts from 2 (conv2 follows the stem, conv1), `unit` from 1."""
    return f"{resnet_stage(stage)}_block{unit}"


RESNET_STEM = resnet_stage(1)
# The unit a ResNet weight path begins with (`conv3_block2_1_conv/kernel`), for the converters' renamers:
# group 1 is the stage, group 2 the unit; `resnet_unit` read backwards.
RESNET_UNIT_PATTERN = re.compile(rf"^{CONV}(\d)_block(\d+)_")
