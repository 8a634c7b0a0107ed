"""Language models in `kerazoo train`: a subword tokenizer trained with the run, saved with it, read back on
resume, and scores that compare across tokenizers (perplexity per token and per word, bits per character)."""

import json
import math
import shutil
import types

import keras
import numpy as np
import pytest

from kerazoo import cli, data, training
from kerazoo.text import Tokenizer

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")
TINY_GPT = ["gpt", "--batch-size", "128", "--set", "dim=16", "--set", "num_heads=2", "--set", "ffn_dim=32"]
TINY_GPT += ["--set", "num_layers=1", "--set", "max_length=16"]
SCORES = ("perplexity", "word_perplexity", "bits_per_character")


@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory):
    """One epoch of a tiny GPT on lee with the default tokenizer, and what `kerazoo train` printed last."""
    folder = tmp_path_factory.mktemp("gpt") / "run"
    with pytest.MonkeyPatch.context() as patch:
        printed = []
        patch.setattr("builtins.print", lambda *args, **kwargs: printed.append(" ".join(map(str, args))))
        assert cli.main(["train", *TINY_GPT, "--epochs", "1", "--output", str(folder)]) == 0
    return folder, printed[-1]


def test_a_language_model_trains_on_byte_level_bpe_by_default_and_saves_it_with_the_run(gpt_run):
    folder, _ = gpt_run
    assert json.loads((folder / "config.json").read_text())["tokenizer"] == "bpe:4000"
    tokenizer = Tokenizer.load(folder / "tokenizer.json")
    assert type(tokenizer.backend.model).__name__ == "BPE" and tokenizer.unk_id is None  # byte-level: no [UNK]
    model = keras.saving.load_model(folder / "model.keras")
    assert model.output_shape[-1] == tokenizer.vocab_size and not (folder / "vocabulary.txt").exists()


def test_perplexity_per_token_per_word_and_bits_per_character_are_written_and_printed(gpt_run):
    folder, printed = gpt_run
    test = json.loads((folder / "metrics.json").read_text())["test"]
    assert printed == "test " + ", ".join(f"{name}: {value:.4f}" for name, value in test.items())
    # Keras's loss averages batch means and the last window is padded: near the exact per-token mean.
    assert test["perplexity"] == pytest.approx(math.exp(test["loss"]), rel=1e-3)
    # The same total log-likelihood over the same text: per word and per character agree with each other.
    size = data.load("lee", task="language-modeling", tokenizer=str(folder / "tokenizer.json"), sequence_length=16)
    size = size.text_sizes["test"]
    total = math.log(test["word_perplexity"]) * size["words"]
    assert test["bits_per_character"] == pytest.approx(total / (math.log(2) * size["characters"]), rel=1e-6)
    # BPE makes more tokens than words, so a word costs more than a token.
    assert test["word_perplexity"] > test["perplexity"] > 1


@pytest.mark.slow
def test_a_resumed_run_reads_its_tokenizer_back_rather_than_training_another(gpt_run, tmp_path, monkeypatch):
    folder = tmp_path / "run"
    shutil.copytree(gpt_run[0], folder)
    saved = (folder / "tokenizer.json").read_bytes()

    def no_training(*args, **kwargs):
        raise AssertionError("a resumed run trained a tokenizer")

    monkeypatch.setattr(Tokenizer, "train", no_training)
    assert cli.main(["train", *TINY_GPT, "--epochs", "2", "--output", str(folder)]) == 0
    assert (folder / "tokenizer.json").read_bytes() == saved
    assert len(json.loads((folder / "metrics.json").read_text())["history"]["loss"]) == 2


def test_scores_divide_one_total_log_likelihood_by_tokens_words_and_characters():
    vocab_size = 16
    # Zero logits everywhere: every token has probability 1/16.
    uniform = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(16, 16, "zeros")])
    y = np.array([[3, 4, 5, 6], [7, 8, 0, 0]])  # 6 targets; the padding (0) is not scored
    split = [(np.ones_like(y), y)]
    fake = types.SimpleNamespace(
        task="language-modeling", test=split, text_sizes={"test": {"words": 3, "characters": 20}}, padding_id=0
    )
    scores = training.language_model_scores(uniform, fake)
    total = 6 * math.log(vocab_size)  # every target costs ln 16 under uniform logits
    assert scores["perplexity"] == pytest.approx(vocab_size)
    assert scores["word_perplexity"] == pytest.approx(math.exp(total / 3))
    assert scores["bits_per_character"] == pytest.approx(total / (math.log(2) * 20))


def test_scores_need_language_modeling_data():
    fake = types.SimpleNamespace(task="text-classification", test=[], text_sizes=None)
    with pytest.raises(ValueError, match="`data` must be language-modeling data"):
        training.language_model_scores(keras.Sequential(), fake)
