"""Weights users already have, loaded into zoo models: every source tensor lands in exactly one place.

    model = convert.from_keras_applications(keras.applications.ResNet50(weights="imagenet"))
    model = convert.from_keras_applications("~/.keras/models/resnet50_weights_tf_dim_ordering_tf_kernels.h5")

A mapping that would leave a source or target weight unused, or meet a shape it does not expect, is
refused with the tensor's name and both shapes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def from_keras_applications(source, *, input_shape=None):
    """`keras.applications.ResNet50` (a built model, or its weights file) as kerazoo's `resnet50(variant="v1")`.

    keras.applications' ResNet50 strides the first 1x1 convolution of a unit (ResNet v1) and gives its
    convolutions biases; kerazoo's have none, because the batch normalization after each absorbs them: a
    bias moves into that layer's moving mean, and the variance absorbs the difference of epsilons
    (1.001e-5 there, 1e-5 here). The result computes the same function.

    Args:
        source: a built `keras.applications.ResNet50`, or a path to its `.h5` weights file (with or without
            the top, as Keras caches them under `~/.keras/models`).
        input_shape: the zoo model's input shape; default the source model's, or (224, 224, 3).

    Returns:
        The zoo model, with the top (1000 classes, softmax) when the source has one, else `include_top=False`.
    """
    import keras

    from kerazoo import models

    reference = _reference_resnet50(source, input_shape)
    top = any(layer.name == "predictions" for layer in reference.layers)
    shape = tuple(input_shape or reference.input_shape[1:])
    if top:
        classes = reference.get_layer("predictions").units
        activation = reference.get_layer("predictions").activation
        model = models.resnet50(variant="v1", input_shape=shape, classes=classes, classifier_activation=activation)
    else:
        model = models.resnet50(variant="v1", input_shape=shape, include_top=False)
    sources = {layer.name: layer for layer in reference.layers if layer.weights}
    used = set()
    for layer in model.layers:
        if not layer.weights or isinstance(layer, keras.layers.BatchNormalization):
            continue
        name = layer.name.replace("_proj_", "_0_")  # kerazoo's projection shortcut is keras.applications' "_0"
        if name not in sources:
            raise ValueError(f"The source model has no layer {name!r} for {layer.name!r}; is it a ResNet50?")
        if isinstance(layer, keras.layers.Conv2D):
            _fold_conv(layer, sources[name], model, sources)
            used.update({name, name.replace("_conv", "_bn")})
        else:
            _copy(layer, sources[name].get_weights(), name)
            used.add(name)
    unused = sorted(set(sources) - used)
    if unused:
        raise ValueError(f"These source layers found no place in resnet50: {', '.join(unused)}")
    return model


def _reference_resnet50(source, input_shape):
    import keras

    if isinstance(source, keras.Model):
        return source
    path = Path(os.path.expanduser(os.fspath(source)))
    if not path.is_file():
        raise FileNotFoundError(f"`source` is neither a keras.applications model nor a file: {str(path)!r}")
    from kerazoo.models._common import h5_variable_shapes

    top = "notop" not in path.name
    reference = keras.applications.ResNet50(
        weights=None, include_top=top, input_shape=tuple(input_shape) if input_shape else None
    )
    not_resnet50 = f"{str(path)!r} is not a keras.applications ResNet50 weights file"
    try:
        found = sorted(shape for shapes in h5_variable_shapes(path).values() for shape in shapes)
    except OSError as error:
        raise ValueError(f"{not_resnet50} ({type(error).__name__}: {error})") from None
    # Keras only warns about weights a file lacks and leaves them random; compare every shape first.
    if found != sorted(tuple(w.shape) for w in reference.weights):
        raise ValueError(
            f"{not_resnet50}{'' if top else ' without its top'}: it holds {len(found)} arrays, ResNet50 has "
            f"{len(reference.weights)} of other shapes."
        )
    reference.load_weights(str(path))
    return reference


def _fold_conv(layer, conv, model, sources) -> None:
    """The source convolution's kernel, and its bias folded into the following batch normalization."""
    kernel, bias = conv.get_weights()
    _copy(layer, [kernel], conv.name)
    source_bn = sources[conv.name.replace("_conv", "_bn")]
    target_bn = model.get_layer(layer.name.replace("_conv", "_bn"))
    gamma, beta, mean, variance = source_bn.get_weights()
    folded = [gamma, beta, mean - bias, variance + source_bn.epsilon - target_bn.epsilon]
    _copy(target_bn, folded, source_bn.name)


def _copy(layer, values, source_name: str) -> None:
    expected = [tuple(w.shape) for w in layer.weights]
    found = [tuple(np.shape(v)) for v in values]
    if expected != found:
        raise ValueError(
            f"Source layer {source_name!r} holds shapes {found}; kerazoo's {layer.name!r} needs {expected}. "
            "Is the source another size or class count?"
        )
    layer.set_weights(values)
