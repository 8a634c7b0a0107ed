"""`.keras` files saved before the encoder became one Layer and names got one owner (commit 6754879) still load
and compute what they computed then. The fixtures are that commit's tiny zoo models (`small_config`, seed 0),
saved with its own code, beside their outputs on the same tokens."""

from pathlib import Path

import keras
import numpy as np
import pytest

import kerazoo  # noqa: F401  (registers the layers the files name)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name", ["transformer_classifier", "transformer_seq2seq", "gpt"])
def test_a_keras_file_from_before_the_names_refactoring_loads_and_computes_the_same(name):
    model = keras.saving.load_model(FIXTURES / f"{name}_6754879.keras")
    saved = np.load(FIXTURES / f"{name}_6754879.npz")
    tokens = saved["tokens"]
    inputs = {"source": tokens, "target": tokens[:, :12]} if name == "transformer_seq2seq" else tokens
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(inputs)), saved["outputs"], atol=1e-5)
