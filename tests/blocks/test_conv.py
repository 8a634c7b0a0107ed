import keras
import numpy as np
import pytest

from kerazoo import blocks
from kerazoo.testing import Spec, check_block

IMAGE = Spec((8, 8, 3))


def test_conv_bn_act_passes_the_block_checks():
    check_block(blocks.conv_bn_act, IMAGE, filters=4, strides=2, expected_shape=(4, 4, 4))


def test_conv_bn_act_names_its_layers_after_the_block():
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, blocks.conv_bn_act(x, 4, name="stem"))
    assert [layer.name for layer in model.layers[1:]] == ["stem_conv", "stem_bn", "stem_act"]


def test_conv_bn_act_without_activation_ends_in_batch_norm():
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, blocks.conv_bn_act(x, 4, activation=None, name="c"))
    assert isinstance(model.layers[-1], keras.layers.BatchNormalization)


def test_conv_has_no_bias_before_batch_norm():
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, blocks.conv_bn_act(x, 4, kernel_size=3, name="c"))
    assert model.get_layer("c_conv").use_bias is False
    assert model.count_params() == 3 * 3 * 3 * 4 + 4 * 4  # kernel + BN gamma, beta, mean, variance


def test_basic_residual_block_with_identity_shortcut_passes_the_block_checks():
    check_block(blocks.residual_block, Spec((8, 8, 4)), filters=4, expected_shape=(8, 8, 4))


def test_strided_bottleneck_block_with_squeeze_excite_passes_the_block_checks():
    check_block(
        blocks.residual_block,
        IMAGE,
        filters=2,
        strides=2,
        bottleneck=True,
        squeeze_excite=True,
        expected_shape=(4, 4, 8),
    )


def test_residual_block_projects_the_shortcut_only_when_the_shape_changes():
    x = keras.Input((8, 8, 4))
    same = keras.Model(x, blocks.residual_block(x, 4, name="same"))
    wider = keras.Model(x, blocks.residual_block(x, 8, name="wider"))
    assert not any(layer.name.startswith("same_proj") for layer in same.layers)
    assert wider.get_layer("wider_proj_conv").kernel.shape == (1, 1, 4, 8)


def test_bottleneck_block_has_the_papers_parameter_count():
    # ResNet-50's conv2_x unit 1: 64 -> 1x1x64, 3x3x64, 1x1x256 plus a 1x1x256 projection, no conv bias.
    x = keras.Input((8, 8, 64))
    model = keras.Model(x, blocks.residual_block(x, 64, bottleneck=True))
    convs = 64 * 64 + 9 * 64 * 64 + 64 * 256 + 64 * 256
    batch_norm_trainable = 2 * (64 + 64 + 256 + 256)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == convs + batch_norm_trainable


def test_squeeze_excite_scales_each_channel_by_a_gate_between_zero_and_one():
    x = keras.Input((4, 4, 8))
    model = keras.Model(x, blocks.squeeze_excite(x, ratio=0.25))
    images = np.abs(np.random.default_rng(0).standard_normal((2, 4, 4, 8))).astype("float32") + 0.1
    gates = keras.ops.convert_to_numpy(model(images)) / images
    assert np.all((gates > 0) & (gates < 1))
    np.testing.assert_allclose(gates, gates[:, :1, :1, :].repeat(4, 1).repeat(4, 2), rtol=1e-5)


def test_squeeze_excite_passes_the_block_checks():
    check_block(blocks.squeeze_excite, Spec((4, 4, 8)), ratio=0.5, expected_shape=(4, 4, 8))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": 0}, "`filters` must be a positive integer. Received: filters=0"),
        ({"filters": 4, "strides": 0}, "`strides` must be a positive integer"),
        ({"filters": 4, "activation": "relux"}, "`activation` must be a Keras activation name"),
        ({"filters": 2.5}, "`filters` must be a positive integer"),
    ],
)
def test_conv_bn_act_rejects_bad_arguments_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        blocks.conv_bn_act(keras.Input((8, 8, 3)), **kwargs)


@pytest.mark.parametrize("block", [blocks.conv_bn_act, blocks.residual_block])
def test_image_blocks_reject_inputs_that_are_not_4d(block):
    with pytest.raises(ValueError, match=r"`x` must be a 4-D tensor .* Received: x.shape=\(None, 8, 3\)"):
        block(keras.Input((8, 3)), 4)


def test_squeeze_excite_rejects_a_ratio_outside_zero_one():
    with pytest.raises(ValueError, match=r"`ratio` must be a number in \(0, 1\]. Received: ratio=0"):
        blocks.squeeze_excite(keras.Input((4, 4, 8)), ratio=0)


def test_blocks_reject_something_that_is_not_a_tensor():
    with pytest.raises(TypeError, match="`x` must be a Keras tensor"):
        blocks.residual_block(np.zeros((1, 8, 8, 3)).tolist(), 4)


def test_default_block_names_start_again_after_clear_session():
    def layer_names():
        keras.backend.clear_session()
        image = keras.Input((8, 8, 3))
        return [layer.name for layer in keras.Model(image, blocks.conv_bn_act(image, 4)).layers[1:]]

    assert layer_names() == layer_names() and layer_names()[0].startswith("conv_bn_act_1")
