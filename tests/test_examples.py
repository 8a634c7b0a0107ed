"""Every script in examples/ runs with its defaults, offline, and prints its result (CI's slow pass)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hub_server import LocalHub, hub_environment

EXAMPLES = Path(__file__).parents[1] / "examples"
# What each example prints last, once it has trained and evaluated.
RESULTS = {
    "digits_cnn": "test accuracy:",
    "distributed_training": "held-out accuracy:",
    "gpt_wiki": "sampled:",
    "word2vec_polarity": "test accuracy by embedding: frozen:",
}


# The examples that start from a pretrained checkpoint (hf:bert-base-uncased, hf:gpt2 by default): CI runs
# them against the local Hub (tests/hub_server.py, reached through HF_ENDPOINT as a user's run reaches
# huggingface.co) with tiny random checkpoints and tokenizers written by transformers. What they print last,
# the checkpoint they read, and the arguments that fit it (its position table holds 32 tokens).
PRETRAINED = {
    "bert_classify": ("predicted class: ", "bert", []),
    "gpt_story": ("characters generated in", "gpt2", ["Hello, my dog is", "--max-new-tokens", "10"]),
}


def test_every_example_has_an_expected_result():
    assert sorted(path.stem for path in EXAMPLES.glob("*.py")) == sorted([*RESULTS, *PRETRAINED])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_example_runs_with_its_defaults(name, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    script = str(EXAMPLES / f"{name}.py")
    run = subprocess.run(
        [sys.executable, script, "--output", str(tmp_path)], capture_output=True, text=True, env=env, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert RESULTS[name] in run.stdout.splitlines()[-1]
    curves = sorted(tmp_path.glob("curves*.png"))
    assert curves and all(path.read_bytes().startswith(b"\x89PNG") for path in curves)
    # What a working run beats: chance on ten digit classes is 0.1; a uniform guess's perplexity is the
    # vocabulary's size. Polarity's 200 sentences move its accuracies with the seed: only their form is read.
    if name == "digits_cnn":
        assert _figures(r"test accuracy: ([\d.]+)", run.stdout)[0] > 0.9  # about 0.99 after its 15 epochs
    elif name == "distributed_training":
        assert _figures(r"held-out accuracy: ([\d.]+)", run.stdout)[0] > 0.5
    elif name == "gpt_wiki":
        figures = r"test perplexity: ([\d.]+) per token, ([\d.]+) per word, ([\d.]+) bits per character"
        perplexity, _, _ = _figures(figures, run.stdout)
        (vocabulary,) = _figures(r"\(vocabulary of (\d+) tokens\)", run.stdout)
        assert perplexity < vocabulary
        assert "[UNK]" not in run.stdout and "<unk>" not in run.stdout  # byte-level BPE has no unknown token
    else:
        _figures(r"frozen: ([\d.]+), fine-tuned: ([\d.]+), random: ([\d.]+)$", run.stdout.splitlines()[-1])


def _figures(pattern: str, text: str) -> tuple[float, ...]:
    match = re.search(pattern, text, flags=re.MULTILINE)
    assert match, f"{pattern!r} not found in:\n{text[-2000:]}"
    return tuple(float(group) for group in match.groups())


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_the_distributed_example_trains_on_two_processes_that_kerazoo_launch_starts(backend, tmp_path):
    # The README's command, which failed while the example loaded its data before joining the other process.
    pytest.importorskip(backend)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TF_CONFIG", "KERAS_DISTRIBUTION"))}
    env.update(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    launch = [sys.executable, "-m", "kerazoo.cli", "launch", "--processes", "2", "--"]
    script = [sys.executable, str(EXAMPLES / "distributed_training.py"), "--epochs", "1", "--output", str(tmp_path)]
    run = subprocess.run([*launch, *script], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "2 replica(s), process 0 of 2" in run.stdout and "2 replica(s), process 1 of 2" in run.stdout
    assert RESULTS["distributed_training"] in run.stdout.splitlines()[-1]
    assert (tmp_path / "curves.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PRETRAINED))
def test_pretrained_example_runs_against_the_local_hub(name, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    result, kind, arguments = PRETRAINED[name]
    folder = tmp_path / kind
    folder.mkdir()
    writer = Path(__file__).parent / "models" / "hugging_face_text_reference.py"
    written = subprocess.run(
        [sys.executable, str(writer), kind, str(folder)], capture_output=True, text=True, timeout=300
    )
    assert written.returncode == 0, written.stderr[-3000:]
    (folder / "reference.npz").unlink()
    with LocalHub() as hub:
        hub.add(f"tiny/{kind}", folder)
        env = hub_environment(hub, tmp_path / "hf-cache", {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        script = [sys.executable, str(EXAMPLES / f"{name}.py"), *arguments, "--model", f"hf:tiny/{kind}"]
        run = subprocess.run(script, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert result in run.stdout.splitlines()[-1]
    if name == "bert_classify":  # a BertModel, as bert-base-uncased: a fresh 2-class head, and the run says so
        assert "has no classifier head" in run.stdout
        assert _figures(r"'Hello, my dog is cute': logits \[([-\d.]+), ([-\d.]+)\] -> class", run.stdout)
    else:
        assert run.stdout.startswith("Hello, my dog is") and len(run.stdout.splitlines()[0]) > len("Hello, my dog is")
    assert (tmp_path / "hf-cache" / f"models--tiny--{kind}" / "snapshots").is_dir()  # through huggingface_hub
