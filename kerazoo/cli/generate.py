"""`kerazoo generate`: a trained or converted model continues a prompt, as text."""

from __future__ import annotations

import sys
from pathlib import Path

from kerazoo.cli._common import UsageError

# What a run folder holds, named by the job that writes it (light: `kerazoo train` imports it at start-up too).
from kerazoo.training.job import KERAS_MODEL_FILE, TOKENIZER_FILE, VOCABULARY_FILE

# Escapes read in --stop, so that a shell can pass a blank line as "\n\n".
_ESCAPES = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\\\": "\\"}


def _generate_command(args) -> int:
    from kerazoo.models.generation import generate, generate_stream  # imports Keras

    model, tokenizer = _load(args.model, args.tokenizer)
    sampled = args.top_k is not None or args.top_p is not None
    options = {
        "temperature": args.temperature if args.temperature is not None else 1.0 if sampled else 0.0,
        "top_k": args.top_k,
        "top_p": args.top_p,
        "stop": [_unescaped(stop) for stop in args.stop] or None,
        "seed": args.seed,
    }
    if sys.stdout.isatty():  # a person is reading: show each token as it comes
        for piece in generate_stream(model, args.prompt, args.max_new_tokens, tokenizer=tokenizer, **options):
            print(piece, end="", flush=True)
        print()
    else:
        print(generate(model, args.prompt, args.max_new_tokens, tokenizer=tokenizer, **options))
    return 0


def _load(source: str, tokenizer_path: str | None):
    """The model, and its tokenizer: `--tokenizer` where given, else the one saved beside the model (a run's
    tokenizer.json, or a checkpoint folder's own vocabulary files)."""
    import keras

    from kerazoo.text import Tokenizer

    path = Path(source)
    checkpoint = source.startswith("hf:") or (path.is_dir() and not (path / KERAS_MODEL_FILE).is_file())
    if checkpoint:  # hf:ORG/NAME or a folder: its own tokenizer, checked against it, then the conversion
        from kerazoo.models import from_pretrained

        tokenizer = Tokenizer.load(tokenizer_path if tokenizer_path is not None else source)
        return from_pretrained(source, tokenizer=tokenizer), tokenizer
    if path.is_dir() or path.suffix == ".keras":
        file = path / KERAS_MODEL_FILE if path.is_dir() else path
        if not file.is_file():
            raise FileNotFoundError(f"MODEL: no such .keras file: {file}")
        model = keras.saving.load_model(file, compile=False)
        path = file.parent
    else:
        raise UsageError(
            f"MODEL must be a run folder (with {KERAS_MODEL_FILE}), a .keras file, a checkpoint folder or "
            f"hf:ORG/NAME. Received: {source!r}"
        )
    if tokenizer_path is not None:
        return model, Tokenizer.load(tokenizer_path)
    if (path / TOKENIZER_FILE).is_file():
        return model, Tokenizer.load(path / TOKENIZER_FILE)
    if (path / VOCABULARY_FILE).is_file():
        raise UsageError(
            f"{path} reads words ({VOCABULARY_FILE}), and kerazoo generate reads subword tokenizers: train with "
            "--tokenizer bpe:N (or wordpiece:N, unigram:N), or give --tokenizer PATH"
        )
    raise UsageError(f"no {TOKENIZER_FILE} beside {source}: give --tokenizer PATH (a tokenizer.json or a folder)")


def _unescaped(text: str) -> str:
    for escape, character in _ESCAPES.items():
        text = text.replace(escape, character)
    return text


def add_commands(commands) -> None:
    command = commands.add_parser(
        "generate",
        help="continue a prompt with a language or seq2seq model",
        description="Loads MODEL (a run folder from kerazoo train, whose tokenizer.json is beside its model.keras; "
        "a .keras file; a checkpoint folder or hf:ORG/NAME, converted as kerazoo convert does) and prints the "
        "continuation of PROMPT, token by token where the output is a terminal. For seq2seq models PROMPT is "
        "the source and what is printed its target. Greedy unless --temperature, --top-k or --top-p is given "
        "(the last two sample at temperature 1 unless --temperature says otherwise).",
        epilog='example: kerazoo generate runs/gpt "The history of" --max-new-tokens 40 --top-p 0.9 --stop "\\n\\n"',
    )
    command.add_argument(
        "model", metavar="MODEL", help="a run folder, a .keras file, a checkpoint folder or hf:ORG/NAME"
    )
    command.add_argument("prompt", metavar="PROMPT", help="the text to continue")
    command.add_argument("--tokenizer", help="a tokenizer.json or a folder of vocabulary files (default: MODEL's own)")
    command.add_argument("--max-new-tokens", type=int, default=50, help="the most tokens to add (default: 50)")
    command.add_argument("--temperature", type=float, help="0 is greedy; above 0 samples (default: 0)")
    command.add_argument("--top-k", type=int, help="sample among the K most likely tokens")
    command.add_argument("--top-p", type=float, help="sample among the most likely tokens that make up P (0 < P <= 1)")
    command.add_argument(
        "--stop",
        action="append",
        default=[],
        metavar="TEXT",
        help=r"end the text before TEXT (\n reads as a new line; repeat for several)",
    )
    command.add_argument("--seed", type=int, help="the same seed, prompt and options give the same text")
    command.set_defaults(run=_generate_command, needs_keras=True)
