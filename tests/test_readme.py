"""README.md's code blocks work as a new user pastes them: every shell command and every Python snippet.

The default suite checks the cheap things: every snippet compiles and uses no name it does not define, every
shell command is either a `kerazoo` command that parses or one with a stated reason not to run here, and the
commands that read and write nothing (`kerazoo models`, `kerazoo summary`) run. The slow pass runs the rest:
each `kerazoo` command as a subprocess of the virtual environment's console script, in a temporary folder,
after the earlier commands of its README block that wrote what it reads; each Python snippet in a fresh
process. Where the README shows a long run, smaller settings are appended (argparse keeps an option's last
value, `--set` its last value for a key); where a snippet reads files only a user has, the lines that read
them are listed with the reason they do not run here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
KERAZOO = Path(sys.executable).parent / "kerazoo"  # the console script `pip install` made
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}


@dataclass(frozen=True)
class Block:
    language: str
    line: int  # of the opening fence, 1-based
    text: str


def _blocks(language: str) -> list[Block]:
    blocks, lines = [], README.read_text(encoding="utf8").splitlines()
    fence = None
    for number, line in enumerate(lines, 1):
        if fence is None and line.startswith("```"):
            fence, body = (line[3:].strip(), number), []
        elif fence is not None and line.startswith("```"):
            if fence[0] == language:
                blocks.append(Block(language, fence[1], "\n".join(body) + "\n"))
            fence = None
        elif fence is not None:
            body.append(line)
    return blocks


def _commands(block: Block) -> list[tuple[str, ...]]:
    """The block's commands as the shell reads them: continued lines joined, comments dropped, `a && b` split."""
    commands = []
    for line in block.text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        while words:
            end = words.index("&&") if "&&" in words else len(words)
            commands.append(tuple(words[:end]))
            words = words[end + 1 :]
    return commands


def _typed(command: tuple[str, ...]) -> str:
    return " ".join(command)


# Command prefix -> why the test does not run it. Anything else must be a `kerazoo` command, which runs.
NOT_RUN = {
    "python -m venv": "makes the virtual environment these tests run in",
    ". .venv/bin/activate": "activates the virtual environment these tests run in",
    "pip install": "installs packages: CI installs the README's way (.ci/run runs its second block as written)",
    "ruff ": "the lint step of the README's second block, which .ci/run runs as written",
    "python -m pytest": "the test suite these tests are part of",
    "kerazoo train resnet18 --data tfds:cifar10": "needs cifar10 prepared in ~/tensorflow_datasets (a download); "
    "tests/training/test_train.py trains on tfds:mnist through tfds.testing.mock_data instead",
    "kerazoo launch --processes 2 -- python train.py": "starts the user's own train.py; tests/test_examples.py "
    "launches examples/distributed_training.py the same way",
    "gcloud ": "needs a Cloud TPU pod",
    "python train.py": "the user's own training script",
    "TF_CONFIG=": "names other hosts: a multi-host example (tests/distribute runs TF_CONFIG jobs on one machine)",
    "python examples/bert_classify.py": "downloads bert-base-uncased (440 MB) from the Hub; tests/test_examples.py "
    "runs it against a local Hub serving a tiny checkpoint",
    "python examples/gpt_story.py": "downloads GPT-2 (550 MB) from the Hub; tests/test_examples.py runs it against "
    "a local Hub serving a tiny checkpoint",
    "kerazoo train transformer_classifier --from hf:": "downloads BERT (440 MB) from the Hub; "
    "tests/training/test_fine_tune.py runs --from, --freeze-backbone, --unfreeze-after and --lora-rank on a tiny "
    "BERT checkpoint folder",
    "kerazoo train gpt --from hf:": "downloads GPT-2 (550 MB) from the Hub; tests/training/test_fine_tune.py "
    "continues a tiny GPT-2 checkpoint's pre-training on lee",
    "kerazoo train resnet50 --weights imagenet": "downloads keras.applications' ResNet-50 weights (100 MB); "
    "tests/training/test_fine_tune.py starts a ResNet-50 from a random file of that kind in the Keras cache",
    "python -m benchmarks": "the suites take 15 minutes or a GPU; tests/test_benchmarks.py runs each at --quick "
    "in the slow pass",
}
# Commands that read and write nothing: they run in the default suite, in-process.
READ_ONLY = ("kerazoo models", "kerazoo summary")
# Command prefix -> options appended so that the run takes seconds, not the README's minutes.
TINY_TRANSFORMER = ("--set", "dim=16", "--set", "num_heads=2", "--set", "ffn_dim=32", "--set", "num_layers=1")
SMALLER = {
    "kerazoo train resnet18": ("--epochs", "1", "--set", "width=8"),
    "kerazoo train lstm_classifier": ("--epochs", "1", "--set", "units=8"),
    # The vocabulary makes the logits the cost: a smaller tokenizer, and fewer, larger steps.
    "kerazoo train gpt": ("--epochs", "1", *TINY_TRANSFORMER, "--tokenizer", "bpe:300", "--batch-size", "256"),
    "kerazoo generate runs/gpt": ("--max-new-tokens", "5"),
    "kerazoo train transformer_seq2seq": ("--epochs", "1", *TINY_TRANSFORMER),
    "kerazoo train bilstm_attention_classifier": ("--epochs", "1", "--set", "units=8"),
    "kerazoo train lenet5 --data photos/": ("--epochs", "1", "--batch-size", "4"),
}


def _write_photos(folder: Path) -> None:
    """photos/<class>/*.jpg, as a user's own pictures would be: two classes of random 48x40 JPEGs."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (folder / "photos" / label).mkdir(parents=True)
        for index in range(12):
            pixels = rng.integers(0, 256, size=(48, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / "photos" / label / f"{index}.jpg")


# Command prefix -> the user's data it reads, which the test makes in the command's folder first.
USERS_DATA = {"kerazoo train lenet5 --data photos/": _write_photos}


def _matching(table: dict, command: tuple[str, ...]):
    return next((value for prefix, value in table.items() if _typed(command).startswith(prefix)), None)


SHELL = [(block, command) for block in _blocks("bash") for command in _commands(block)]
KERAZOO_COMMANDS = [(block, command) for block, command in SHELL if command[0] == "kerazoo"]
RUN = [(block, command) for block, command in KERAZOO_COMMANDS if _matching(NOT_RUN, command) is None]
READ_ONLY_RUNS = [(block, command) for block, command in RUN if _typed(command).startswith(READ_ONLY)]
SLOW_RUNS = [pair for pair in RUN if pair not in READ_ONLY_RUNS]


def _id(command: tuple[str, ...]) -> str:
    return re.sub(r"[^\w.=:/*-]+", "_", _typed(command))[:90]


def test_the_readme_has_code_to_check():
    assert len(_blocks("bash")) >= 5 and len(_blocks("python")) >= 8 and len(RUN) >= 10


def test_every_shell_command_is_a_kerazoo_command_or_has_a_stated_reason_not_to_run():
    unexplained = [_typed(c) for _, c in SHELL if c[0] != "kerazoo" and _matching(NOT_RUN, c) is None]
    assert not unexplained, "run these, or say in NOT_RUN why they cannot run here"


@pytest.mark.parametrize(
    "table",
    [NOT_RUN, SMALLER, USERS_DATA, dict.fromkeys(READ_ONLY)],
    ids=["NOT_RUN", "SMALLER", "USERS_DATA", "READ_ONLY"],
)
def test_every_exception_this_test_makes_still_matches_a_readme_command(table):
    stale = [prefix for prefix in table if not any(_typed(command).startswith(prefix) for _, command in SHELL)]
    assert not stale


@pytest.mark.parametrize(("block", "command"), KERAZOO_COMMANDS, ids=[_id(c) for _, c in KERAZOO_COMMANDS])
def test_kerazoo_command_parses(block, command, capsys):
    from kerazoo import cli

    try:
        cli._parser().parse_args(list(command[1:]))
    except SystemExit:
        pytest.fail(f"README.md line {block.line}: {_typed(command)}\n{capsys.readouterr().err}")


@pytest.mark.parametrize(("block", "command"), READ_ONLY_RUNS, ids=[_id(c) for _, c in READ_ONLY_RUNS])
def test_read_only_kerazoo_command_runs(block, command, capsys):
    from kerazoo import cli

    status = cli.main(list(command[1:]))
    assert status == 0, f"README.md line {block.line}: {_typed(command)}\n{capsys.readouterr().err}"


def test_no_two_kerazoo_train_commands_share_a_run_folder():
    # A run folder belongs to one configuration: a second, different run there is refused.
    folders = {}
    for _, command in KERAZOO_COMMANDS:
        if command[1] == "train" and "--config" not in command:
            folders.setdefault(_writes(command), set()).add(command)
    assert not {folder: commands for folder, commands in folders.items() if len(commands) > 1}


def _writes(command: tuple[str, ...]) -> str | None:
    """The run folder a `kerazoo train` or `kerazoo word2vec train` command writes."""
    if "--output" in command:
        return command[command.index("--output") + 1]
    if command[1] == "train" and len(command) > 2 and not command[2].startswith("-"):
        return f"runs/{command[2]}"
    return None


def _with_prerequisites(block: Block, command: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The earlier commands of the block that wrote what `command` reads (and theirs), in order, then it."""
    commands = _commands(block)
    needed, position = [], commands.index(command)
    for argument in command[2:]:
        writers = [i for i, earlier in enumerate(commands[:position]) if _reads(argument, _writes(earlier))]
        if writers:
            needed += _with_prerequisites(block, commands[writers[-1]])
    return [*dict.fromkeys(needed), command]


def _reads(argument: str, written: str | None) -> bool:
    return written is not None and (argument == written or argument.startswith(written + "/"))


@pytest.mark.slow
@pytest.mark.parametrize(("block", "command"), SLOW_RUNS, ids=[_id(c) for _, c in SLOW_RUNS])
def test_kerazoo_command_runs(block, command, tmp_path):
    for step in _with_prerequisites(block, command):
        if (make := _matching(USERS_DATA, step)) is not None:
            make(tmp_path)
        argv = [str(KERAZOO), *step[1:], *(_matching(SMALLER, step) or ())]
        run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=600)
        assert run.returncode == 0, f"README.md line {block.line}: {_typed(step)}\n{run.stderr[-3000:]}"


# Python snippets. A line (stripped) -> what runs instead, and why.
SNIPPET_LINES = {
    "import keras_hub  # pip install keras-hub; only from_keras_hub needs it": (
        "pass",
        "keras-hub is optional; tests/models/test_convert.py converts keras-hub models where it is installed",
    ),
    'gpt2 = convert.from_keras_hub(keras_hub.models.GPT2Backbone.from_preset("gpt2_base_en"))  # or a preset folder': (
        "pass",
        "from_preset downloads the preset",
    ),
    'resnet = convert.from_keras_applications("~/.keras/models/resnet50_weights_tf_dim_ordering_tf_kernels.h5")': (
        "pass",
        "needs keras.applications' ResNet-50 weights file (a 100 MB download); test_convert.py converts such files",
    ),
    'bert = convert.from_hugging_face("path/to/bert-base-uncased")  # config.json + model.safetensors': (
        "pass",
        "needs a BERT checkpoint; tests/models/test_convert.py converts ones that transformers writes",
    ),
    'model = models.build("resnet18", input_shape=(32, 32, 1), classes=10)': (
        'model = models.build("resnet18", input_shape=(32, 32, 1), classes=10, width=8)',
        "a full-width ResNet-18 for 10 epochs takes minutes on 2 cores",
    ),
    "training.fit(model, x, y, batch_size=dist.global_batch_size(32), epochs=10, distribution=dist, "
    'checkpoint_dir="ckpt")': (
        "training.fit(model, x, y, batch_size=dist.global_batch_size(32), epochs=1, distribution=dist, "
        'checkpoint_dir="ckpt")',
        "one epoch shows it trains",
    ),
}


def _tiny_gpt2(folder: Path, request) -> None:
    """path/to/gpt2: a Hugging Face GPT-2 checkpoint (config.json + model.safetensors), tiny, written by hand."""
    request.getfixturevalue("gpt2_checkpoint").write(folder / "path" / "to" / "gpt2")


def _gpt_run(folder: Path, request) -> None:
    """runs/gpt: what the README's `kerazoo train gpt` writes; a tiny GPT on the default data (lee) here."""
    tiny = ["--epochs", "1", *TINY_TRANSFORMER, "--tokenizer", "bpe:300", "--batch-size", "256"]
    argv = [str(KERAZOO), "train", "gpt", *tiny, "--output", "runs/gpt"]
    run = subprocess.run(argv, cwd=folder, capture_output=True, text=True, env=ENV, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]


# A path a snippet reads -> what makes it in the snippet's folder first.
SNIPPET_FILES = {'"path/to/gpt2"': _tiny_gpt2, '"runs/gpt/model.keras"': _gpt_run}
SNIPPETS = _blocks("python")


def _snippet_id(block: Block) -> str:
    return f"line{block.line}"


def _as_run(block: Block) -> str:
    lines = []
    for line in block.text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        replacement = SNIPPET_LINES.get(line.strip())
        lines.append(line if replacement is None else indent + replacement[0])
    return "\n".join(lines) + "\n"


def test_every_snippet_line_the_test_changes_is_still_in_the_readme():
    lines = {line.strip() for block in SNIPPETS for line in block.text.splitlines()}
    assert not set(SNIPPET_LINES) - lines
    assert all(any(path in block.text for block in SNIPPETS) for path in SNIPPET_FILES)


@pytest.mark.parametrize("block", SNIPPETS, ids=_snippet_id)
def test_snippet_compiles_and_defines_every_name_it_uses(block):
    compile(block.text, f"README.md:{block.line}", "exec")
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F821", "--output-format", "concise"]
    lint = subprocess.run(
        [*ruff, "--stdin-filename", "snippet.py", "-"], input=block.text, capture_output=True, text=True
    )
    assert lint.returncode == 0, f"README.md line {block.line}:\n{lint.stdout}{lint.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("block", SNIPPETS, ids=_snippet_id)
def test_snippet_runs(block, tmp_path, request):
    for path, make in SNIPPET_FILES.items():
        if path in block.text:
            make(tmp_path, request)
    script = tmp_path / "snippet.py"
    script.write_text(_as_run(block), encoding="utf8")
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=600
    )
    assert run.returncode == 0, f"README.md line {block.line}:\n{run.stderr[-3000:]}"
