"""Every registered model passes the shared checks at its small config: registering a model tests it."""

import keras
import pytest

from kerazoo import models
from kerazoo.layers import gelu_tanh
from kerazoo.testing import MIXED_POLICIES, Spec, attention_policies, check_model

SEQUENCE_LENGTH = 6


def specs_for(name: str, model: keras.Model, *, padded: bool = True) -> list[Spec]:
    """Random inputs by each input's role: images as floats, token ids below their vocabulary, padded."""
    config = models.info(name).small_config
    roles = {spec.name: spec.role for spec in models.info(name).inputs}
    specs = []
    for tensor in model.inputs:
        if roles[tensor.name] == "image":
            specs.append(Spec(tuple(tensor.shape[1:]), name=tensor.name))
        else:
            vocab = config.get("target_vocab_size") if roles[tensor.name] == "target_ids" else None
            vocab = vocab or config["vocab_size"]
            specs.append(Spec((SEQUENCE_LENGTH,), "int32", vocab_size=vocab, padded=padded, name=tensor.name))
    return specs


# Deep graphs cost TensorFlow minutes of XLA compilation for three training steps; CI runs them in its
# slow pass, the default suite the rest.
SLOW = {"resnet34", "resnet50", "transformer_seq2seq"}

# With random weights a ResNet's inference-mode batch norms (moving mean 0, variance 1) let activations grow
# unit by unit, so its softmax comes out one-hot: a comparison of probabilities is then exact or, where two
# logits nearly tie, off by a whole class. Its logits are what mixed precision must reproduce.
LOGITS = {name: {"classifier_activation": None} for name in ("resnet18", "resnet34", "resnet50")}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in models.list_models()]
)
def test_every_registered_model_passes_the_model_checks(name):
    keras.utils.set_random_seed(0)  # the same weights in every run: a failure here is the model's, not chance's
    info = models.info(name)
    config = {**info.small_config, **LOGITS.get(name, {})}
    model = models.build(name, **config)
    policies = attention_policies() if info.family == "transformer" else MIXED_POLICIES
    specs = specs_for(name, model)
    result = check_model(lambda: models.build(name, **config), *specs, policies=policies)
    # The gate raises on any failed check; these say that each applicable check actually ran.
    assert (result.padding_error is not None) == any(spec.padded for spec in specs)
    assert set(result.mixed_errors) == set(policies)


# Options the defaults do not exercise go through the same gate.
OPTION_VARIANTS = {
    "gpt without padding (GPT-2's id 0 is a token)": ("gpt", {"mask_zero": False}),
    "gpt with exact GELU": ("gpt", {"activation": "gelu"}),
    "transformer_classifier with BERT's pooler and tanh GELU": (
        "transformer_classifier",
        {"pooling": "cls", "activation": gelu_tanh},
    ),
    "transformer_classifier without embedding norm, epsilon 1e-5": (
        "transformer_classifier",
        {"embedding_norm": False, "layer_norm_epsilon": 1e-5},
    ),
    "resnet18 v1 (stride in the first 1x1, keras.applications' layout)": ("resnet18", {"variant": "v1"}),
    "transformer_seq2seq without sharing or scaling (kerazoo's layout before #21)": (
        "transformer_seq2seq",
        {"share_embeddings": False, "scale_embeddings": False},
    ),
    "transformer_seq2seq shared without an output bias": ("transformer_seq2seq", {"logits_bias": False}),
    # Marian's layout; its padding id other than 0 goes through the gate in tests/models/test_marian.py,
    # whose inputs pad with the model's own id (this gate's padding check appends 0).
    "transformer_seq2seq as Marian (SiLU, sines then cosines)": (
        "transformer_seq2seq",
        {"activation": "silu", "position_layout": "halves"},
    ),
}


@pytest.mark.slow  # a minute each; the defaults' gate above stays in the default suite
@pytest.mark.parametrize("variant", sorted(OPTION_VARIANTS))
def test_model_options_pass_the_model_checks(variant):
    keras.utils.set_random_seed(0)
    name, options = OPTION_VARIANTS[variant]
    config = {**models.info(name).small_config, **LOGITS.get(name, {}), **options}
    padded = options.get("mask_zero", True)
    policies = attention_policies() if models.info(name).family == "transformer" else MIXED_POLICIES
    specs = specs_for(name, models.build(name, **config), padded=padded)
    result = check_model(lambda: models.build(name, **config), *specs, policies=policies)
    assert (result.padding_error is not None) == any(spec.padded for spec in specs)
