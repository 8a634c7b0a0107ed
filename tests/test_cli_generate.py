"""`kerazoo generate`: a run folder's model and tokenizer continue a prompt, printed at the end or token by token."""

import io
import subprocess
import sys

import keras
import pytest

from kerazoo import cli, models
from kerazoo.text import Tokenizer

CORPUS = "the cat sat on the mat\na dog ran to the park\nthe bird sang in the tree\nmy cat and your dog\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run folder as `kerazoo train` leaves it: model.keras and tokenizer.json side by side."""
    folder = tmp_path_factory.mktemp("run")
    (folder / "corpus.txt").write_text(CORPUS, encoding="utf8")
    tokenizer = Tokenizer.train(folder / "corpus.txt", kind="wordpiece", vocab_size=40, progress=False)
    keras.utils.set_random_seed(0)
    model = models.gpt(**{**models.info("gpt").small_config, "vocab_size": tokenizer.vocab_size})
    model.save(folder / "model.keras")
    tokenizer.save(folder / "tokenizer.json")
    return folder


def expected(run, prompt: str, max_new_tokens: int, **options) -> str:
    model = keras.saving.load_model(run / "model.keras")
    tokenizer = Tokenizer.load(run / "tokenizer.json")
    return models.generate(model, prompt, max_new_tokens, tokenizer=tokenizer, **options)


def test_generate_prints_the_continuation_of_the_prompt(run, capsys):
    assert cli.main(["generate", str(run), "the cat", "--max-new-tokens", "6"]) == 0
    assert capsys.readouterr().out == expected(run, "the cat", 6) + "\n"


@pytest.mark.slow
def test_generate_streams_token_by_token_to_a_terminal(run, monkeypatch):
    class Terminal(io.StringIO):
        writes = 0

        def isatty(self):
            return True

        def write(self, text):
            self.writes += bool(text)
            return super().write(text)

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    options = ["--top-p", "0.9", "--seed", "1", "--stop", "\\n\\n"]
    assert cli.main(["generate", str(run / "model.keras"), "the cat", "--max-new-tokens", "6", *options]) == 0
    text = expected(run, "the cat", 6, temperature=1.0, top_p=0.9, seed=1, stop="\n\n")
    assert terminal.getvalue() == text + "\n"
    assert terminal.writes > 2  # pieces as they come, then the new line


def test_a_model_without_a_tokenizer_beside_it_is_refused_naming_the_option(run, tmp_path, capsys):
    (tmp_path / "model.keras").write_bytes((run / "model.keras").read_bytes())
    assert cli.main(["generate", str(tmp_path), "the cat"]) == 2
    assert "give --tokenizer PATH" in capsys.readouterr().err


def test_a_bad_option_is_refused_in_the_command_terms(run, capsys):
    assert cli.main(["generate", str(run), "the cat", "--top-p", "1.5"]) == 2
    assert "`--top-p` must be a number in (0, 1]. Received: --top-p=1.5" in capsys.readouterr().err


def test_generate_help_imports_no_framework():
    code = "import sys\nfrom kerazoo import cli\ntry:\n    cli.main(['generate', '--help'])\nexcept SystemExit:\n"
    code += (
        "    pass\nprint(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch', 'tokenizers') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert output.strip().splitlines()[-1] == "[]"
