import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath

from kerazoo.embeddings import export, load, plot_words, save, train_word2vec
from kerazoo.embeddings.persistence import _words_figure


@pytest.fixture(scope="module")
def model():
    return train_word2vec(datapath("lee_background.cor"), vector_size=8, epochs=1, workers=1, progress=False)


def test_save_then_load_gives_the_same_model(tmp_path, model):
    save(model, tmp_path / "lee.model")
    reloaded = load(tmp_path / "lee.model")
    assert isinstance(reloaded, Word2Vec)
    np.testing.assert_array_equal(reloaded.wv["government"], model.wv["government"])
    assert (reloaded.wv.index_to_key, reloaded.corpus_total_words, reloaded.phrases) == (
        model.wv.index_to_key,
        model.corpus_total_words,
        model.phrases,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lee.model"]


def test_a_crash_while_saving_keeps_the_previous_file(tmp_path, model, monkeypatch):
    path = tmp_path / "lee.model"
    save(model, path)
    before = path.read_bytes()

    def crash(self, fname, *args, **kwargs):
        with open(fname, "wb") as file:
            file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(Word2Vec, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lee.model"]


def test_loading_a_missing_model_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="No saved model at"):
        load(tmp_path / "nothing.model")


@pytest.mark.parametrize(("format", "binary"), [("word2vec", False), ("word2vec-binary", True)])
def test_word2vec_formats_load_back_in_gensim(tmp_path, model, format, binary):
    (path,) = export(model.wv, tmp_path / "vectors.bin", format=format)
    reloaded = KeyedVectors.load_word2vec_format(path, binary=binary)
    np.testing.assert_allclose(reloaded["government"], model.wv["government"], rtol=1e-5, atol=1e-6)


def test_projector_export_writes_aligned_vectors_and_words(tmp_path, model):
    vectors, metadata = export(model.wv, tmp_path / "projector", format="projector", words=["the", "government"])
    rows = [line.split("\t") for line in Path(vectors).read_text(encoding="utf8").splitlines()]
    assert Path(metadata).read_text(encoding="utf8").splitlines() == ["the", "government"]
    np.testing.assert_allclose(np.array(rows, float)[1], model.wv["government"], rtol=1e-5)


def test_export_names_bad_formats_and_unknown_words(tmp_path, model):
    with pytest.raises(ValueError, match="`format` must be one of 'word2vec', 'word2vec-binary', 'projector'"):
        export(model.wv, tmp_path / "x", format="glove")
    with pytest.raises(KeyError, match="Not in the vocabulary: 'qwertyuiop'"):
        export(model.wv, tmp_path / "p", format="projector", words=["qwertyuiop"])


def test_plot_words_writes_a_png(tmp_path, model):
    words = ["government", "minister", "police", "fire", "said", "australia"]
    path = plot_words(model.wv, words, tmp_path / "words.png")
    assert Path(path).read_bytes()[:4] == b"\x89PNG"


def _crowded_vectors(close: int = 8, apart: int = 6):
    """`close` words at nearly one point (a cluster whose labels would pile up) and `apart` words around it."""
    rng = np.random.default_rng(0)
    centre = rng.normal(size=(1, 3))
    points = np.concatenate([rng.normal(size=(apart, 3)), centre + 1e-4 * rng.normal(size=(close, 3))])
    wv = KeyedVectors(vector_size=3)
    wv.add_vectors([f"word{i}" for i in range(len(points))], points.astype("float32"))
    return wv


def test_plot_words_labels_do_not_overlap_even_for_words_at_one_point():
    from matplotlib.text import Text

    wv = _crowded_vectors()
    figure = _words_figure(wv, wv.index_to_key, title=None)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [Text.get_window_extent(label, renderer) for label in figure.axes[0].texts]  # the text, not its line
    assert [label.get_text() for label in figure.axes[0].texts] == wv.index_to_key
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert not overlaps


def test_plot_words_labels_stay_inside_the_plot():
    from matplotlib.text import Text

    wv = _crowded_vectors()
    figure = _words_figure(wv, wv.index_to_key, title=None)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    frame = figure.axes[0].get_window_extent(renderer)
    for label in figure.axes[0].texts:
        box = Text.get_window_extent(label, renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def test_plot_words_names_missing_words(tmp_path, model):
    with pytest.raises(ValueError, match="at least 3 words of the vocabulary. Missing: \\['qwertyuiop'\\]"):
        plot_words(model.wv, ["government", "police", "qwertyuiop"], tmp_path / "w.png")


def test_a_model_large_enough_for_side_files_is_saved_as_one_file(tmp_path):
    big = vectors(BIG, 64, value=1.0)  # 11M floats: gensim alone writes arrays of 10M and more beside the file
    save(big, tmp_path / "big.kv")
    assert [p.name for p in tmp_path.iterdir()] == ["big.kv"]
    np.testing.assert_array_equal(load(tmp_path / "big.kv").vectors, big.vectors)


def test_side_files_of_an_earlier_save_are_removed_once_the_new_file_is_in_place(tmp_path):
    big = vectors(100, 64, value=1.0)
    big.save(str(tmp_path / "big.kv"), sep_limit=10)  # gensim's own save: a main file and side .npy files
    assert len(list(tmp_path.iterdir())) > 1
    save(vectors(10, 4, value=2.0), tmp_path / "big.kv")
    assert [p.name for p in tmp_path.iterdir()] == ["big.kv"]
    assert load(tmp_path / "big.kv").vectors.max() == 2.0


BIG = 170_000


def vectors(count: int, size: int, *, value: float) -> KeyedVectors:
    keyed = KeyedVectors(size)
    keyed.add_vectors([f"w{i}" for i in range(count)], np.full((count, size), value, "float32"))
    return keyed


# A process saving version 2 over version 1 is killed (SIGKILL) at each point of the save, and at timed
# points in between; loading must then give version 1 or version 2, whole, and the next save leaves no
# temporary file behind.
KILLED_SAVE = """
import os, signal, sys, threading
import numpy as np
from gensim.models import KeyedVectors
from kerazoo import _io, embeddings

path, point, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
keyed = KeyedVectors(64)
keyed.add_vectors([f"w{i}" for i in range(170_000)], np.full((170_000, 64), 2.0, "float32"))

def kill(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "while pickling":
    import gensim.utils
    real_dump = gensim.utils._pickle.dump
    def dump_then_kill(obj, file, *args, **kwargs):
        real_dump(obj, file, *args, **kwargs)
        file.flush()
        kill()
    gensim.utils._pickle.dump = dump_then_kill
elif point == "before the rename":
    _io.os.replace = kill
elif point == "after the rename":
    real_replace = os.replace
    def replace_then_kill(source, target):
        real_replace(source, target)
        kill()
    _io.os.replace = replace_then_kill
else:
    threading.Timer(delay, kill).start()
embeddings.save(keyed, path)
kill()
"""
KILL_POINTS = [("while pickling", 0), ("before the rename", 0), ("after the rename", 0)] + [
    ("timed", delay) for delay in (0.0, 0.1, 0.3, 0.6)
]


@pytest.mark.parametrize(("point", "delay"), KILL_POINTS)
def test_a_save_killed_at_any_point_leaves_the_old_or_the_new_model_whole(point, delay, tmp_path):
    path = tmp_path / "vectors.kv"
    save(vectors(BIG, 64, value=1.0), path)
    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path), point, str(delay)], capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    loaded = load(path).vectors
    assert loaded.shape == (BIG, 64) and len(np.unique(loaded)) == 1 and loaded[0, 0] in (1.0, 2.0)
    if point == "after the rename":
        assert loaded[0, 0] == 2.0
    save(vectors(10, 4, value=3.0), path)  # the next save sweeps what the killed one left
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.kv"]


@pytest.mark.parametrize(
    "damage", [lambda path: path.write_bytes(path.read_bytes()[:100]), lambda path: path.write_bytes(b"not a model")]
)
def test_a_damaged_file_is_refused_naming_it(tmp_path, damage):
    path = tmp_path / "vectors.kv"
    save(vectors(10, 4, value=1.0), path)
    damage(path)
    with pytest.raises(ValueError, match=f"{path} is not a whole saved gensim model"):
        load(path)


def test_a_gensim_save_missing_a_side_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "vectors.kv"
    vectors(100, 4, value=1.0).save(str(path), sep_limit=10)
    next(tmp_path.glob("*.npy")).unlink()
    with pytest.raises(ValueError, match=f"{path} is not a whole saved gensim model"):
        load(path)
