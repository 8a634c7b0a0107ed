"""The command line starts fast and quiet, and speaks in its own terms: --help without Keras, no TensorFlow log
lines, --debug anywhere, options named as typed, a missing package named with its install line."""

import subprocess
import sys
from pathlib import Path

import pytest

from kerazoo import cli

KERAZOO = str(Path(sys.executable).with_name("kerazoo"))
HEAVY = ("keras", "tensorflow", "jax", "gensim", "torch")


def _modules_after(code: str) -> list[str]:
    report = f"import sys\n{code}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", report], check=True, capture_output=True, text=True).stdout
    return output.strip().splitlines()[-1]


@pytest.mark.parametrize("command", [[], ["train"], ["word2vec", "train"], ["export"], ["launch"], ["summary"]])
def test_help_imports_no_framework(command):
    code = f"from kerazoo import cli\ntry:\n    cli.main({[*command, '--help']!r})\nexcept SystemExit:\n    pass"
    assert _modules_after(code) == "[]"


def test_import_kerazoo_imports_no_framework_until_used():
    assert _modules_after("import kerazoo") == "[]"


def test_import_kerazoo_registers_its_layers_once_keras_is_imported():
    code = "import kerazoo, keras\nprint(keras.saving.get_registered_object('kerazoo>PositionEmbedding').__name__)"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert output.strip() == "PositionEmbedding"


def test_word2vec_training_runs_on_gensim_alone(tmp_path):
    arguments = ["word2vec", "train", "--output", str(tmp_path), "--vector-size", "8", "--epochs", "1"]
    assert _modules_after(f"from kerazoo import cli\ncli.main({arguments!r})").endswith("['gensim']")


def test_a_command_prints_no_tensorflow_start_up_lines():
    run = subprocess.run([KERAZOO, "models", "lenet5"], capture_output=True, text=True, check=True)
    assert run.stderr == ""


def test_debug_after_the_command_shows_the_traceback():
    with pytest.raises(ValueError, match="Unknown model name 'resnet19'"):
        cli.main(["summary", "resnet19", "--debug"])


def test_a_builder_setting_is_named_as_typed(capsys):
    assert cli.main(["summary", "gpt", "--set", "num_layers=2", "--set", "dim=128"]) == 2
    error = capsys.readouterr().err
    assert "`--set num_heads` must divide `--set dim`" in error and "num_heads=12, --set dim=128" in error


def test_an_unknown_strategy_is_refused_naming_the_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "lenet5", "--strategy", "mirored"])
    assert exit_.value.code == 2 and "argument --strategy: invalid choice: 'mirored'" in capsys.readouterr().err


def test_a_missing_optional_package_is_one_line_with_its_install_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # an import of it now fails as if it were absent
    model = str(tmp_path / "model.keras")
    assert cli.main(["export", model, "--format", "onnx", "--output", str(tmp_path / "model.onnx")]) == 2
    error = capsys.readouterr().err
    assert 'ONNX export needs tf2onnx: pip install "kerazoo[export]".' in error and len(error.splitlines()) == 1
