"""Pretrained checkpoints by name: a Hub repository or a local folder, as the zoo model its config.json names.

    model = models.from_pretrained("hf:openai-community/gpt2")                      # gpt, GPT-2's weights
    model = models.from_pretrained("hf:google-bert/bert-base-uncased", num_classes=2)  # + a fresh head
    model = models.from_pretrained("path/to/checkpoint", max_length=128)

The exact converters of `kerazoo.models.convert` do the work; a Hub download's conversion is kept as a
`.keras` file beside it (`kerazoo-VERSION/gpt.keras` in huggingface_hub's snapshot folder of the commit),
so the next call loads it instead of converting again; a local folder is converted each time, and left
as it is.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import keras
import numpy as np

from kerazoo import __version__, hub, names
from kerazoo._io import atomic_path
from kerazoo._optional import require
from kerazoo.models._hugging_face import HUGGING_FACE, HUGGING_FACE_TARGETS
from kerazoo.models._transplant import Checkpoint, build_for_checkpoint, transplant
from kerazoo.models.convert import from_hugging_face

logger = logging.getLogger("kerazoo.models")


def from_pretrained(source, *, tokenizer=None, replace_head: bool = False, **options) -> keras.Model:
    """The zoo model of a pretrained checkpoint, with its weights.

    The checkpoint's `config.json` picks the model by its `model_type`: gpt2 -> `gpt`, bert ->
    `transformer_classifier` (a `BertForSequenceClassification` checkpoint with its head, giving logits;
    a `BertModel` as the backbone, whose outputs are "sequence_output" and "pooled_output"), marian ->
    `transformer_seq2seq` (a `MarianMTModel`: sources padded with its `<pad>` id, targets starting with it).

    Args:
        source: `hf:ORG/NAME[@REVISION]`, downloaded with huggingface_hub (its cache, `HF_HUB_OFFLINE`,
            `HF_TOKEN`; see `kerazoo.hub`), or a local folder with `config.json` and safetensors weights.
        tokenizer: the `kerazoo.text.Tokenizer` you will feed the model, checked against the checkpoint's
            config.json before anything is converted: the same number of tokens (or a table rounded up to
            a multiple of 64, as some checkpoints pad theirs) and the same padding, start and end ids where
            both name them. A tokenizer of another checkpoint is refused instead of giving wrong outputs.
        replace_head: give a checkpoint that has its own classifier head a fresh one instead (with
            `num_classes=` as you choose).
        **options: builder arguments the checkpoint leaves free: `num_classes` (a fresh head on a
            backbone; `include_top=True` is then implied), `classifier_activation`, `dropout`, a
            `max_length` below the checkpoint's, `name`. Sizes the checkpoint fixes are refused.

    Returns:
        The Keras model; every weight is the checkpoint's, but a fresh head.

    Raises:
        FileNotFoundError: the repository, revision or folder is missing, or cannot be fetched.
        ValueError: a model_type kerazoo has no model for, a checkpoint with only pickled weights,
            an option the checkpoint fixes, or a `tokenizer` of another vocabulary.
    """
    folder = hub.resolve(source)
    config = hub.read_config(folder, source)
    kind = config["model_type"]
    _zoo_model(source, config)
    if tokenizer is not None:
        _require_tokenizer_of(source, config, tokenizer)
    _require_safetensors(source, folder)
    name, settings, has_head = _checkpoint_settings(kind, config, folder)
    options = _head_options(source, options, settings, has_head, replace_head)
    # The model the options ask for is built first, so that an option the checkpoint fixes is refused
    # before anything is converted.
    model = build_for_checkpoint(name, settings, options) if options or replace_head else None
    base = _cached_conversion(folder, name) if hub.is_hub_source(source) else from_hugging_face(folder)
    if model is None:
        return base
    # The options' model takes each weight of the checkpoint's own conversion by its path: the same layer
    # names, a fresh head or a shorter position table (and the checkpoint's head dropped on request).
    checkpoint = Checkpoint({v.path: v.numpy() for v in base.weights}, str(source), has_head=has_head)
    if has_head and (replace_head or not options.get("include_top", True)):
        checkpoint.has_head = False
        checkpoint.taken.update(path for path in checkpoint.arrays if path.startswith(f"{names.HEAD}/"))
    transplant(model, checkpoint, lambda path: path, max_length=options.get("max_length"))
    return model


def zoo_model_of(source) -> str:
    """The zoo model `source` converts to (gpt, transformer_classifier), from its config.json alone: a Hub
    source downloads nothing else. Raises as `from_pretrained` does for a model_type kerazoo lacks."""
    return _zoo_model(source, hub.read_config(hub.resolve(source, files=("config.json",)), source))


def _zoo_model(source, config: dict) -> str:
    kind = config.get("model_type")
    if kind not in HUGGING_FACE:
        has = ", ".join(f"{key} (as {value})" for key, value in sorted(HUGGING_FACE_TARGETS.items()))
        raise ValueError(f"{source} is a {kind!r} checkpoint (config.json's model_type); kerazoo has {has}.")
    return HUGGING_FACE_TARGETS[kind]


# config.json's special token ids, and the Tokenizer attributes that hold the same roles.
_SPECIAL_IDS = {"pad_token_id": "pad_id", "bos_token_id": "start_id", "eos_token_id": "end_id"}


def _require_tokenizer_of(source, config: dict, tokenizer) -> None:
    """A tokenizer whose ids are the checkpoint's: as many tokens as its table (which may be rounded up to
    a multiple of 64, as nanoGPT's 50304 rows hold GPT-2's 50257 tokens), and the same special ids where
    config.json and the tokenizer both name them."""
    if not all(hasattr(tokenizer, name) for name in ("vocab_size", *_SPECIAL_IDS.values())):
        raise TypeError(f"`tokenizer` must be a kerazoo.text.Tokenizer. Received: {type(tokenizer).__name__}")
    rows, size = config.get("vocab_size"), tokenizer.vocab_size
    load = f"load the tokenizer of the same source: text.Tokenizer.load({str(source)!r})"
    if isinstance(rows, int) and not (size == rows or (rows % 64 == 0 and 0 < rows - size < 64)):
        raise ValueError(
            f"`tokenizer` is not {source}'s: it has {size} tokens, and the checkpoint's token table has {rows} "
            f"rows (config.json's vocab_size), so its ids would mean other tokens; {load}."
        )
    for key, attribute in _SPECIAL_IDS.items():
        theirs, ours = config.get(key), getattr(tokenizer, attribute)
        if isinstance(theirs, int) and ours is not None and theirs != ours:
            raise ValueError(
                f"`tokenizer` is not {source}'s: its {attribute} is {ours}, and config.json's {key} is {theirs}; "
                f"{load}."
            )


def _require_safetensors(source, folder: Path) -> None:
    if (folder / "model.safetensors").is_file() or (folder / "model.safetensors.index.json").is_file():
        return
    pickles = hub.pickled_weights(source, folder)
    holds = f"holds only {', '.join(pickles)}" if pickles else "has no model.safetensors"
    raise ValueError(
        f"{source} {holds}. kerazoo reads safetensors weights only and never unpickles a checkpoint (loading "
        "a pickle can run any code): use a revision or copy of the checkpoint with model.safetensors (the "
        "Hub's safetensors conversion opens one as a pull request; transformers writes one with "
        "save_pretrained(folder, safe_serialization=True))."
    )


def _checkpoint_settings(kind: str, config: dict, folder: Path) -> tuple[str, dict, bool]:
    """(zoo model, the builder arguments the checkpoint fixes, whether it has a classifier head), from
    config.json and the safetensors headers: no tensor is read."""
    safetensors = require("safetensors", "Reading Hugging Face checkpoints")
    index = folder / "model.safetensors.index.json"
    files = (
        sorted({folder / shard for shard in json.loads(index.read_text())["weight_map"].values()})
        if index.is_file()
        else [folder / "model.safetensors"]
    )
    shapes = {}
    for path in files:
        try:
            with safetensors.safe_open(str(path), framework="numpy") as tensors:
                shapes.update({key: tensors.get_slice(key).get_shape() for key in tensors.keys()})  # noqa: SIM118
        except (safetensors.SafetensorError, OSError, ValueError) as error:
            raise ValueError(f"{str(path)!r} is not a readable safetensors file ({error})") from None
    # The converter's own reading of the checkpoint, on arrays of the right shapes that take no memory.
    placeholders = {key: np.broadcast_to(np.float32(0), shape) for key, shape in shapes.items()}
    name, settings, _, checkpoint = HUGGING_FACE[kind](config, placeholders, str(folder))
    return name, settings, checkpoint.has_head


def _head_options(source, options: dict, settings: dict, has_head: bool, replace_head: bool) -> dict:
    """`options` with what a head request implies; a head the checkpoint has is only replaced on request."""
    options = dict(options)
    if replace_head and not has_head:
        raise ValueError(
            f"replace_head=True, but {source} has no classifier head to replace; `num_classes` alone adds one."
        )
    if "num_classes" in options:
        options.setdefault("include_top", True)
    theirs = settings.get("num_classes")
    if has_head and not replace_head and options.get("num_classes", theirs) != theirs:
        raise ValueError(
            f"{source} has its own {theirs}-class head; num_classes={options['num_classes']} would throw it "
            "away: pass replace_head=True to start a fresh head in its place."
        )
    return options


def _cached_conversion(folder: Path, name: str):
    """The checkpoint as converted before, from the `.keras` file beside the download; else converted now
    and that file written (atomically: a conversion killed at any point leaves no file to trust)."""
    policy = keras.config.dtype_policy().name
    cached = folder / f"kerazoo-{__version__}" / f"{name}{'' if policy == 'float32' else '-' + policy}.keras"
    if cached.is_file():
        try:
            return keras.saving.load_model(cached, compile=False)
        except Exception as error:  # unreadable (another Keras, a damaged disk): the exact conversion is the fallback
            logger.warning("Converting again: the cached conversion %s does not load (%s)", cached, error)
    model = from_hugging_face(folder)
    try:
        with atomic_path(cached) as temporary:
            model.save(temporary)
    except OSError as error:  # a read-only cache: the next call converts again
        logger.warning("The conversion is not cached (%s): the next call converts again", error)
    return model
