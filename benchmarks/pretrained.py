"""Rows on converted checkpoints: fine-tuning a BERT and decoding with GPT-2, each against the library the
checkpoint comes from, on the very same weights.

- `bert_finetuning_row`: kerazoo's `transformer_classifier` converted from a keras-hub `BertBackbone`
  (`convert.from_keras_hub`, a fresh 2-class head) against keras-hub's `BertTextClassifier` on that backbone.
- `transformers_generation_row`: kerazoo's `gpt` converted from a Hugging Face GPT-2 folder
  (`convert.from_hugging_face`) against transformers' own `GPT2LMHeadModel.generate` (PyTorch, CPU), greedy;
  kerazoo on the suite's backend, or on another one (the cpu suite runs it on TensorFlow and on JAX).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile

import keras
import numpy as np

from benchmarks._harness import Comparison, Row
from benchmarks._remote import ROOT, RemoteStep
from benchmarks._timing import train_step
from benchmarks.generation import CACHED, Generation
from benchmarks.training import Encoder
from kerazoo import models


@dataclasses.dataclass(frozen=True)
class Bert(Encoder):
    """The encoder rows' stack (whose FLOP count it shares: embeddings, pooler and head left out) under a
    token table of `vocab` ids."""

    vocab: int = 30522

    def __str__(self):
        return f"V{self.vocab} {super().__str__()}"


KERAS_HUB_CLASSIFIER = "keras-hub BertTextClassifier"
TRANSFORMERS = "transformers GPT2LMHeadModel.generate (PyTorch)"
WORKER = "benchmarks._transformers_gpt2"  # transformers' side of the GPT-2 rows, run as a module


def bert_finetuning_row(config: Bert, timing: dict) -> Row:
    """One training step on a fixed, padded batch of sentence pairs, each model fed as it takes them:
    kerazoo {"tokens", "segment_ids"} (id 0, BERT's [PAD], is masked), keras-hub the same ids and segments
    plus "padding_mask". Both keep their default dropout, 0.1."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(config.length // 2, config.length + 1, config.batch)  # real tokens per row
    positions = np.arange(config.length)
    real = positions[None, :] < lengths[:, None]
    ids = np.where(real, rng.integers(1, config.vocab, (config.batch, config.length)), 0).astype("int32")
    segments = (real & (positions[None, :] >= lengths[:, None] // 2)).astype("int32")  # the pair's second text
    labels = rng.integers(0, 2, config.batch).astype("int32")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    built = {}

    def source():
        """One keras-hub backbone, and kerazoo's classifier converted from it before either trains."""
        if not built:
            import keras_hub

            from kerazoo.models import convert

            keras.utils.set_random_seed(0)
            built["backbone"] = keras_hub.models.BertBackbone(
                vocabulary_size=config.vocab,
                num_layers=config.layers,
                num_heads=config.heads,
                hidden_dim=config.dim,
                intermediate_dim=config.ffn,
                max_sequence_length=512,  # BERT's position table; the batch uses its first `length` rows
            )
            built["kerazoo"] = convert.from_keras_hub(
                built["backbone"], include_top=True, num_classes=2, classifier_activation=None
            )
        return built

    def ours():
        model = source()["kerazoo"]
        return train_step(model, {"tokens": ids, "segment_ids": segments}, labels, loss)

    def reference():
        import keras_hub

        classifier = keras_hub.models.BertTextClassifier(source()["backbone"], num_classes=2, preprocessor=None)
        feed = {"token_ids": ids, "segment_ids": segments, "padding_mask": real}
        return train_step(classifier, feed, labels, loss)

    return Row(
        name="bert_finetuning",
        title=f"BERT fine-tuning step, 2-class head ({config})",
        unit="tokens/s",
        work=config.batch * config.length,
        contenders={"kerazoo": ours, KERAS_HUB_CLASSIFIER: reference},
        comparisons=[Comparison("kerazoo", KERAS_HUB_CLASSIFIER)],
        flops_per_unit=config.training_flops_per_token(),
        notes=(
            "kerazoo converted from the keras-hub BertBackbone (convert.from_keras_hub); logits, Adam, XLA. "
            "Dropout 0.1 (both defaults): kerazoo on embeddings, sublayer outputs and the head's input; "
            "keras-hub also on attention probabilities. kerazoo's peak memory includes the backbone it is "
            "converted from"
        ),
        **timing,
    )


def transformers_generation_row(config: Generation, timing: dict, *, backend: str | None = None) -> Row:
    """Greedy decoding with key/value caches of the same prompts, for `new_tokens` tokens each: kerazoo's
    `models.generate` (XLA) against `GPT2LMHeadModel.generate` (PyTorch, `torch.no_grad`, `use_cache=True`,
    as many threads as this process may use, as TensorFlow and JAX take by default). transformers runs in a
    process of its own (`benchmarks._remote`: torch's Triton and TensorFlow or JAX cannot share one), and
    so does the writing of the checkpoint folder both load, so that no contender's peak memory includes the
    model that wrote it. `backend` runs kerazoo on another Keras backend than the suite's."""
    prompt = np.random.default_rng(0).integers(1, config.vocab, (config.batch, config.prompt)).astype("int32")
    built = {}

    def folder() -> str:
        if not built:
            built["directory"] = tempfile.TemporaryDirectory(prefix="kerazoo-gpt2-")  # removed at exit
            sizes = {"vocab_size": config.vocab, "n_layer": config.layers, "n_embd": config.dim}
            sizes["n_head"] = config.heads
            command = [sys.executable, "-m", WORKER, "write", built["directory"].name, json.dumps(sizes)]
            written = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            if written.returncode:
                raise RuntimeError(f"writing the GPT-2 checkpoint failed:\n{written.stderr[-4000:]}")
        return built["directory"].name

    def ours():
        from kerazoo.models import convert

        model = convert.from_hugging_face(folder())
        return lambda: models.generate(model, prompt, config.new_tokens, use_cache=True)

    def reference():
        return RemoteStep(WORKER, "generate", folder(), json.dumps(prompt.tolist()), str(config.new_tokens))

    # Read when libgomp loads, so set for the row's process; TensorFlow's and XLA's CPU pools are not OpenMP.
    environment = {"OMP_WAIT_POLICY": "PASSIVE"}
    if backend:
        environment["KERAS_BACKEND"] = backend
    return Row(
        name="gpt2_generation_transformers" + (f"_{backend}" if backend else ""),
        title=f"GPT-2 greedy generation: kerazoo{f' on {backend}' if backend else ''} against transformers ({config})",
        unit="tokens/s",
        work=config.batch * config.new_tokens,
        contenders={CACHED: ours, TRANSFORMERS: reference},
        comparisons=[Comparison(CACHED, TRANSFORMERS)],
        notes=(
            "transformers on PyTorch (CPU) in a process of its own, each step a round trip over a pipe "
            "(tens of microseconds); as many threads as XLA's, OMP_WAIT_POLICY=PASSIVE (on 2 cores shared "
            "with other work, libgomp's spinning threads made its 2-thread forward 5-10x slower)"
        ),
        environment=environment,
        **timing,
    )
