import keras
import numpy as np
import pytest

from kerazoo.training import save_model


def _model(width):
    x = keras.Input((3,))
    return keras.Model(x, keras.layers.Dense(width)(x))


def test_save_model_writes_a_file_keras_loads(tmp_path):
    model = _model(2)
    path = save_model(model, tmp_path / "m.keras")
    reloaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        reloaded.predict(np.ones((1, 3)), verbose=0), model.predict(np.ones((1, 3)), verbose=0)
    )


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    save_model(_model(2), path)
    before = path.read_bytes()

    def crash(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as file:
            file.write(b"half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(_model(4), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_save_model_rejects_a_path_without_the_keras_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"`path` must end in '.keras'"):
        save_model(_model(2), tmp_path / "m.h5")
