"""Converters: a source model with random weights, converted, must compute the same function."""

import keras
import numpy as np
import pytest

from kerazoo.models import convert


def randomized_resnet50(input_shape, **kwargs):
    """keras.applications' ResNet50 with random conv biases and batch-norm statistics, so folding them matters."""
    reference = keras.applications.ResNet50(weights=None, input_shape=input_shape, **kwargs)
    rng = np.random.default_rng(0)
    for layer in reference.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape),
                    rng.normal(0, 0.1, beta.shape),
                    rng.normal(0, 0.1, mean.shape),
                    rng.uniform(0.5, 1.5, variance.shape),
                ]
            )
        elif isinstance(layer, keras.layers.Conv2D):
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0, 0.1, bias.shape)])
    return reference


@pytest.mark.parametrize("size", [64, 65])  # even sizes are where 'same' padding would differ
def test_keras_applications_resnet50_converts_to_resnet50_v1_computing_the_same_logits(size):
    reference = randomized_resnet50((size, size, 3), classes=7, classifier_activation=None)
    model = convert.from_keras_applications(reference)
    images = np.random.default_rng(1).uniform(0, 1, (2, size, size, 3)).astype("float32")
    expected = reference.predict(images, verbose=0)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, atol=1e-4)
    assert model.count_params() == reference.count_params() - sum(
        int(layer.bias.shape[0]) for layer in reference.layers if isinstance(layer, keras.layers.Conv2D)
    )


def test_a_weights_file_without_the_top_converts_to_a_backbone(tmp_path):
    reference = randomized_resnet50((64, 64, 3), include_top=False)
    path = tmp_path / "resnet50_notop.weights.h5"
    reference.save_weights(path)
    model = convert.from_keras_applications(path, input_shape=(64, 64, 3))
    images = np.random.default_rng(1).uniform(0, 1, (1, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(images, verbose=0), reference.predict(images, verbose=0), atol=1e-4)


def test_a_file_that_is_not_resnet50_weights_is_refused_naming_it(tmp_path):
    path = tmp_path / "other_notop.weights.h5"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save_weights(path)
    with pytest.raises(ValueError, match="is not a keras.applications ResNet50 weights file"):
        convert.from_keras_applications(path, input_shape=(64, 64, 3))


def test_a_missing_source_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a keras.applications model nor a file"):
        convert.from_keras_applications(tmp_path / "nothing.h5")
