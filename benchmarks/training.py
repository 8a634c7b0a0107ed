"""Training throughput rows: Transformer encoder stack, GPT, ResNet-50 and LSTM against their references.

Every contender trains with the same optimizer (Adam), loss and fixed batch, compiled with XLA
(`jit_compile=True`); the references are keras-hub's layers and backbones, keras.applications and plain
`keras.layers.LSTM`, at the same size.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from benchmarks._harness import Comparison, Row
from benchmarks._timing import random_floats, random_ints, train_step
from kerazoo import blocks, models


@dataclasses.dataclass(frozen=True)
class Encoder:
    layers: int
    dim: int
    heads: int
    ffn: int
    length: int
    batch: int

    def __str__(self):
        return f"L{self.layers} d{self.dim} h{self.heads} ffn{self.ffn} T{self.length} b{self.batch}"

    def parameters(self) -> int:
        """Every parameter of the stack (none are embeddings): attention, feed-forward, two LayerNorms."""
        d, f = self.dim, self.ffn
        return self.layers * (4 * (d * d + d) + (2 * d * f + f + d) + 4 * d)

    def training_flops_per_token(self) -> float:
        """6 x non-embedding parameters + 12 x layers x dim x length for the attention scores and mixing
        (forward 4 x dim x length per layer, backward twice that), the accounting of PaLM's appendix B."""
        return 6 * self.parameters() + 12 * self.layers * self.dim * self.length


@dataclasses.dataclass(frozen=True)
class Gpt:
    vocab: int
    layers: int
    dim: int
    heads: int
    length: int
    batch: int

    def __str__(self):
        return f"V{self.vocab} L{self.layers} d{self.dim} h{self.heads} T{self.length} b{self.batch}"


@dataclasses.dataclass(frozen=True)
class Images:
    size: int
    classes: int
    batch: int

    def __str__(self):
        return f"{self.size}x{self.size}x3, {self.classes} classes, b{self.batch}"


@dataclasses.dataclass(frozen=True)
class Recurrent:
    layers: int
    units: int
    length: int
    features: int
    batch: int

    def __str__(self):
        return f"{self.layers}x{self.units} units, T{self.length}, {self.features} features, b{self.batch}"


def encoder_rows(config: Encoder, timing: dict) -> list[Row]:
    rows = []
    for dropout in (0.0, 0.1):
        rows.append(
            Row(
                name=f"encoder_dropout{dropout:g}",
                title=f"Transformer encoder stack, dropout {dropout:g} ({config})",
                unit="tokens/s",
                work=config.batch * config.length,
                contenders={
                    "kerazoo": lambda dropout=dropout: _encoder_step(config, dropout, _kerazoo_encoder),
                    "keras-hub TransformerEncoder": lambda dropout=dropout: _encoder_step(
                        config, dropout, _keras_hub_encoder
                    ),
                },
                comparisons=[Comparison("kerazoo", "keras-hub TransformerEncoder")],
                flops_per_unit=config.training_flops_per_token(),
                notes=(
                    "kerazoo's dropout is on sublayer outputs (attention_dropout=0 keeps the fused attention); "
                    "keras-hub also drops attention probabilities"
                    if dropout
                    else ""
                ),
                **timing,
            )
        )
    return rows


def _kerazoo_encoder(x, config: Encoder, dropout: float):
    for index in range(1, config.layers + 1):
        x = blocks.transformer_encoder_block(x, config.heads, config.ffn, dropout=dropout, name=f"block{index}")
    return x


def _keras_hub_encoder(x, config: Encoder, dropout: float):
    import keras_hub

    for _ in range(config.layers):
        x = keras_hub.layers.TransformerEncoder(config.ffn, config.heads, dropout=dropout, activation="gelu")(x)
    return x


def _encoder_step(config: Encoder, dropout: float, stack):
    inputs = keras.Input((config.length, config.dim))
    model = keras.Model(inputs, stack(inputs, config, dropout))
    data = random_floats((config.batch, config.length, config.dim))
    return train_step(model, data, random_floats(data.shape, seed=1), "mse")


def gpt_row(config: Gpt, timing: dict) -> Row:
    tokens = random_ints((config.batch, config.length), config.vocab)
    targets = random_ints((config.batch, config.length), config.vocab, seed=1)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def ours():
        model = models.gpt(
            vocab_size=config.vocab,
            max_length=config.length,
            dim=config.dim,
            num_heads=config.heads,
            ffn_dim=4 * config.dim,
            num_layers=config.layers,
            dropout=0.0,
            mask_zero=False,  # no padding mask: Keras's own causal attention kernel applies
        )
        return train_step(model, tokens, targets, loss)

    def reference():
        backbone = gpt2_backbone(config, config.length)
        logits = backbone.token_embedding(backbone.output, reverse=True)  # the tied head of GPT2CausalLM
        model = keras.Model(backbone.input, logits)
        feed = {"token_ids": tokens, "padding_mask": np.ones_like(tokens)}
        return train_step(model, feed, targets, loss)

    return Row(
        name="gpt_training",
        title=f"GPT training, tied head ({config})",
        unit="tokens/s",
        work=config.batch * config.length,
        contenders={"kerazoo": ours, "keras-hub GPT2Backbone": reference},
        comparisons=[Comparison("kerazoo", "keras-hub GPT2Backbone")],
        **timing,
    )


def gpt2_backbone(config, length: int):
    """keras-hub's GPT-2 backbone at `config`'s size (vocab, layers, heads, dim; feed-forward 4 x dim), no dropout."""
    import keras_hub

    return keras_hub.models.GPT2Backbone(
        vocabulary_size=config.vocab,
        num_layers=config.layers,
        num_heads=config.heads,
        hidden_dim=config.dim,
        intermediate_dim=4 * config.dim,
        dropout=0.0,
        max_sequence_length=length,
    )


def resnet50_row(config: Images, timing: dict) -> Row:
    shape = (config.size, config.size, 3)
    images = random_floats((config.batch, *shape))
    labels = random_ints((config.batch,), config.classes) - 1

    def step(build):
        return lambda: train_step(build(), images, labels, "sparse_categorical_crossentropy")

    return Row(
        name="resnet50",
        title=f"ResNet-50 training ({config})",
        unit="images/s",
        work=config.batch,
        contenders={
            "kerazoo": step(lambda: models.resnet50(input_shape=shape, classes=config.classes)),
            "keras.applications.ResNet50": step(
                lambda: keras.applications.ResNet50(weights=None, input_shape=shape, classes=config.classes)
            ),
        },
        comparisons=[Comparison("kerazoo", "keras.applications.ResNet50")],
        **timing,
    )


def lstm_row(config: Recurrent, timing: dict) -> Row:
    sequences = random_floats((config.batch, config.length, config.features))
    labels = random_ints((config.batch,), 10) - 1

    def ours(x):
        return blocks.lstm_block(x, config.units, num_layers=config.layers)

    def reference(x):
        for index in range(config.layers):
            x = keras.layers.LSTM(config.units, return_sequences=index < config.layers - 1)(x)
        return x

    def step(stack):
        def build():
            inputs = keras.Input((config.length, config.features))
            model = keras.Model(inputs, keras.layers.Dense(10)(stack(inputs)))
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
            return train_step(model, sequences, labels, loss)

        return build

    return Row(
        name="lstm",
        title=f"LSTM stack training ({config})",
        unit="sequences/s",
        work=config.batch,
        contenders={"kerazoo": step(ours), "keras.layers.LSTM stack": step(reference)},
        comparisons=[Comparison("kerazoo", "keras.layers.LSTM stack")],
        **timing,
    )
