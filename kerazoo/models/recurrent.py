"""LSTM models: classifiers and an encoder-decoder with additive attention.

Classifiers return probabilities (`classifier_activation="softmax"`; None gives logits); `lstm_seq2seq`
returns logits over the target vocabulary. Token id 0 is padding everywhere.
"""

from __future__ import annotations

import keras
from keras import layers

from kerazoo import blocks, names
from kerazoo.layers import LSTM
from kerazoo.models._common import (
    check_sequence_sizes,
    classifier,
    embedding_initializer,
    set_token_embeddings,
    token_input,
)
from kerazoo.models.registry import register, token_input_specs

_TINY_CLASSIFIER = {"vocab_size": 50, "num_classes": 3, "dim": 8, "units": 8}


@register(
    family="lstm",
    task="text-classification",
    inputs=token_input_specs(),
    outputs="probabilities",
    paper="Hochreiter & Schmidhuber 1997; the classic two-layer 256-unit LSTM classifier",
    small_config=_TINY_CLASSIFIER,
)
def lstm_classifier(
    *,
    vocab_size: int = 20000,
    max_length: int | None = None,
    num_classes: int = 2,
    dim: int = 128,
    units: int = 256,
    num_layers: int = 2,
    dropout: float = 0.2,
    embedding_matrix=None,
    trainable_embeddings: bool = True,
    classifier_activation="softmax",
    name: str = "lstm_classifier",
):
    """Embedding, a stack of LSTMs (the last state summarises the text), dropout and a classifier.

    `max_length` fixes the input length (what XLA and TPUs want); None accepts any length.
    """
    check_sequence_sizes(vocab_size=vocab_size, num_classes=num_classes, dim=dim, units=units, dropout=dropout)
    matrix = embedding_initializer(embedding_matrix, vocab_size, dim)
    tokens = token_input(max_length=max_length)
    token_embedding = layers.Embedding(vocab_size, dim, mask_zero=True, name=names.TOKEN_EMBEDDING)
    x = blocks.lstm_block(token_embedding(tokens), units, num_layers=num_layers, dropout=dropout, name="lstm")
    x = layers.Dropout(dropout, name=names.HEAD_DROPOUT)(x)
    model = keras.Model(tokens, classifier(x, num_classes, classifier_activation), name=name)
    set_token_embeddings(token_embedding, matrix, trainable_embeddings)
    return model


@register(
    family="lstm",
    task="text-classification",
    inputs=token_input_specs(),
    outputs="probabilities",
    paper="Zhou et al. 2016, Attention-based bidirectional LSTM for relation classification",
    small_config=_TINY_CLASSIFIER,
)
def bilstm_attention_classifier(
    *,
    vocab_size: int = 20000,
    max_length: int | None = None,
    num_classes: int = 2,
    dim: int = 128,
    units: int = 128,
    num_layers: int = 1,
    attention_units: int | None = None,
    dropout: float = 0.2,
    embedding_matrix=None,
    trainable_embeddings: bool = True,
    classifier_activation="softmax",
    name: str = "bilstm_attention_classifier",
):
    """Embedding, bidirectional LSTM over every step, additive attention pooling and a classifier.

    `max_length` fixes the input length (what XLA and TPUs want); None accepts any length.
    """
    check_sequence_sizes(vocab_size=vocab_size, num_classes=num_classes, dim=dim, units=units, dropout=dropout)
    matrix = embedding_initializer(embedding_matrix, vocab_size, dim)
    tokens = token_input(max_length=max_length)
    token_embedding = layers.Embedding(vocab_size, dim, mask_zero=True, name=names.TOKEN_EMBEDDING)
    x = blocks.lstm_block(
        token_embedding(tokens),
        units,
        num_layers=num_layers,
        bidirectional=True,
        return_sequences=True,
        dropout=dropout,
        name="lstm",
    )
    x = blocks.attention_pooling(x, attention_units, name="attention_pooling")
    x = layers.Dropout(dropout, name=names.HEAD_DROPOUT)(x)
    model = keras.Model(tokens, classifier(x, num_classes, classifier_activation), name=name)
    set_token_embeddings(token_embedding, matrix, trainable_embeddings)
    return model


@register(
    family="lstm",
    task="seq2seq",
    inputs=token_input_specs(seq2seq=True),
    outputs="logits",
    paper="Bahdanau et al. 2015 (additive attention); Luong et al. 2015 (attention after the decoder LSTM)",
    small_config={"vocab_size": 20, "dim": 8, "units": 8},
)
def lstm_seq2seq(
    *,
    vocab_size: int = 8000,
    target_vocab_size: int | None = None,
    max_length: int | None = None,
    dim: int = 256,
    units: int = 256,
    dropout: float = 0.0,
    embedding_matrix=None,
    trainable_embeddings: bool = True,
    name: str = "lstm_seq2seq",
):
    """LSTM encoder-decoder with additive attention, trained with teacher forcing.

    The decoder LSTM starts from the encoder's final state; each decoder step then attends over the
    encoder outputs (additive scores, source padding excluded) and predicts the next target token from
    `tanh(W [decoder output; context])`. Inputs {"source", "target"}; output `(batch, target_seq,
    target_vocab_size)` logits, where step t predicts target token t + 1.
    """
    target_vocab_size = target_vocab_size or vocab_size
    check_sequence_sizes(
        vocab_size=vocab_size, target_vocab_size=target_vocab_size, dim=dim, units=units, dropout=dropout
    )
    matrix = embedding_initializer(embedding_matrix, vocab_size, dim)
    source, target = token_input(names.SOURCE, max_length), token_input(names.TARGET, max_length)
    source_embedding = layers.Embedding(
        vocab_size, dim, mask_zero=True, name=names.of_sequence(names.SOURCE, names.TOKEN_EMBEDDING)
    )
    encoded = source_embedding(source)
    encoded, state_h, state_c = LSTM(units, return_sequences=True, return_state=True, name=names.ENCODER)(encoded)
    target_embedding = layers.Embedding(
        target_vocab_size, dim, mask_zero=True, name=names.of_sequence(names.TARGET, names.TOKEN_EMBEDDING)
    )
    decoded = target_embedding(target)
    decoded = LSTM(units, return_sequences=True, name=names.DECODER)(decoded, initial_state=[state_h, state_c])
    context = layers.AdditiveAttention(name="attention")([decoded, encoded])
    x = layers.Concatenate(name="attention_concat")([decoded, context])
    x = layers.Dense(units, activation="tanh", name="attention_projection")(x)
    x = layers.Dropout(dropout, name="output_dropout")(x)
    logits = layers.Dense(target_vocab_size, dtype="float32", name=names.LOGITS)(x)
    model = keras.Model({names.SOURCE: source, names.TARGET: target}, logits, name=name)
    set_token_embeddings(source_embedding, matrix, trainable_embeddings)
    if target_vocab_size == vocab_size:
        set_token_embeddings(target_embedding, matrix, trainable_embeddings)
    return model
