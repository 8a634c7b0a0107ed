from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath

from kerazoo.embeddings import export, load, plot_words, save, train_word2vec


@pytest.fixture(scope="module")
def model():
    return train_word2vec(datapath("lee_background.cor"), vector_size=8, epochs=1, workers=1, progress=False)


def test_save_then_load_gives_the_same_model(tmp_path, model):
    save(model, tmp_path / "lee.model")
    reloaded = load(tmp_path / "lee.model")
    assert isinstance(reloaded, Word2Vec)
    np.testing.assert_array_equal(reloaded.wv["government"], model.wv["government"])
    assert reloaded.training_history == model.training_history
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


def test_plot_words_names_missing_words(tmp_path, model):
    with pytest.raises(ValueError, match="at least 3 words of the vocabulary. Missing: \\['qwertyuiop'\\]"):
        plot_words(model.wv, ["government", "police", "qwertyuiop"], tmp_path / "w.png")
