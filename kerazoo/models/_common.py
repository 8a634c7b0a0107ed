"""Plumbing every model family shares: inputs, heads, pre-trained embeddings and weights files."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Mapping

import keras
import numpy as np
from keras import layers

from kerazoo import names
from kerazoo._validation import require_activation, require_choice, require_positive_int, require_rate

IMAGE_POOLINGS = (None, "avg", "max")


def image_input(input_shape, input_tensor, default_shape: tuple):
    """The model's image input: `input_tensor` when given, else an `Input` of `input_shape` (or the default)."""
    if input_tensor is not None:
        if not keras.backend.is_keras_tensor(input_tensor):
            raise TypeError(f"`input_tensor` must be a Keras tensor. Received: {type(input_tensor).__name__}")
        if "float" not in str(input_tensor.dtype):
            raise TypeError(
                "`input_tensor` must be a float image tensor; scale integer pixels first, e.g. "
                f"keras.layers.Rescaling(1 / 255) turns uint8 into floats in [0, 1]. Received: {input_tensor.dtype}"
            )
        if len(input_tensor.shape) != 4 or input_tensor.shape[-1] is None:
            raise ValueError(
                "`input_tensor` must be a (batch, height, width, channels) image tensor with a known channel "
                f"count. Received: input_tensor.shape={tuple(input_tensor.shape)}"
            )
        return input_tensor
    shape = tuple(input_shape) if input_shape is not None else default_shape
    valid = all(size is None or (type(size) is int and size > 0) for size in shape)  # type(): no bools
    if len(shape) != 3 or not valid or shape[2] is None:
        raise ValueError(
            "`input_shape` must be (height, width, channels): positive integers, height and width may be None. "
            f"Received: input_shape={input_shape}"
        )
    return keras.Input(shape, name="image")


def check_image_head(*, include_top, pooling, classes, classifier_activation, weights=None) -> None:
    """Validates the keras.applications-style head and weights arguments before any layer is built."""
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            "`weights` must be None, the path of a '.weights.h5' or '.keras' file saved from the same builder, "
            "or for the ResNets a source of pre-trained weights ('imagenet' for resnet50, 'hf:ORG/NAME' for "
            f"timm's). Received: weights={weights!r}"
        )
    require_choice("pooling", pooling, IMAGE_POOLINGS)
    require_positive_int(classes=classes)
    require_activation("classifier_activation", classifier_activation)
    if not isinstance(include_top, bool):
        raise TypeError(f"`include_top` must be True or False. Received: include_top={include_top!r}")


def image_model(
    inputs,
    features: Mapping,
    *,
    top: Callable,
    include_top: bool,
    pooling,
    classes: int,
    classifier_activation,
    weights,
    return_features: bool,
    name: str,
) -> keras.Model:
    """Finishes an image model the keras.applications way, from its ordered dict of feature maps.

    `top(x)` builds the family's layers between the last feature map and the classifier. With
    `return_features`, the model returns the feature maps by name (a pyramid for detection or
    segmentation heads), plus "output" when there is a top or pooling.
    """
    x = list(features.values())[-1]
    if include_top:
        x = top(x)
        x = classifier(x, classes, classifier_activation)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    if return_features:
        outputs = dict(features)
        if include_top or pooling:
            outputs["output"] = x
    else:
        outputs = x
    # As keras.applications: a model on `input_tensor` starts at that tensor's own inputs, so layers in front
    # of it (a Rescaling, an augmentation) stay part of the model.
    sources = keras.utils.get_source_inputs(inputs)
    model = keras.Model(sources[0] if len(sources) == 1 else sources, outputs, name=name)
    if weights is not None:
        load_weights(model, weights, include_top=include_top, classes=classes)
    return model


def classifier(x, classes: int, activation, *, name: str = names.HEAD):
    """The final Dense layer, in float32 under mixed precision so softmax and losses stay stable."""
    return layers.Dense(classes, activation=activation, dtype="float32", name=name)(x)


def check_sequence_sizes(*, dropout: float = 0.0, **sizes) -> None:
    require_positive_int(**sizes)
    require_rate(dropout=dropout)


def token_input(name: str = names.TOKENS, max_length: int | None = None):
    """An int32 id input of `max_length` steps: a static length is what XLA and TPUs compile best; None
    accepts any length."""
    if max_length is not None:
        require_positive_int(max_length=max_length)
    return keras.Input((max_length,), dtype="int32", name=name)


def embedding_initializer(embedding_matrix, vocab_size: int, dim: int):
    """`embedding_matrix` (a `(vocab_size, dim)` array, e.g. from `kerazoo.embeddings.embedding_matrix`)
    checked against the model's sizes; returned as the array to assign after building."""
    if embedding_matrix is None:
        return None
    matrix = np.asarray(embedding_matrix, dtype="float32")
    if matrix.shape != (vocab_size, dim):
        raise ValueError(
            f"`embedding_matrix` must have shape (vocab_size, dim) = ({vocab_size}, {dim}). "
            f"Received: embedding_matrix.shape={matrix.shape}"
        )
    if not np.isfinite(matrix).all():
        raise ValueError("`embedding_matrix` holds NaN or infinite values; the model would predict NaN.")
    return matrix


def token_tables(model: keras.Model) -> dict[str, int]:
    """{input name: rows of the token table it feeds}, for each input an `Embedding` reads directly."""
    inputs = {id(tensor): tensor.name for tensor in model.inputs}
    tables = {}
    for layer in model.layers:
        if isinstance(layer, layers.Embedding) and layer._inbound_nodes:
            source = layer._inbound_nodes[0].input_tensors[0]
            if id(source) in inputs:
                tables[inputs[id(source)]] = layer.input_dim
    return tables


def require_token_ids(model: keras.Model, x) -> None:
    """Token ids given as NumPy data fit the tables they index: an id past the end fails deep inside a
    compiled gather (or, on some backends, silently reads another row). `x` is an array, a dict of arrays
    by input name, or anything else (a dataset), which is left to the pipeline that made it."""
    tables = token_tables(model)
    if not tables:
        return
    arrays = x if isinstance(x, Mapping) else {model.inputs[0].name: x} if len(model.inputs) == 1 else {}
    for name, rows in tables.items():
        ids = arrays.get(name)
        if not isinstance(ids, (np.ndarray, list)):
            continue
        ids = np.asarray(ids)
        if ids.size and np.issubdtype(ids.dtype, np.integer) and (ids.min() < 0 or ids.max() >= rows):
            raise ValueError(
                f"`{name}` ids must be in 0..{rows - 1}, the rows of {model.name}'s token table. Received ids "
                f"from {ids.min()} to {ids.max()}: was the data encoded with another vocabulary?"
            )


def set_token_embeddings(layer: layers.Embedding, matrix, trainable: bool) -> None:
    """Copies pre-trained vectors into a built token table, so the config stays small.

    A `Constant` initializer would put the whole matrix into the model's JSON config.
    """
    if matrix is not None:
        layer.embeddings.assign(matrix)
    layer.trainable = trainable


def load_weights(model: keras.Model, path, *, include_top: bool = True, classes: int | None = None) -> None:
    """`model.load_weights(path)` with errors that say which argument does not fit the file.

    Keras matches weights by layer order and type, so a file from another architecture can fail deep in
    `assign` or, worse, half-load. The file's variable shapes are compared first.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"`weights` file not found. Received: weights={path!r}")
    try:
        saved = _saved_variable_shapes(path)
    except (OSError, zipfile.BadZipFile, KeyError) as error:  # h5py and zipfile on damaged files
        raise ValueError(
            f"The `weights` file {path!r} cannot be read ({type(error).__name__}: {error}); it is damaged or "
            "truncated, or not a Keras weights file."
        ) from None
    if include_top and classes is not None:
        file_classes = _top_classes(saved, model)
        if file_classes is not None and file_classes != classes:
            raise ValueError(
                f"`classes`={classes} does not fit the weights file {path!r}, whose top has {file_classes} classes. "
                f"Pass classes={file_classes}, or include_top=False to load everything below the top."
            )
    expected = sorted(tuple(w.shape) for w in model.weights)
    found = sorted(shape for shapes in saved.values() for shape in shapes)
    fits = found == expected if include_top else _contains(found, expected)
    if not fits:
        raise ValueError(
            f"The `weights` file {path!r} was not saved from this architecture ({model.name}): it holds "
            f"{len(found)} variables, the model has {len(expected)} of other shapes. Load a file saved from "
            "the same builder with the same arguments."
        )
    try:
        model.load_weights(path)
    except ValueError as error:
        raise ValueError(f"The `weights` file {path!r} does not fit {model.name}: {error}") from None


def _saved_variable_shapes(path: str) -> dict[str, list[tuple]]:
    """{layer group: [variable shapes]} read from a `.weights.h5` file or the weights inside a `.keras`."""
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as archive:
            source = io.BytesIO(archive.read("model.weights.h5"))
    elif path.endswith(".weights.h5"):
        source = path
    else:
        raise ValueError(f"`weights` must be a '.weights.h5' or '.keras' file. Received: weights={path!r}")
    return h5_variable_shapes(source)


def h5_variable_shapes(source) -> dict[str, list[tuple]]:
    """{group: [variable shapes]} of every array in an HDF5 weights file (Keras 3 or legacy `.h5` layout)."""
    import h5py

    shapes: dict[str, list[tuple]] = {}
    with h5py.File(source, "r") as file:

        def visit(name, item):
            if isinstance(item, h5py.Dataset):
                shapes.setdefault(name.rsplit("/vars/", 1)[0], []).append(tuple(item.shape))

        file.visititems(visit)
    return shapes


def _top_classes(saved: Mapping[str, list[tuple]], model: keras.Model) -> int | None:
    """The class count of the file's head: what is left of its shapes once the model's layers below the head
    are accounted for, when that is one head of another width; None otherwise."""
    head = model.get_layer(names.HEAD)
    below = [tuple(w.shape) for w in model.weights if not w.path.startswith(f"{head.name}/")]
    remaining = sorted(shape for shapes in saved.values() for shape in shapes)
    for shape in below:
        if shape not in remaining:
            return None
        remaining.remove(shape)
    features = head.kernel.shape[0]
    kernel = [shape for shape in remaining if len(shape) == 2 and shape[0] == features]
    if len(remaining) != 2 or len(kernel) != 1 or (kernel[0][1],) not in remaining:
        return None
    return kernel[0][1]


def _contains(found: list, expected: list) -> bool:
    remaining = list(found)
    for shape in expected:
        if shape not in remaining:
            return False
        remaining.remove(shape)
    return True
