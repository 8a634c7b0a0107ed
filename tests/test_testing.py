"""The check gate itself: it must fail the blocks it exists to catch."""

import keras
import pytest

from kerazoo.testing import Spec, check_block


def cut_off_branch(x):
    """A block whose second branch is cut out of backpropagation: its weights never learn."""
    learns = keras.layers.Dense(4, name="learns")(x)
    frozen_by_mistake = keras.layers.Dense(4, name="cut_off")(x)
    return learns + keras.ops.stop_gradient(frozen_by_mistake)


def test_a_weight_that_receives_no_gradient_fails_the_training_step_check():
    with pytest.raises(AssertionError, match=r"float32: these trainable weights received no gradient: \['cut_off/"):
        check_block(cut_off_branch, Spec((2, 5)), policies=())
