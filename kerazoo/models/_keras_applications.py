"""keras.applications' ResNet50 weights in kerazoo's `resnet50(variant="v1")`, read one way for both
`convert.from_keras_applications` and `resnet50(weights="imagenet")`: each convolution's bias is folded
into the batch normalization after it (see `from_keras_applications`).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from kerazoo import names
from kerazoo.models._common import h5_variable_shapes


def reference_resnet50(source, input_shape=None) -> keras.Model:
    """`source` itself when it is a built model, else a `keras.applications.ResNet50` holding the weights of
    the `.h5` file `source` (with or without the top), every shape checked before Keras reads it."""
    if isinstance(source, keras.Model):
        return source
    path = Path(os.path.expanduser(os.fspath(source)))
    if not path.is_file():
        raise FileNotFoundError(f"`source` is neither a keras.applications model nor a file: {str(path)!r}")
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


def load_keras_applications(model, reference) -> None:
    """Every weight of `model`, a zoo `resnet50(variant="v1")` with the reference's top (or none), from
    `reference`, a keras.applications ResNet50; each of the reference's layers must find its place."""
    sources = {layer.name: layer for layer in reference.layers if layer.weights}
    used = set()
    for layer in model.layers:
        if not layer.weights or isinstance(layer, keras.layers.BatchNormalization):
            continue
        name = _keras_applications_name(layer.name)
        if name not in sources:
            raise ValueError(f"The source model has no layer {name!r} for {layer.name!r}; is it a ResNet50?")
        if isinstance(layer, keras.layers.Conv2D):
            _fold_conv(layer, sources[name], model, sources)
            used.update({name, _batch_norm_of(name)})
        else:
            _copy(layer, sources[name].get_weights(), name)
            used.add(name)
    unused = sorted(set(sources) - used)
    if unused:
        raise ValueError(f"These source layers found no place in resnet50: {', '.join(unused)}")


def _keras_applications_name(name: str) -> str:
    """kerazoo's projection shortcut is keras.applications' unit part "0"."""
    return name.replace(f"_{names.PROJECTION}_", "_0_")


def _batch_norm_of(conv_name: str) -> str:
    """The batch normalization after a `conv_bn_act`'s convolution."""
    return conv_name.removesuffix(f"_{names.CONV}") + f"_{names.BATCH_NORM}"


def _fold_conv(layer, conv, model, sources) -> None:
    """The source convolution's kernel, and its bias folded into the following batch normalization."""
    kernel, bias = conv.get_weights()
    _copy(layer, [kernel], conv.name)
    source_bn = sources[_batch_norm_of(conv.name)]
    target_bn = model.get_layer(_batch_norm_of(layer.name))
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
