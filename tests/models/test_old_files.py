"""`.keras` files saved before the encoder became one Layer and names got one owner (commit 6754879) still load
and compute what they computed then. The fixtures are that commit's tiny zoo models (`small_config`, seed 0),
saved with its own code, beside their outputs on the same tokens."""

from pathlib import Path

import keras
import numpy as np
import pytest

import kerazoo  # noqa: F401  (registers the layers the files name)

FIXTURES = Path(__file__).parent / "fixtures"
# The files were written by Keras 3.15, whose initializer configs (GlorotUniform's `input_axes`) older Keras
# cannot read: Keras files load forward, not backward. What this tests is kerazoo's side, the layer names
# and configs, so it needs a Keras that can read the format.
SAVED_BY_KERAS = (3, 15)
pytestmark = pytest.mark.skipif(
    tuple(int(part) for part in keras.version().split(".")[:2]) < SAVED_BY_KERAS,
    reason=f"the fixtures were saved by Keras {'.'.join(map(str, SAVED_BY_KERAS))}; older Keras cannot read them",
)


@pytest.mark.parametrize("name", ["transformer_classifier", "transformer_seq2seq", "gpt"])
def test_a_keras_file_from_before_the_names_refactoring_loads_and_computes_the_same(name):
    model = keras.saving.load_model(FIXTURES / f"{name}_6754879.keras")
    saved = np.load(FIXTURES / f"{name}_6754879.npz")
    tokens = saved["tokens"]
    inputs = {"source": tokens, "target": tokens[:, :12]} if name == "transformer_seq2seq" else tokens
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(inputs)), saved["outputs"], atol=1e-5)
