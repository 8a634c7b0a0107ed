"""Where a run's weights start: a pretrained checkpoint (`--from`) or pretrained image weights (`--weights`).

    kerazoo train transformer_classifier --from hf:google-bert/bert-base-uncased --data polarity
    kerazoo train gpt --from hf:openai-community/gpt2 --data corpus/
    kerazoo train resnet50 --weights imagenet --data photos/ --freeze-backbone --unfreeze-after 2

A checkpoint (`models.from_pretrained`) brings its architecture and its tokenizer, which prepares the text;
a classifier gets a fresh head of the data's classes where the checkpoint has none. Image weights
(`weights=` of the ResNet builders: "imagenet", a timm checkpoint) fill every layer but a fresh head of the
data's classes, and the images are prepared as those weights expect (`models.preprocess_input`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kerazoo import names
from kerazoo._validation import require_positive_int
from kerazoo.data.tokenization import SUBWORD_KINDS, WORDS

# Tasks whose models a text checkpoint starts: BERT classifiers, GPT language models.
CHECKPOINT_TASKS = ("text-classification", "language-modeling")
# The arguments of `training.train` that `check_start` checks together.
START_OPTIONS = ("pretrained", "weights", "tokenizer", "embeddings", "freeze_backbone", "unfreeze_after", "lora_rank")
# The builder arguments the data shapes; the rest of `settings` are options the checkpoint must allow.
_DATA_SHAPED = ("vocab_size", "max_length", "num_classes", "classes", "input_shape")


def check_start(
    info, *, pretrained, weights, tokenizer, embeddings, freeze_backbone, unfreeze_after, lora_rank
) -> None:
    """Refuses, before anything is read or written, a starting point the model or the options cannot use."""
    if pretrained is not None and weights is not None:
        raise ValueError(
            "`pretrained` (a checkpoint: --from) and `weights` (image weights: --weights) both set the starting "
            f"weights; give one. Received: pretrained={pretrained!r}, weights={weights!r}"
        )
    if pretrained is not None:
        _check_checkpoint(info, pretrained, tokenizer=tokenizer, embeddings=embeddings)
    if weights is not None and "weights" not in info.defaults:
        raise ValueError(f"`weights` are image weights for the image models' builders; {info.name} takes none.")
    starts_pretrained = pretrained is not None or weights is not None
    if freeze_backbone and not starts_pretrained:
        raise ValueError(
            "`freeze_backbone` keeps pretrained weights as they are; give `pretrained` (--from) or `weights` "
            "(--weights): a random backbone would never learn."
        )
    if unfreeze_after is not None:
        require_positive_int(unfreeze_after=unfreeze_after)
        if not freeze_backbone:
            raise ValueError("`unfreeze_after` unfreezes a frozen backbone: give `freeze_backbone` too.")
    if lora_rank is not None:
        require_positive_int(lora_rank=lora_rank)
        if not starts_pretrained:
            raise ValueError(
                "`lora_rank` adapts pretrained weights; give `pretrained` (--from) or `weights` (--weights)."
            )
        if freeze_backbone:
            raise ValueError(
                "`lora_rank` already freezes every weight but its LoRA factors and the head; leave out "
                "`freeze_backbone`."
            )


def _check_checkpoint(info, source, *, tokenizer, embeddings) -> None:
    from kerazoo.models.pretrained import zoo_model_of  # imports Keras

    if info.task not in CHECKPOINT_TASKS:
        raise ValueError(
            f"`pretrained` checkpoints start {' and '.join(CHECKPOINT_TASKS)} models; {info.name} is for "
            f"{info.task}. Image models take pretrained `weights` (--weights imagenet)."
        )
    if embeddings is not None:
        raise ValueError("`embeddings` (Word2Vec vectors) and `pretrained` both start the token table; give one.")
    if isinstance(tokenizer, str) and (tokenizer == WORDS or tokenizer.partition(":")[0] in SUBWORD_KINDS):
        raise ValueError(
            f"`tokenizer`: a checkpoint reads the ids of its own tokenizer, not a new one. Received: "
            f"tokenizer={tokenizer!r} with pretrained={source!r}; leave `tokenizer` out (the checkpoint's is used)."
        )
    model = zoo_model_of(source)  # config.json alone
    if model != info.name:
        raise ValueError(f"`pretrained` {source} is a {model} checkpoint; the run names {info.name}. Train {model}.")


def checkpoint_tokenizer(source, tokenizer=None):
    """The tokenizer a checkpoint's run reads text with: `tokenizer` (a saved one's path) or the source's own."""
    from kerazoo.text import Tokenizer

    return tokenizer if hasattr(tokenizer, "encode") else Tokenizer.load(tokenizer or source)


def from_checkpoint(info, source, *, tokenizer, arguments: Mapping, settings: Mapping):
    """The run's model from a checkpoint: the data's sequence length (and classes, for a fresh head) and the
    options of `settings` the checkpoint leaves free (dropout); `tokenizer` is checked against it."""
    from kerazoo.models.pretrained import from_pretrained

    options = {key: value for key, value in settings.items() if key not in _DATA_SHAPED}
    options["max_length"] = arguments["max_length"]
    if info.task == "text-classification":
        options["num_classes"] = arguments["num_classes"]
        options["classifier_activation"] = "softmax" if info.outputs == "probabilities" else None
    return from_pretrained(source, tokenizer=tokenizer, **options)


def load_image_weights(network, info, weights, arguments: Mapping) -> None:
    """Fills every layer of `network` but its head from pretrained image `weights` (the builder fetches and
    checks them, on a headless model of the same layout), leaving the head fresh for the data's classes."""
    from kerazoo.models._transplant import Checkpoint, transplant

    backbone = info.build(**{**arguments, "weights": weights, "include_top": False, "pooling": None})
    arrays = {variable.path: variable.numpy() for variable in backbone.weights}
    transplant(network, Checkpoint(arrays, str(weights), has_head=False), lambda path: path)


def preprocessed_for(dataset, weights):
    """`dataset` (a `kerazoo.data.TaskData` of images in [0, 1]) with its images prepared as `weights` expect
    them: `models.preprocess_input`'s arithmetic, inside the tf.data pipelines."""
    import tensorflow as tf

    from kerazoo.models.imagenet import preprocessing

    bgr, scale, offset = preprocessing(weights).affine()

    def prepare(image, label):
        image = tf.reverse(image, axis=[-1]) if bgr else image
        return image * (255.0 * scale) + offset, label

    return _mapped(dataset, prepare)


def fed_inputs(dataset, network):
    """`dataset` feeding what `network` takes: a model with segments (a BERT checkpoint's) takes segment ids
    beside the tokens, which are all 0 for single texts (sentence pairs bring their own)."""
    import tensorflow as tf

    if not isinstance(network.input, dict) or names.SEGMENT_IDS not in network.input or dataset.sentence_pairs:
        return dataset

    def with_segment_ids(tokens, target):
        return {names.TOKENS: tokens, names.SEGMENT_IDS: tf.zeros_like(tokens)}, target

    return _mapped(dataset, with_segment_ids)


def _mapped(dataset, function):
    """The TaskData with `function` mapped over each of its pipelines."""
    splits = ("train", "validation", "test", "train_examples")
    return dataclasses.replace(dataset, **{split: getattr(dataset, split).map(function) for split in splits})
