"""`kerazoo train NAME`: the main job, on the library's `kerazoo.training.train`."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from kerazoo.cli._common import Interrupted, UsageError, parse_settings
from kerazoo.data import default_dataset
from kerazoo.distribute.scope import KINDS, PRECISIONS
from kerazoo.training.job import train as train_job

OPTIONS = (
    "data",
    "epochs",
    "batch_size",
    "learning_rate",
    "schedule",
    "strategy",
    "precision",
    "embeddings",
    "tokenizer",
    "data_dir",
    "download",
    "seed",
    "pretrained",
    "weights",
    "freeze_backbone",
    "unfreeze_after",
    "lora_rank",
    "overwrite",
)
# Used when neither the command line nor --config says otherwise: the library's own defaults.
DEFAULTS = {name: inspect.signature(train_job).parameters[name].default for name in OPTIONS}


def _resolve(args) -> dict:
    """Built-in defaults, then --config's values, then what the command line states, then --set."""
    config = {}
    if args.config:
        try:
            config = json.loads(Path(args.config).read_text(encoding="utf8"))
        except (OSError, ValueError) as error:
            raise UsageError(f"--config {args.config} cannot be read as a kerazoo config.json ({error})") from None
    stated = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key) is not None}
    resolved = {**DEFAULTS, **{k: v for k, v in config.items() if k in DEFAULTS}, **stated}
    resolved["settings"] = {**config.get("settings", {}), **parse_settings(args.set)}
    name = args.name or config.get("model")
    if not name:
        raise UsageError("name a model (kerazoo models lists them), or give --config from an earlier run")
    output = args.output or f"runs/{name}"
    return {"model": name, "output": output, **resolved}


def _train_command(args) -> int:
    from kerazoo import models  # imports Keras

    config = _resolve(args)
    # The one look-up of the name (an unknown one gets the closest registered names); the job takes the info.
    info = models.info(config.pop("model"))
    dataset = config["data"] or default_dataset(info.task)
    print(f"kerazoo train: {info.name} on {dataset}, writing to {config['output']}", flush=True)
    try:
        test = train_job(info, **config)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; the same command resumes {config['output']} from its last finished epoch"
        ) from None
    print("test " + ", ".join(f"{metric}: {value:.4f}" for metric, value in test.items()))
    return 0


def add_commands(commands) -> None:
    train = commands.add_parser(
        "train",
        help="train a zoo model on a dataset, resumably",
        description="Builds NAME (kerazoo models lists them), trains it on --data and writes config.json, "
        "checkpoint/, logs/ (TensorBoard), model.keras, metrics.json, curves.png and, for text, tokenizer.json "
        "(subwords) or vocabulary.txt (words) to "
        "--output (default runs/NAME), then prints the test metrics. The same command started again after a "
        "crash, kill or Ctrl-C resumes from the last finished epoch; a folder holding another configuration's run is "
        "refused (--overwrite starts afresh there); --config OUTPUT/config.json repeats a run. With no "
        "--data each task trains on data that ships with the dependencies: image classifiers on digits, text "
        "classifiers on polarity, language models on lee, seq2seq models on the copy task.",
        epilog="examples: kerazoo train resnet18 --epochs 3 --set width=16 --output runs/resnet18; "
        "kerazoo train transformer_classifier --from hf:google-bert/bert-base-uncased --data polarity",
    )
    train.add_argument("name", nargs="?", help="a registered model, e.g. resnet18, lstm_classifier, gpt")
    train.add_argument(
        "--data",
        help="offline: digits, polarity, lee, wiki, copy; tfds:NAME[:TRAIN_SPLIT] (tensorflow-datasets; sentence "
        "pairs such as tfds:glue/mrpc too); or a "
        "folder of class sub-folders (image/text_dataset_from_directory layout), or text for language models",
    )
    train.add_argument(
        "--embeddings",
        help="a Word2Vec run (kerazoo word2vec train --output DIR): its vectors start the embedding (words only)",
    )
    train.add_argument(
        "--tokenizer",
        metavar="SPEC",
        help="text models: words | bpe:N | wordpiece:N | unigram:N (a subword tokenizer of N ids, trained on the "
        "training split and saved as tokenizer.json) | PATH (a saved tokenizer.json, vocab.txt, ...); default "
        "bpe:4000 (byte-level) for language models, words for classifiers and with --embeddings",
    )
    train.add_argument(
        "--from",
        dest="pretrained",
        metavar="SOURCE",
        help="fine-tune a checkpoint: hf:ORG/NAME[@REVISION] or a folder (a BERT for transformer_classifier, a "
        "GPT-2 for gpt); its tokenizer prepares the text, and a classifier gets a fresh head of the data's classes",
    )
    train.add_argument(
        "--weights",
        metavar="SOURCE",
        help="image models: start from pretrained weights, 'imagenet' (resnet50) or a timm checkpoint "
        "(hf:timm/resnet50.a1_in1k), with a fresh head; images are prepared as the weights expect",
    )
    train.add_argument(
        "--freeze-backbone",
        action="store_const",
        const=True,
        help="with --from or --weights: train only the classifier head",
    )
    train.add_argument(
        "--unfreeze-after",
        type=int,
        metavar="N",
        help="with --freeze-backbone: after N epochs the whole model trains, at a tenth of the learning rate",
    )
    train.add_argument(
        "--lora-rank",
        type=int,
        metavar="R",
        help="with --from or --weights: Keras's LoRA of rank R on the Dense, EinsumDense and Embedding layers; "
        "only the LoRA factors and the head train (model.keras holds them merged into the kernels)",
    )
    train.add_argument("--data-dir", help="where tensorflow-datasets keeps prepared datasets")
    train.add_argument(
        "--no-download",
        dest="download",
        action="store_const",
        const=False,
        help="use only tfds datasets already prepared in --data-dir; never download",
    )
    train.add_argument("--epochs", type=int, help=f"default {DEFAULTS['epochs']}")
    train.add_argument(
        "--batch-size", type=int, help=f"global batch, split over the replicas; default {DEFAULTS['batch_size']}"
    )
    train.add_argument(
        "--learning-rate",
        type=float,
        help=f"constant rate, or the peak of a schedule; default {DEFAULTS['learning_rate']}",
    )
    train.add_argument(
        "--schedule", help="constant (default), cosine (warm-up then cosine), transformer (inverse square root)"
    )
    train.add_argument("--strategy", choices=KINDS, help="how to spread training (distribute.scope); default auto")
    train.add_argument(
        "--precision",
        choices=[policy for policy in PRECISIONS if policy],
        help="auto: bfloat16 on TPUs and recent GPUs, float32 on CPUs; default: float32",
    )
    train.add_argument("--seed", type=int, help="seeds the weights and the data order; default 0")
    train.add_argument("--output", help="the run's folder (default runs/NAME); one configuration per folder")
    train.add_argument(
        "--overwrite",
        action="store_const",
        const=True,
        help="start afresh in --output even if it holds another run (its checkpoint and results are deleted)",
    )
    train.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a model builder argument, e.g. width=16"
    )
    train.add_argument("--config", help="a config.json written by an earlier run; options given here override it")
    train.set_defaults(run=_train_command, needs_keras=True)
