"""Fine-tuning a pretrained model: which weights train, and Keras's own LoRA on the rest.

    frozen = freeze_backbone(model)     # only the classifier head trains (BatchNorm then runs in inference mode)
    unfreeze(frozen)                    # everything trains again: compile anew before fitting on
    adapted = enable_lora(model, rank=8)  # LoRA on every Dense, EinsumDense and Embedding but the head

The backbone is every layer but the classifier head (`kerazoo.names.HEAD`, and the dropout before it). LoRA
is Keras's (`Layer.enable_lora`): each adapted layer's kernel is frozen and two trainable factors of rank
`rank` are added to it. Keras merges the factors into the kernel whenever it saves weights (`model.save`,
`save_weights`) and zeroes them when it loads, so a saved `.keras` model computes the same and needs no
LoRA code to load; `lora_variables` gives what a resumable checkpoint must keep unmerged beside them.
"""

from __future__ import annotations

import keras

from kerazoo import names
from kerazoo._validation import require_positive_int

# Keras's layers that have `enable_lora`.
LORA_LAYERS = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Embedding)
# The classifier head a fine-tuned model trains from the start, frozen backbone or LoRA.
HEAD_LAYERS = (names.HEAD, names.HEAD_DROPOUT)


def backbone_layers(model: keras.Model) -> list:
    """The model's top-level layers that hold weights, but the classifier head."""
    return [layer for layer in model.layers if layer.name not in HEAD_LAYERS and layer.weights]


def freeze_backbone(model: keras.Model) -> list:
    """Makes every layer but the classifier head untrainable; returns the layers it froze.

    A frozen BatchNormalization runs in inference mode (Keras's rule for fine-tuning), so its moving
    statistics stay the pretrained ones. Compile the model after this (Keras decides what trains then).

    Raises:
        ValueError: the model has no classifier head (`kerazoo.names.HEAD`), so nothing would train.
    """
    _require_head(model, "freeze_backbone")
    frozen = [layer for layer in backbone_layers(model) if layer.trainable]
    for layer in frozen:
        layer.trainable = False
    return frozen


def unfreeze(layers) -> None:
    """Makes the layers `freeze_backbone` froze trainable again; compile the model anew before fitting on."""
    for layer in layers:
        layer.trainable = True


def enable_lora(model: keras.Model, rank: int) -> int:
    """Keras's LoRA of `rank` on every Dense, EinsumDense and Embedding layer but the classifier head;
    every other weight but the head's is frozen, so only the LoRA factors and the head train.

    Returns:
        How many layers were adapted.

    Raises:
        ValueError: `rank` is not a positive integer, or the model has no layer LoRA applies to.
    """
    require_positive_int(lora_rank=rank)
    head = [layer for layer in model.layers if layer.name in HEAD_LAYERS]
    adapted = [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, LORA_LAYERS) and layer.built and layer not in head  # layers compare by identity
    ]
    if not adapted:
        raise ValueError(f"`lora_rank`: {model.name} has no Dense, EinsumDense or Embedding layer for LoRA to adapt.")
    for layer in adapted:
        if not layer.lora_enabled:
            layer.enable_lora(rank)
    keep = {id(variable) for variable in lora_factors(model)} | {id(v) for layer in head for v in layer.weights}
    for variable in model.trainable_weights:
        if id(variable) not in keep:
            variable.trainable = False
    return len(adapted)


def lora_factors(model: keras.Model) -> list:
    """The LoRA factors of the model's adapted layers, in a fixed order."""
    return [
        variable
        for layer in _lora_layers(model)
        for variable in layer.weights
        if variable.path.rsplit("/", 1)[-1].startswith("lora_")
    ]


def lora_variables(model: keras.Model) -> list:
    """Every weight of the model's LoRA layers, unmerged (the frozen kernels as they are, and the factors),
    in a fixed order: what Keras's merged saving loses and an exact resume needs."""
    return [variable for layer in _lora_layers(model) for variable in layer.weights]


def _lora_layers(model: keras.Model) -> list:
    return [layer for layer in model._flatten_layers(include_self=False) if getattr(layer, "lora_enabled", False)]


def _has_layer(model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)


def _require_head(model, argument: str) -> None:
    if not _has_layer(model, names.HEAD):
        raise ValueError(
            f"`{argument}`: {model.name} has no classifier head ({names.HEAD!r}) to train on a frozen backbone; "
            "it is for classifiers (use lora_rank to adapt a language model)."
        )
