import keras
import numpy as np
import pytest

from kerazoo import models

TINY = {"input_shape": (64, 64, 3), "width": 4, "classes": 3}


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_resnet50_has_the_reference_parameter_count():
    assert _trainable(models.resnet50()) == 25_557_032


def test_simple_cnn_is_the_classic_mnist_network():
    model = models.simple_cnn()
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense", "Dense"]
    assert [model.get_layer(n).filters for n in ("conv1", "conv2", "conv3")] == [32, 64, 64]
    assert model.count_params() == 93_322


def test_lenet5_has_the_usual_layers_and_parameter_count():
    model = models.lenet5()
    assert [model.get_layer(n).units for n in ("fc1", "fc2", "predictions")] == [120, 84, 10]
    assert model.count_params() == 61_706


def test_return_features_gives_a_pyramid_at_strides_4_to_32():
    model = models.resnet18(include_top=False, return_features=True, **TINY)
    shapes = {name: tuple(tensor.shape[1:3]) for name, tensor in model.output.items()}
    assert shapes == {"conv1": (16, 16), "conv2": (16, 16), "conv3": (8, 8), "conv4": (4, 4), "conv5": (2, 2)}


def test_return_features_with_a_top_adds_the_output():
    model = models.simple_cnn(return_features=True)
    assert list(model.output) == ["conv1", "conv2", "conv3", "output"]


@pytest.mark.parametrize(("pooling", "shape"), [(None, (None, 2, 2, 32)), ("avg", (None, 32)), ("max", (None, 32))])
def test_headless_models_pool_as_asked(pooling, shape):
    model = models.resnet18(include_top=False, pooling=pooling, **TINY)
    assert model.output.shape == shape


def test_input_tensor_becomes_the_model_input():
    image = keras.Input((40, 40, 1))
    model = models.lenet5(input_tensor=image)
    assert model.inputs[0] is image


def test_classifier_activation_none_returns_logits():
    model = models.simple_cnn(classifier_activation=None)
    outputs = keras.ops.convert_to_numpy(model(np.random.default_rng(0).random((2, 28, 28, 1))))
    assert not np.allclose(outputs.sum(axis=-1), 1.0)


@pytest.fixture
def saved_resnet(tmp_path):
    model = models.resnet18(**TINY)
    path = tmp_path / "resnet18.weights.h5"
    model.save_weights(path)
    return model, path


def test_weights_file_from_the_same_builder_reproduces_the_model(saved_resnet):
    model, path = saved_resnet
    reloaded = models.resnet18(weights=path, **TINY)
    images = np.random.default_rng(0).random((2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(images)), keras.ops.convert_to_numpy(model(images)))


def test_a_keras_file_works_as_weights(tmp_path):
    model = models.lenet5(classes=4)
    model.save(tmp_path / "lenet.keras")
    reloaded = models.lenet5(classes=4, weights=tmp_path / "lenet.keras")
    np.testing.assert_array_equal(reloaded.get_weights()[0], model.get_weights()[0])


def test_weights_of_another_architecture_are_rejected(saved_resnet):
    _, path = saved_resnet
    with pytest.raises(ValueError, match=r"was not saved from this architecture \(resnet34\)"):
        models.resnet34(weights=path, **TINY)


def test_weights_with_another_class_count_name_the_classes_argument(saved_resnet):
    _, path = saved_resnet
    with pytest.raises(ValueError, match=r"`classes`=7 does not fit the weights file .* whose top has 3 classes"):
        models.resnet18(weights=path, **{**TINY, "classes": 7})


def test_a_headless_model_loads_the_body_of_a_file_with_a_top(saved_resnet):
    model, path = saved_resnet
    headless = models.resnet18(weights=path, include_top=False, **TINY)
    np.testing.assert_array_equal(headless.get_layer("conv1_conv").kernel, model.get_layer("conv1_conv").kernel)


def test_a_missing_weights_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="`weights` file not found"):
        models.simple_cnn(weights=tmp_path / "nope.weights.h5")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"include_top": False, "pooling": "average"}, ValueError, "`pooling` must be one of None, 'avg', 'max'"),
        ({"classes": 0}, ValueError, "`classes` must be a positive integer"),
        ({"classifier_activation": "softmaxx"}, ValueError, "`classifier_activation` must be a Keras activation"),
        ({"input_shape": (28, 28)}, ValueError, r"`input_shape` must be \(height, width, channels\)"),
        ({"input_shape": (12, 12, 1)}, ValueError, "simple_cnn needs images of at least 18x18"),
        ({"include_top": "yes"}, TypeError, "`include_top` must be True or False"),
    ],
)
def test_image_builders_reject_bad_arguments_by_name(kwargs, error, message):
    with pytest.raises(error, match=message):
        models.simple_cnn(**kwargs)


def test_an_input_tensor_keeps_the_layers_in_front_of_it():
    raw = keras.Input((32, 32, 1))
    model = models.lenet5(input_tensor=keras.layers.Rescaling(1 / 255)(raw), classes=3)
    plain = models.lenet5(classes=3)
    plain.set_weights(model.get_weights())
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 1)).astype("float32")
    assert model.inputs[0] is raw
    np.testing.assert_allclose(model.predict(pixels, verbose=0), plain.predict(pixels / 255, verbose=0), atol=1e-6)


@pytest.mark.parametrize("name", ["damaged.weights.h5", "damaged.keras"])
def test_a_damaged_weights_file_is_named(name, tmp_path):
    (tmp_path / name).write_bytes(b"garbage")
    with pytest.raises(ValueError, match=f"The `weights` file '{tmp_path / name}' cannot be read"):
        models.lenet5(weights=tmp_path / name)


@pytest.mark.parametrize(("variant", "strided"), [("v1", "conv3_block1_1_conv"), ("v1.5", "conv3_block1_2_conv")])
def test_the_variant_places_a_bottleneck_units_stride(variant, strided):
    model = models.resnet50(variant=variant, input_shape=(64, 64, 3), classes=3, width=4)
    strides = {name: model.get_layer(name).strides for name in ("conv3_block1_1_conv", "conv3_block1_2_conv")}
    assert strides[strided] == (2, 2) and sum(s == (1, 1) for s in strides.values()) == 1


def test_both_variants_have_the_papers_parameter_count():
    counts = {v: models.resnet50(variant=v).count_params() for v in ("v1", "v1.5")}
    assert counts == {"v1": 25_610_152, "v1.5": 25_610_152}


def test_an_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="`variant` must be one of 'v1.5', 'v1'. Received: variant='v2'"):
        models.resnet18(variant="v2", input_shape=(32, 32, 3))
