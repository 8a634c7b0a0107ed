"""Generation tokens/s: kerazoo's gpt decoding greedily with its decoders' caches, against keras-hub's
`GPT2CausalLM.generate` on the very same weights (converted from its backbone) and against kerazoo
recomputing the whole sequence at every step; and kerazoo's nucleus (top_p) sampling, drawn on the device in
the same compiled loop, against its own greedy decoding (the issue asks for at least 0.9 of its speed)."""

from __future__ import annotations

import dataclasses

import numpy as np

from benchmarks._harness import Comparison, Row
from benchmarks._timing import random_ints
from benchmarks.training import gpt2_backbone
from kerazoo import models


@dataclasses.dataclass(frozen=True)
class Generation:
    vocab: int
    layers: int
    dim: int
    heads: int
    batch: int
    prompt: int
    new_tokens: int

    def __str__(self):
        return (
            f"V{self.vocab} L{self.layers} d{self.dim} h{self.heads}, b{self.batch}, "
            f"prompt {self.prompt}, {self.new_tokens} new tokens"
        )


CACHED = "kerazoo, decoders' caches"
SAMPLED = "kerazoo, top_p sampling on the device"
RECOMPUTED = "kerazoo, full recomputation"
KERAS_HUB = "keras-hub GPT2CausalLM.generate"
# Nucleus sampling as people use it: the whole vocabulary sorted at every step, a draw from the top 0.9.
SAMPLING = {"temperature": 0.8, "top_p": 0.9, "seed": 0}


def generation_row(config: Generation, timing: dict) -> Row:
    length = config.prompt + config.new_tokens
    prompt = random_ints((config.batch, config.prompt), config.vocab)
    built = {}

    def backbone():
        """One keras-hub backbone, and kerazoo's gpt converted from it, shared by all three contenders."""
        if not built:
            from kerazoo.models import convert

            built["backbone"] = gpt2_backbone(config, length)
            built["gpt"] = convert.from_keras_hub(built["backbone"])
        return built

    def kerazoo(use_cache: bool, **sampling):
        def build():
            model = backbone()["gpt"]
            return lambda: models.generate(model, prompt, config.new_tokens, use_cache=use_cache, **sampling)

        return build

    def keras_hub_generate():
        import keras_hub

        causal_lm = keras_hub.models.GPT2CausalLM(backbone=backbone()["backbone"], preprocessor=None)
        causal_lm.compile(sampler="greedy")
        ids = np.zeros((config.batch, length), "int32")
        ids[:, : config.prompt] = prompt
        feed = {"token_ids": ids, "padding_mask": ids != 0}
        return lambda: causal_lm.generate(feed, stop_token_ids=None)

    return Row(
        name="gpt_generation",
        title=f"GPT generation ({config})",
        unit="tokens/s",
        work=config.batch * config.new_tokens,
        contenders={
            CACHED: kerazoo(True),
            SAMPLED: kerazoo(True, **SAMPLING),
            KERAS_HUB: keras_hub_generate,
            RECOMPUTED: kerazoo(False),
        },
        comparisons=[
            Comparison(CACHED, KERAS_HUB, title="GPT greedy generation: kerazoo against keras-hub"),
            Comparison(SAMPLED, CACHED, target=0.9, title="GPT generation: top_p sampling against greedy"),
            Comparison(CACHED, RECOMPUTED, target=None, title="GPT generation: the caches against recomputation"),
        ],
        **timing,
    )
