"""The check gate itself: each of its checks fails the block it exists to catch, and says which check it was.

Every broken block here breaks one check: the gate stops at the first failure, and its message must start
with that check's name and the block's.
"""

import keras
import pytest
from keras import ops

from kerazoo.testing import MIXED_POLICIES, PADDING_TOLERANCE, RELOAD_TOLERANCE, Spec, check_block

SEQUENCE = Spec((4, 3))
serializable = keras.saving.register_keras_serializable(package="kerazoo_gate_tests")


def gate_failure(check: str, block, *specs: Spec, **kwargs) -> str:
    """Runs the gate on `block`; it must fail with a message naming `check` and the block. Returns the message."""
    with pytest.raises(AssertionError) as failure:
        check_block(block, *specs, **kwargs)
    message = str(failure.value)
    assert message.startswith(f"{check} check failed for block '{block.__name__}': "), message
    return message


@serializable
class AddsTheSequenceMean(keras.layers.Layer):
    """Adds the mean over time to every step, mask ignored: appended padding steps drag the mean to zero."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x):
        return x + ops.mean(x, axis=1, keepdims=True)


def leaks_padding(x):
    return AddsTheSequenceMean()(keras.layers.Dense(3)(x))


def test_a_layer_whose_outputs_move_with_padding_fails_the_padding_check():
    message = gate_failure("padding", leaks_padding, Spec((4, 3), padded=True), policies=())
    assert "appending 3 padding steps changed the outputs at real positions by " in message
    assert f"(allowed {PADDING_TOLERANCE})" in message


@serializable
class ForgetfulScale(keras.layers.Layer):
    """Multiplies by `factor`, which its get_config forgets: a reloaded copy multiplies by the default 1."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return super().get_config()  # no "factor"


def reloads_as_something_else(x):
    return ForgetfulScale(3.0)(keras.layers.Dense(3)(x))


def test_a_layer_whose_get_config_drops_an_argument_fails_the_fresh_process_reload():
    message = gate_failure("fresh-process reload", reloads_as_something_else, SEQUENCE, policies=())
    assert "the outputs of the model reloaded in a fresh process differ by " in message
    assert f"(allowed {RELOAD_TOLERANCE})" in message


@serializable
class Scale(ForgetfulScale):
    """ForgetfulScale mended: its get_config keeps `factor`."""

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def scales(x):
    return Scale(3.0)(keras.layers.Dense(3)(x))


def test_a_registered_layer_from_the_users_own_module_reloads_in_the_fresh_process():
    # The fresh process imports the module that defines the layer, as the user's own process would.
    assert check_block(scales, SEQUENCE, policies=()).reload_error < RELOAD_TOLERANCE


@serializable
class DefinedInAScript(Scale):
    """Scale as a user's script would define it, with no module a fresh process could import."""


DefinedInAScript.__module__ = "__main__"


def scales_in_a_script(x):
    return DefinedInAScript(3.0)(keras.layers.Dense(3)(x))


def test_a_layer_defined_in_main_fails_the_fresh_process_reload_saying_to_move_it():
    message = gate_failure("fresh-process reload", scales_in_a_script, SEQUENCE, policies=())
    assert message.endswith(
        "['kerazoo_gate_tests>DefinedInAScript'] are defined in __main__, which a fresh process cannot import; "
        "define them in a module"
    )


class Settings:
    """A plain object handed to a layer: Keras cannot serialize it by itself."""

    def __init__(self, factor):
        self.factor = factor


@serializable
class ScaleWithoutConfig(keras.layers.Layer):
    """Takes a required, non-serializable argument and has no get_config to say how to rebuild it."""

    def __init__(self, settings, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings

    def call(self, x):
        return x * self.settings.factor


def has_no_get_config(x):
    return ScaleWithoutConfig(Settings(2.0))(keras.layers.Dense(3)(x))


def test_a_layer_without_get_config_fails_the_get_config_check_naming_the_layer():
    message = gate_failure("get_config", has_no_get_config, SEQUENCE, policies=())
    assert "the model cannot be serialized: Object ScaleWithoutConfig was created by passing" in message
    assert "must override `get_config()`" in message


@serializable
class SineOfLargeAngles(keras.layers.Layer):
    """sin(1000 x) in the compute dtype, as a timestep embedding that forgets float32: 16 bits cannot hold
    the angle, so its sine is noise."""

    def call(self, x):
        return ops.sin(x * 1000.0)


def diverges_in_mixed_precision(x):
    return SineOfLargeAngles()(x)


@pytest.mark.parametrize("policy", MIXED_POLICIES)
def test_a_layer_that_computes_large_angles_in_16_bits_fails_the_mixed_precision_check(policy):
    message = gate_failure("mixed precision", diverges_in_mixed_precision, SEQUENCE, policies=(policy,))
    assert f"under {policy} the outputs differ from float32 by " in message


@serializable
class SoftmaxWithoutMaxSubtraction(keras.layers.Layer):
    """A hand-written softmax over sharp logits in the compute dtype: exp(60) overflows float16 to inf."""

    def call(self, x):
        scores = ops.exp(20.0 * x)
        return scores / ops.sum(scores, axis=-1, keepdims=True)


def overflows_float16(x):
    return SoftmaxWithoutMaxSubtraction()(x)


def test_a_layer_that_overflows_float16_fails_the_mixed_precision_check():
    message = gate_failure("mixed precision", overflows_float16, SEQUENCE, policies=("mixed_float16",))
    assert "under mixed_float16 the forward pass returned NaN or inf (" in message


@serializable
class KerasWillNotCompile(keras.layers.Dense):
    """A Dense layer that declares it cannot be XLA-compiled, as Keras's own lookup layers do."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.supports_jit = False


def declares_no_xla(x):
    return KerasWillNotCompile(3, name="no_xla")(x)


def test_a_layer_that_declares_no_xla_support_fails_the_xla_check_naming_it():
    message = gate_failure("XLA", declares_no_xla, SEQUENCE, policies=())
    assert message.endswith(
        "under float32 Keras turned jit_compile off, as it does for layers that set supports_jit=False: ['no_xla']"
    )


@serializable
class ReadsItsInputInPython(keras.layers.Layer):
    """Scales by the batch maximum read into a Python float: fine eagerly, impossible to compile."""

    def call(self, x):
        return x / float(ops.convert_to_numpy(ops.max(x)))

    def compute_output_shape(self, shape):
        return shape


def reads_tensor_values_in_python(x):
    return ReadsItsInputInPython()(keras.layers.Dense(3)(x))


def test_a_layer_that_reads_tensor_values_in_python_fails_the_xla_check():
    message = gate_failure("XLA", reads_tensor_values_in_python, SEQUENCE, policies=())
    assert "under float32 the training step with jit_compile=True raised " in message
    assert "ReadsItsInputInPython" in message  # Keras's error names the layer whose call failed


@serializable
class LogOfFeatures(keras.layers.Layer):
    """log(x) of features that can be negative."""

    def call(self, x):
        return ops.log(x)


def returns_nan(x):
    return LogOfFeatures()(x)


def test_a_layer_that_returns_nan_fails_the_finite_outputs_check():
    message = gate_failure("finite outputs", returns_nan, SEQUENCE, policies=())
    assert "the float32 forward pass returned NaN or inf (" in message


def returns_float16(x):
    return ops.cast(keras.layers.Dense(3)(x), "float16")


def test_a_float32_model_that_returns_float16_fails_the_output_dtype_check():
    message = gate_failure("output dtype", returns_float16, SEQUENCE, policies=())
    assert message.endswith("the float32 model returned float16")


def flattens_time(x):
    return keras.layers.Flatten()(keras.layers.Dense(3)(x))


def test_a_block_with_another_output_shape_fails_the_output_shape_check():
    message = gate_failure("output shape", flattens_time, SEQUENCE, expected_shape=(4, 3), policies=())
    assert message.endswith("the output shape is (2, 12), expected (2, 4, 3)")


def cut_off_branch(x):
    """A block whose second branch is cut out of backpropagation: its weights never learn."""
    learns = keras.layers.Dense(4, name="learns")(x)
    frozen_by_mistake = keras.layers.Dense(4, name="cut_off")(x)
    return learns + keras.ops.stop_gradient(frozen_by_mistake)


def test_a_weight_that_receives_no_gradient_fails_the_training_step_check():
    message = gate_failure("training step", cut_off_branch, Spec((2, 5)), policies=())
    assert "under float32 these trainable weights received no gradient: ['cut_off/" in message
    assert "learns/" not in message


def guarded_square_root(x):
    """sqrt only where positive, through `where`: the branch not taken still sends NaN back (0 * 1/sqrt(-h))."""
    h = keras.layers.Dense(3, name="features")(x)
    return ops.where(h > 0, ops.sqrt(h), 0.0)


def test_a_layer_whose_gradient_is_nan_fails_the_training_step_check():
    message = gate_failure("training step", guarded_square_root, SEQUENCE, policies=())
    assert "under float32 weights became NaN or inf after a step: ['features/kernel', 'features/bias']" in message
