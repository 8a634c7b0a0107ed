"""Every notebook in notebooks/ runs top to bottom on CPU (where "auto" finds no TPU and says so)."""

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks_to_run():
    assert NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_on_cpu_and_its_outputs_are_stripped_in_git(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    monkeypatch.chdir(tmp_path)  # the notebook writes its runs/ here
    # Raises CellExecutionError, with the cell and its traceback, when any cell fails.
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    assert all(cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")
