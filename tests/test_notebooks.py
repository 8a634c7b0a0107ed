"""Every notebook in notebooks/ runs top to bottom on CPU (where "auto" finds no TPU and says so).

pretrained.ipynb starts from checkpoints a user downloads (BERT and GPT-2 from the Hub, keras.applications'
ResNet-50 file): here it runs against a local Hub with tiny random checkpoints and a prepared Keras cache.
"""

import os
import re
import socket
import time
from pathlib import Path

import pytest
from hub_server import LocalHub, hub_environment
from tiny_checkpoints import write_hugging_face_checkpoint, write_imagenet_cache

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
# Notebooks that need checkpoints served to them: each has a test of its own below.
SERVED = {"pretrained"}


def test_there_are_notebooks_to_run():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_outputs_are_stripped_in_git(path):
    nbformat = pytest.importorskip("nbformat")

    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") and not cell.get("execution_count") for cell in _code(notebook))


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem not in SERVED], ids=lambda path: path.stem)
def test_notebook_runs_on_cpu_and_its_outputs_are_stripped_in_git(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    monkeypatch.chdir(tmp_path)  # the notebook writes its runs/ here
    # Raises CellExecutionError, with the cell and its traceback, when any cell fails.
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    assert all(cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")


# What the tiny checkpoints allow: their position tables hold 32 tokens (BERT's sentences and GPT-2's prompt
# plus its continuation must fit), and one epoch shows that fine-tuning runs.
PRETRAINED_SIZES = {"MAX_LENGTH": "32", "EPOCHS": "1", "MAX_NEW_TOKENS": "12"}

# Run before the notebook's own cells, in its kernel: keras.applications' published hashes belong to the
# published files, and the prepared cache holds random stand-ins with hashes of their own. The origins
# point at a port nothing answers, so a file missing from the cache fails instead of being downloaded.
IMAGENET_SETUP = """\
from kerazoo.models import imagenet

imagenet.RESNET50_FILES[True] = ({weights!r}, {weights_md5!r})
imagenet.CLASS_INDEX_HASH = {index_md5!r}
imagenet.RESNET50_ORIGIN = {offline!r}
imagenet.CLASS_INDEX_ORIGIN = {offline!r} + "imagenet_class_index.json"
"""


@pytest.mark.slow
def test_pretrained_notebook_runs_against_a_local_hub_and_a_prepared_keras_cache(tmp_path):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import nbformat

    from kerazoo.models import imagenet

    notebook = nbformat.read(Path(__file__).parents[1] / "notebooks" / "pretrained.ipynb", as_version=4)
    bert = write_hugging_face_checkpoint("bert", tmp_path / "bert")  # a BertModel, as bert-base-uncased
    gpt2 = write_hugging_face_checkpoint("gpt2", tmp_path / "gpt2")
    keras_cache = tmp_path / "keras-home" / "models"
    hashes = write_imagenet_cache(keras_cache)
    weights, _ = imagenet.RESNET50_FILES[True]
    setup = IMAGENET_SETUP.format(
        weights=weights,
        weights_md5=hashes[weights],
        index_md5=hashes["imagenet_class_index.json"],
        offline=_closed_port_url(),
    )
    notebook.cells.insert(0, nbformat.v4.new_code_cell(setup))
    work = tmp_path / "work"
    work.mkdir()

    with LocalHub() as hub:
        hub.add("tiny/bert", bert)
        hub.add("tiny/gpt2", gpt2)
        env = hub_environment(hub, tmp_path / "hf-cache", dict(os.environ))
        env.update(KERAS_HOME=str(keras_cache.parent), TF_CPP_MIN_LOG_LEVEL="3")
        env.update(KERAZOO_NOTEBOOK_BERT="hf:tiny/bert", KERAZOO_NOTEBOOK_GPT2="hf:tiny/gpt2")
        env.update({f"KERAZOO_NOTEBOOK_{key}": value for key, value in PRETRAINED_SIZES.items()})
        start = time.perf_counter()
        # Raises CellExecutionError, with the cell and its traceback, when any cell fails.
        nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute(env=env, cwd=str(work))
        seconds = time.perf_counter() - start

    assert all(cell.get("execution_count") for cell in _code(notebook))
    printed = "".join(output.get("text", "") for cell in _code(notebook) for output in cell.outputs)
    assert "held-out accuracy:" in printed and "after 1 epoch(s) of fine-tuning" in printed
    assert "'Hello, my dog is cute': " in printed
    assert "The dog ran after the cat, and then" in printed
    assert len(re.findall(r"\bclass_\d+\b", printed)) == 5  # decode_predictions' top 5, from the test class index
    assert any("image/png" in output.get("data", {}) for output in _code(notebook)[-1].outputs)
    assert (work / "runs" / "bert_polarity.png").read_bytes().startswith(b"\x89PNG")
    assert (work / "runs" / "bert_polarity.keras").is_file()
    # Both checkpoints came through huggingface_hub from the local Hub; ImageNet's files from the cache alone.
    for repo in ("bert", "gpt2"):
        assert (tmp_path / "hf-cache" / f"models--tiny--{repo}" / "snapshots").is_dir()
        assert f"/tiny/{repo}/resolve/" in " ".join(hub.served("GET"))
    assert sorted(path.name for path in keras_cache.iterdir()) == sorted(hashes)
    assert seconds < 300, f"the notebook took {seconds:.0f} s"


def _code(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _closed_port_url() -> str:
    """A URL nothing answers: the machine is offline as far as a download is concerned."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
