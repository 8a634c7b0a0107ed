import json
import subprocess
import sys
from importlib import metadata

import kerazoo
from kerazoo import cli


def _run_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def test_importing_kerazoo_loads_no_optional_library_beyond_what_keras_loads():
    # Keras 3.15 itself imports scikit-learn and matplotlib when they are installed; kerazoo adds none.
    optional = ("gensim", "tensorflow_datasets", "sklearn", "matplotlib", "smart_open", "tensorflow", "jax")
    report = (
        "import json, sys\n"
        "import keras\n"
        f"before = {{m for m in {optional!r} if m in sys.modules}}\n"
        "import kerazoo, kerazoo.blocks, kerazoo.layers, kerazoo.testing, kerazoo.distribute, kerazoo.training\n"
        f"after = {{m for m in {optional!r} if m in sys.modules}}\n"
        "print(json.dumps({'added': sorted(after - before), 'gensim': 'gensim' in sys.modules,"
        " 'tfds': 'tensorflow_datasets' in sys.modules}))"
    )
    loaded = json.loads(_run_python(report))
    assert loaded == {"added": [], "gensim": False, "tfds": False}


def test_installing_kerazoo_never_pulls_tensorflow_unless_an_extra_asks_for_it():
    # Colab, TPU VMs and GPU images ship their own TensorFlow build; a second one would overwrite it.
    requirements = metadata.requires("kerazoo")
    tensorflow = [r for r in requirements if r.split(";")[0].strip().lower().startswith(("tensorflow", "tf-"))]
    assert tensorflow, "the tensorflow extras should still be declared"
    assert all("extra ==" in requirement for requirement in tensorflow), tensorflow


def test_the_package_version_is_the_installed_distribution_version():
    assert metadata.version("kerazoo") == kerazoo.__version__


def test_cli_env_reports_keras_and_its_backend(capsys):
    import keras

    assert cli.main(["env"]) == 0
    out = capsys.readouterr().out
    assert keras.version() in out and keras.backend.backend() in out
