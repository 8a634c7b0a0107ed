"""Transformer models: a BERT-style classifier, the encoder-decoder of Vaswani et al. and a GPT.

`transformer_classifier` returns probabilities (`classifier_activation="softmax"`; None gives logits);
`transformer_seq2seq` and `gpt` return float32 logits over the vocabulary. Token id 0 is padding.
`max_length` sizes the position table, so it is the longest input; inputs may be shorter (a prompt, say):
pad batches to `max_length` for the static shapes XLA and TPUs compile best.
"""

from __future__ import annotations

import keras
from keras import layers

from kerazoo import blocks, names
from kerazoo._validation import require_bool, require_choice, require_non_negative_int, require_positive_int
from kerazoo.blocks.embedding import POSITIONS, embed_tokens
from kerazoo.layers import Bias, PaddingMask, SegmentEmbedding, gelu_erf, gelu_tanh
from kerazoo.layers.sinusoidal_position_embedding import LAYOUTS
from kerazoo.layers.transformer import LAYER_NORM_EPSILON
from kerazoo.models._common import (
    check_sequence_sizes,
    classifier,
    embedding_initializer,
    set_token_embeddings,
    token_input,
)
from kerazoo.models.registry import register, token_input_specs

_TINY = {"vocab_size": 50, "max_length": 16, "dim": 16, "num_heads": 2, "ffn_dim": 32, "num_layers": 2}
SEQUENCE_POOLINGS = ("mean", "attention", "cls")
# BERT's LayerNorm epsilon (the TensorFlow original, Hugging Face and keras-hub all use it).
BERT_LAYER_NORM_EPSILON = 1e-12


def megatron_layout_map(device_mesh, *, model_axis: str = "model"):
    """Megatron-style tensor parallelism for this family's layers, for `keras.distribution.ModelParallel`.

    Attention heads and the feed-forward hidden units are split over `model_axis`, so each device holds
    1/n of every block and the only exchange is one all-reduce after each attention and FFN; embedding
    tables are split along their width, which every model size divides. Unlisted weights (norms, output
    biases) are replicated. The patterns are written in `kerazoo.names`' names (`encoder1/self_attention/
    query/kernel`, `decoder1/ffn_inner/kernel`, ...): the zoo's tests check that every such kernel ends up
    sharded.
    """
    attention = f"({names.SELF_ATTENTION}|{names.CROSS_ATTENTION})"
    projections = "|".join(names.ATTENTION_PROJECTIONS)
    mapping = keras.distribution.LayoutMap(device_mesh)  # keys match whole variable paths (re.fullmatch)
    mapping[rf".*/{attention}/({projections})/kernel"] = (None, model_axis, None)  # (dim, heads, head_dim)
    mapping[rf".*/{attention}/({projections})/bias"] = (model_axis, None)  # (heads, head_dim)
    mapping[rf".*/{attention}/{names.ATTENTION_OUTPUT}/kernel"] = (model_axis, None, None)  # (heads, head_dim, dim)
    mapping[rf".*/{names.FFN_INNER}/kernel"] = (None, model_axis)  # (dim, ffn_dim)
    mapping[rf".*/{names.FFN_INNER}/bias"] = (model_axis,)
    mapping[rf".*/{names.FFN_OUTER}/kernel"] = (model_axis, None)  # (ffn_dim, dim)
    embeddings = f"{names.TOKEN_EMBEDDING}|{names.POSITION_EMBEDDING}|{names.SEGMENT_EMBEDDING}"
    mapping[rf"(.*_)?({embeddings})/embeddings"] = (None, model_axis)  # (rows, dim)
    return mapping


def _check(vocab_size, max_length, dim, num_heads, ffn_dim, num_layers, dropout, position):
    check_sequence_sizes(
        vocab_size=vocab_size,
        max_length=max_length,
        dim=dim,
        num_heads=num_heads,
        ffn_dim=ffn_dim,
        num_layers=num_layers,
        dropout=dropout,
    )
    if dim % num_heads:  # said in the model's terms, before a block says it of its input's width
        raise ValueError(
            f"`num_heads` must divide `dim`: each head attends over dim / num_heads features. Received: "
            f"num_heads={num_heads}, dim={dim}"
        )
    require_choice("position", position, POSITIONS)


def _embed(tokens, vocab_size, max_length, dim, *, position, sequence=None, token_name=None, **options):
    """Tokens and positions, named for `sequence` of a two-sequence model (but a `token_name` given, as
    the table two sequences share); returns them and the token layer."""
    return embed_tokens(
        tokens,
        vocab_size,
        max_length,
        dim,
        position=position,
        token_name=token_name or names.of_sequence(sequence, names.TOKEN_EMBEDDING),
        position_name=names.of_sequence(sequence, names.POSITION_EMBEDDING),
        **options,
    )


def _final_norm(x, norm_first: bool, name: str = names.FINAL_NORM, epsilon: float = LAYER_NORM_EPSILON):
    """Pre-norm stacks end un-normalised; they need one last LayerNorm (GPT-2, pre-LN Transformers)."""
    return layers.LayerNormalization(epsilon=epsilon, name=name)(x) if norm_first else x


@register(
    family="transformer",
    task="text-classification",
    inputs=token_input_specs(),
    outputs="probabilities",
    paper="Devlin et al. 2019, BERT (encoder: embedding LayerNorm, post-norm, eps 1e-12); base sizes as defaults",
    small_config={**_TINY, "num_classes": 3},
    layout_map=megatron_layout_map,
)
def transformer_classifier(
    *,
    vocab_size: int = 30522,
    max_length: int = 512,
    num_classes: int = 2,
    dim: int = 768,
    num_heads: int = 12,
    ffn_dim: int = 3072,
    num_layers: int = 12,
    dropout: float = 0.1,
    position: str = "learned",
    rotary: bool = False,
    norm_first: bool = False,
    activation=gelu_erf,
    layer_norm_epsilon: float = BERT_LAYER_NORM_EPSILON,
    embedding_norm: bool = True,
    num_segments: int = 0,
    pooling: str = "mean",
    include_top: bool = True,
    embedding_matrix=None,
    trainable_embeddings: bool = True,
    classifier_activation="softmax",
    name: str = "transformer_classifier",
):
    """BERT's encoder: token (+ segment) + position embeddings, LayerNorm, `num_layers` encoder blocks;
    then pooling and a classifier.

    As BERT: the embeddings are summed and normalised (`embedding_norm`), the blocks are post-norm with
    LayerNorm epsilon 1e-12 and exact GELU (`gelu_erf`; keras-hub's BERT uses the tanh form, `gelu_tanh`).
    `num_segments=2` adds BERT's segment embedding and a second input, "segment_ids" (then the inputs are
    {"tokens", "segment_ids"}). `pooling` is "mean" (average over real tokens, the default: kerazoo's
    pipelines put no [CLS] token first), "attention" (additive attention pooling) or "cls" (BERT's
    pooler, a tanh Dense on the first position). `include_top=False` gives the backbone: a dict of
    "sequence_output" `(batch, seq, dim)` and "pooled_output" `(batch, dim)`.
    """
    _check(vocab_size, max_length, dim, num_heads, ffn_dim, num_layers, dropout, position)
    require_choice("pooling", pooling, SEQUENCE_POOLINGS)
    require_non_negative_int(num_segments=num_segments)
    matrix = embedding_initializer(embedding_matrix, vocab_size, dim)
    tokens = token_input()
    x, token_embedding = _embed(tokens, vocab_size, max_length, dim, position=position)
    inputs = tokens
    if num_segments:
        segment_ids = token_input(names.SEGMENT_IDS)
        inputs = {names.TOKENS: tokens, names.SEGMENT_IDS: segment_ids}
        x = SegmentEmbedding(num_segments, name=names.SEGMENT_EMBEDDING)(x, segment_ids)
    if embedding_norm:
        x = layers.LayerNormalization(epsilon=layer_norm_epsilon, name=names.EMBEDDING_NORM)(x)
    x = layers.Dropout(dropout, name=names.EMBEDDING_DROPOUT)(x)
    for index in range(1, num_layers + 1):
        x = blocks.transformer_encoder_block(
            x,
            num_heads,
            ffn_dim,
            dropout=dropout,
            norm_first=norm_first,
            activation=activation,
            rotary=rotary,
            layer_norm_epsilon=layer_norm_epsilon,
            name=names.encoder(index),
        )
    sequence = _final_norm(x, norm_first, epsilon=layer_norm_epsilon)
    if pooling == "mean":
        pooled = layers.GlobalAveragePooling1D(name=names.POOL)(sequence)
    elif pooling == "attention":
        pooled = blocks.attention_pooling(sequence, name=names.POOL)
    else:
        pooled = layers.Dense(dim, activation="tanh", name=names.POOLER)(sequence[:, 0, :])
    if include_top:
        head_input = layers.Dropout(dropout, name=names.HEAD_DROPOUT)(pooled)
        outputs = classifier(head_input, num_classes, classifier_activation)
    else:
        outputs = {"sequence_output": sequence, "pooled_output": pooled}
    model = keras.Model(inputs, outputs, name=name)
    set_token_embeddings(token_embedding, matrix, trainable_embeddings)
    return model


@register(
    family="transformer",
    task="seq2seq",
    inputs=token_input_specs(seq2seq=True),
    outputs="logits",
    paper="Vaswani et al. 2017, Attention is all you need; base sizes as defaults",
    small_config=_TINY,
    layout_map=megatron_layout_map,
)
def transformer_seq2seq(
    *,
    vocab_size: int = 37000,
    target_vocab_size: int | None = None,
    max_length: int = 256,
    dim: int = 512,
    num_heads: int = 8,
    ffn_dim: int = 2048,
    num_layers: int = 6,
    dropout: float = 0.1,
    position: str = "sinusoidal",
    position_layout: str = "interleaved",
    activation="relu",
    norm_first: bool = False,
    share_embeddings: bool | None = None,
    scale_embeddings: bool = True,
    logits_bias: bool = True,
    padding_id: int = 0,
    embedding_matrix=None,
    trainable_embeddings: bool = True,
    name: str = "transformer_seq2seq",
):
    """The encoder-decoder Transformer: `num_layers` encoder and decoder blocks, post-norm, ReLU.

    Inputs {"source", "target"}; output `(batch, target_seq, target_vocab_size)` logits, where step t
    predicts target token t + 1.

    As the paper (§3.4): with `share_embeddings` (the default when the two vocabularies are one) the
    source embedding, the target embedding and the output projection are one `(vocab_size, dim)` matrix,
    and with `scale_embeddings` the token vectors are multiplied by sqrt(dim) before the positions are
    added. At the base sizes with a 37,000-token vocabulary that makes 63,119,496 parameters (the
    paper's Table 3 rounds to 65M): 18,944,000 in the shared table, 18,914,304 in the six encoder layers,
    25,224,192 in the six decoder layers (which add cross-attention) and 37,000 in the output bias;
    `share_embeddings=False` adds a target table and an output kernel, 37,888,000 more.

    Options for Hugging Face's Marian checkpoints (`activation="silu"`, Marian's "swish"):
    `position_layout="halves"` (their sinusoidal table holds the sines, then the cosines), `logits_bias`
    (their final_logits_bias; with shared embeddings a `Bias` after the tied projection), and
    `padding_id`, the id that pads sources: 0, kerazoo's own, is masked in both sequences as
    `mask_zero` masks it; another id (Marian's `<pad>`, its last) is masked in the source only, because
    the target starts with it (Marian's decoder start token) and the causal decoder never looks ahead to
    the padding that follows a right-padded target.
    """
    target_vocab_size = target_vocab_size or vocab_size
    _check(vocab_size, max_length, dim, num_heads, ffn_dim, num_layers, dropout, position)
    require_positive_int(target_vocab_size=target_vocab_size)
    require_choice("position_layout", position_layout, LAYOUTS)
    require_non_negative_int(padding_id=padding_id)
    if share_embeddings is None:
        share_embeddings = target_vocab_size == vocab_size
    require_bool(share_embeddings=share_embeddings, scale_embeddings=scale_embeddings, logits_bias=logits_bias)
    if share_embeddings and target_vocab_size != vocab_size:
        raise ValueError(
            "`share_embeddings` needs one vocabulary for source and target. Received: share_embeddings=True, "
            f"vocab_size={vocab_size}, target_vocab_size={target_vocab_size}"
        )
    if padding_id >= min(vocab_size, target_vocab_size):
        raise ValueError(
            f"`padding_id` must be an id of both vocabularies. Received: padding_id={padding_id}, "
            f"vocab_size={vocab_size}, target_vocab_size={target_vocab_size}"
        )
    matrix = embedding_initializer(embedding_matrix, vocab_size, dim)
    source, target = token_input(names.SOURCE), token_input(names.TARGET)
    options = {
        "position": position,
        "position_layout": position_layout,
        "mask_zero": padding_id == 0,
        "reversible": share_embeddings,
    }

    def embed(tokens, sequence, size, token_layer=None):
        scale = names.of_sequence(sequence, names.EMBEDDING_SCALE) if scale_embeddings else None
        shared = {"token_name": names.TOKEN_EMBEDDING} if share_embeddings else {}
        return _embed(
            tokens, size, max_length, dim, sequence=sequence, token_layer=token_layer, scale_name=scale,
            **options, **shared,
        )  # fmt: skip

    context, source_embedding = embed(source, names.SOURCE, vocab_size)
    if padding_id:
        context = PaddingMask(padding_id, name=names.of_sequence(names.SOURCE, names.PADDING_MASK))(source, context)
    context = layers.Dropout(dropout, name=names.of_sequence(names.SOURCE, names.EMBEDDING_DROPOUT))(context)
    for index in range(1, num_layers + 1):
        context = blocks.transformer_encoder_block(
            context,
            num_heads,
            ffn_dim,
            dropout=dropout,
            activation=activation,
            norm_first=norm_first,
            name=names.encoder(index),
        )
    context = _final_norm(context, norm_first, names.ENCODER_NORM)
    x, target_embedding = embed(target, names.TARGET, target_vocab_size, source_embedding if share_embeddings else None)
    x = layers.Dropout(dropout, name=names.of_sequence(names.TARGET, names.EMBEDDING_DROPOUT))(x)
    for index in range(1, num_layers + 1):
        x = blocks.transformer_decoder_block(
            x,
            context,
            num_heads=num_heads,
            ffn_dim=ffn_dim,
            dropout=dropout,
            activation=activation,
            norm_first=norm_first,
            name=names.decoder(index),
        )
    x = _final_norm(x, norm_first, names.DECODER_NORM)
    if share_embeddings:
        # The reverse projection runs in the compute dtype; logits come out float32, as from the Dense head.
        tied = target_embedding(x, reverse=True)
        if logits_bias:
            logits = Bias(dtype="float32", name=names.LOGITS_BIAS)(tied)
        else:
            logits = layers.Activation("linear", dtype="float32", name=names.TIED_LOGITS)(tied)
    else:
        logits = layers.Dense(target_vocab_size, use_bias=logits_bias, dtype="float32", name=names.LOGITS)(x)
    model = keras.Model({names.SOURCE: source, names.TARGET: target}, logits, name=name)
    set_token_embeddings(source_embedding, matrix, trainable_embeddings)
    if target_vocab_size == vocab_size and not share_embeddings:
        set_token_embeddings(target_embedding, matrix, trainable_embeddings)
    return model


@register(
    family="transformer",
    task="language-modeling",
    inputs=token_input_specs(),
    outputs="logits",
    paper="Radford et al. 2019, GPT-2 (pre-norm decoder, tied embeddings); 124M sizes as defaults",
    small_config=_TINY,
    layout_map=megatron_layout_map,
)
def gpt(
    *,
    vocab_size: int = 50257,
    max_length: int = 1024,
    dim: int = 768,
    num_heads: int = 12,
    ffn_dim: int = 3072,
    num_layers: int = 12,
    dropout: float = 0.1,
    position: str = "learned",
    rotary: bool = False,
    activation=gelu_tanh,
    mask_zero: bool = True,
    tie_embeddings: bool = True,
    embedding_matrix=None,
    trainable_embeddings: bool = True,
    name: str = "gpt",
):
    """A decoder-only language model: embeddings, `num_layers` causal pre-norm blocks, a final LayerNorm.

    Output `(batch, seq, vocab_size)` float32 logits, where step t predicts token t + 1. With
    `tie_embeddings` the output projection is the transposed token table. `rotary=True` with
    `position="none"` gives rotary positions instead of a position table. `activation` is the feed-forward
    activation, GPT-2's tanh-approximate GELU by default (Keras's "gelu" is the exact form). `mask_zero=False`
    makes id 0 a real token (GPT-2's vocabulary uses it): nothing is masked, and prompts given to
    `generate` must then be whole, with no padding.
    """
    _check(vocab_size, max_length, dim, num_heads, ffn_dim, num_layers, dropout, position)
    matrix = embedding_initializer(embedding_matrix, vocab_size, dim)
    tokens = token_input()
    x, token_embedding = _embed(
        tokens, vocab_size, max_length, dim, position=position, mask_zero=mask_zero, reversible=True
    )
    x = layers.Dropout(dropout, name=names.EMBEDDING_DROPOUT)(x)
    for index in range(1, num_layers + 1):
        x = blocks.transformer_decoder_block(
            x,
            num_heads=num_heads,
            ffn_dim=ffn_dim,
            dropout=dropout,
            norm_first=True,
            activation=activation,
            rotary=rotary,
            name=names.decoder(index),
        )
    x = _final_norm(x, True)
    if tie_embeddings:
        # The reverse projection runs in the compute dtype; logits come out float32, as from the untied head.
        tied = token_embedding(x, reverse=True)
        logits = layers.Activation("linear", dtype="float32", name=names.TIED_LOGITS)(tied)
    else:
        logits = layers.Dense(vocab_size, use_bias=False, dtype="float32", name=names.LOGITS)(x)
    model = keras.Model(tokens, logits, name=name)
    set_token_embeddings(token_embedding, matrix, trainable_embeddings)
    return model
