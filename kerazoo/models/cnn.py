"""Image classifiers: the classic MNIST convnet, LeNet-5 and the ResNet family (He et al. 2016).

Every builder takes the keras.applications arguments (`include_top, input_shape, input_tensor, pooling,
classes, classifier_activation, weights, name`) plus `return_features` for a dict of feature maps, and
returns probabilities (`classifier_activation="softmax"`; pass None for logits).
"""

from __future__ import annotations

import os

from keras import layers

from kerazoo import blocks, hub, names
from kerazoo._validation import require_positive_int
from kerazoo.models import _timm, imagenet
from kerazoo.models._common import check_image_head, image_input, image_model
from kerazoo.models._keras_applications import load_keras_applications, reference_resnet50
from kerazoo.models.registry import image_input_spec, register

# 64x64, not the 32x32 minimum: the last stage then keeps 2x2 maps, so training-mode batch normalization
# averages over 8 values, not 2, whose float16 gradients overflow at every loss scale.
_TINY_RESNET = {"input_shape": (64, 64, 3), "classes": 5, "width": 4}
# Each family's default input, stated once for the builder and its registry entry.
SIMPLE_CNN_SHAPE, LENET5_SHAPE, RESNET_SHAPE = (28, 28, 1), (32, 32, 1), (224, 224, 3)
MIN_RESNET_SIZE = 32


def _require_min_size(image, minimum: int, name: str) -> None:
    height, width = image.shape[1:3]
    if (height is not None and height < minimum) or (width is not None and width < minimum):
        raise ValueError(
            f"{name} needs images of at least {minimum}x{minimum}. Received: input_shape={tuple(image.shape[1:])}"
        )


def _plain_cnn(
    convolutions: tuple[tuple[int, int, bool], ...],
    dense: tuple[int, ...],
    default_shape: tuple[int, int, int],
    *,
    include_top: bool = True,
    input_shape=None,
    input_tensor=None,
    pooling=None,
    classes: int = 10,
    classifier_activation="softmax",
    weights=None,
    return_features: bool = False,
    name: str = "cnn",
):
    """A plain convnet: 'valid' ReLU convolutions, each row `(filters, kernel, max-pool after it)`, then
    a flattened ReLU dense stack of `dense` widths and the classifier. Features are named conv1, conv2, ..."""
    check_image_head(
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
    )
    if _names_pretrained(weights):
        raise ValueError(
            f"{name} has no pre-trained weights to download; `weights` must be None or a weights file saved "
            f"from {name}. Received: weights={weights!r}"
        )
    image = image_input(input_shape, input_tensor, default_shape)
    minimum = 1
    for _, kernel, pool in reversed(convolutions):  # the smallest input that leaves a 1x1 map
        minimum = (2 * minimum if pool else minimum) + kernel - 1
    _require_min_size(image, minimum, name)
    x, features = image, {}
    for index, (filters, kernel, pool) in enumerate(convolutions, start=1):
        x = layers.Conv2D(filters, kernel, activation="relu", name=f"conv{index}")(x)
        if pool:
            x = layers.MaxPooling2D(name=f"pool{index}")(x)
        features[f"conv{index}"] = x

    def top(x):
        x = layers.Flatten(name="flatten")(x)
        for index, width in enumerate(dense, start=1):
            x = layers.Dense(width, activation="relu", name=f"fc{index}")(x)
        return x

    return image_model(
        image,
        features,
        top=top,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
        return_features=return_features,
        name=name,
    )


_PLAIN_CNN = dict(family="cnn", task="image-classification", outputs="probabilities", arguments_of=_plain_cnn)


@register(
    **_PLAIN_CNN,
    inputs=image_input_spec(SIMPLE_CNN_SHAPE),
    paper="The Keras MNIST convnet (TensorFlow CNN tutorial)",
    small_config={"input_shape": SIMPLE_CNN_SHAPE, "classes": 5},
)
def simple_cnn(**kwargs):
    """The classic MNIST convnet: Conv32-3x3, MaxPool, Conv64-3x3, MaxPool, Conv64-3x3, Dense64."""
    table = ((32, 3, True), (64, 3, True), (64, 3, False))
    return _plain_cnn(table, (64,), SIMPLE_CNN_SHAPE, **{"name": "simple_cnn", **kwargs})


@register(
    **_PLAIN_CNN,
    inputs=image_input_spec(LENET5_SHAPE),
    paper="LeCun et al. 1998, Gradient-based learning applied to document recognition",
    small_config={"input_shape": LENET5_SHAPE, "classes": 5},
)
def lenet5(**kwargs):
    """LeNet-5 as usually built today: Conv6-5x5, MaxPool, Conv16-5x5, MaxPool, Dense120, Dense84 (ReLU)."""
    return _plain_cnn(((6, 5, True), (16, 5, True)), (120, 84), LENET5_SHAPE, **{"name": "lenet5", **kwargs})


def _resnet(
    stages: tuple[int, ...],
    bottleneck: bool,
    *,
    include_top: bool = True,
    input_shape=None,
    input_tensor=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    weights=None,
    return_features: bool = False,
    width: int = 64,
    variant: str | None = None,
    name: str = "resnet",
):
    """ResNet v1 (post-activation, no conv bias): a 7x7/2 stem, a 3x3/2 max pool, then `stages` of units.

    Stage i (conv2 ... conv5 in the paper's table) has `stages[i]` units of width `width * 2**i` (64 in
    the paper); its first unit strides by 2, except in conv2 which follows the max pool. Features are
    named after the stages. Strided convolutions and the max pool pad symmetrically, as every reference
    implementation does. `variant` places a bottleneck unit's stride: "v1.5" (the default) on its 3x3
    convolution, as torchvision, timm and keras-hub, whose checkpoints are the ones in use today; "v1" on
    its first 1x1, as the paper's Caffe models and keras.applications. Basic units (ResNet-18/34) are the
    same in both; None (the default) is "v1.5", or the layout of the `weights`.

    `weights` may also name pre-trained weights: "imagenet" (keras.applications' ResNet50 file and cache,
    variant "v1"), or a timm ResNet checkpoint, `hf:timm/resnet50.a1_in1k` or its folder (variant "v1.5");
    see `models.preprocess_input` for what their images need.
    """
    check_image_head(
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
    )
    require_positive_int(width=width)
    image = image_input(input_shape, input_tensor, RESNET_SHAPE)
    # As keras.applications: below 32x32 the last stages would see 1x1 maps.
    _require_min_size(image, MIN_RESNET_SIZE, name)
    pretrained = None
    if _names_pretrained(weights):
        # The download (or the cache) is settled and checked against the arguments before the model is built.
        variant, width, pretrained = _pretrained(
            weights, name, variant=variant, width=width, include_top=include_top, classes=classes, image=image
        )
        weights = None
    variant = variant or "v1.5"
    x = blocks.conv_bn_act(image, width, 7, strides=2, name=names.RESNET_STEM)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)  # after a ReLU, zeros never win the max
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    features = {names.RESNET_STEM: x}
    for stage, units in enumerate(stages):
        for unit in range(units):
            strides = 2 if unit == 0 and stage > 0 else 1
            name_prefix = names.resnet_unit(stage + 2, unit + 1)
            x = blocks.residual_block(
                x, width * 2**stage, strides=strides, bottleneck=bottleneck, variant=variant, name=name_prefix
            )
        features[names.resnet_stage(stage + 2)] = x
    model = image_model(
        image,
        features,
        top=layers.GlobalAveragePooling2D(name="avg_pool"),
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
        return_features=return_features,
        name=name,
    )
    if pretrained is not None:
        pretrained(model)
    return model


def _names_pretrained(weights) -> bool:
    """`weights` names pre-trained weights ("imagenet", a Hub source, a checkpoint folder), not a file."""
    return weights == "imagenet" or hub.is_hub_source(weights) or (weights is not None and os.path.isdir(weights))


def _pretrained(weights, name, *, variant, width, include_top, classes, image):
    """(variant, width, a function that loads the weights into the built model), after checking the
    builder's arguments against the weights and fetching them."""
    channels = image.shape[-1]
    if weights == "imagenet":
        imagenet.check_imagenet_arguments(name, include_top=include_top, classes=classes, channels=channels)
        _require_layout(weights, "v1", 64, variant=variant, width=width)
        path = imagenet.resnet50_file(include_top)

        def load(model):  # v1 at width 64, with the file's top (or none): keras.applications' own layers
            load_keras_applications(model, reference_resnet50(path))

        return "v1", 64, load
    checkpoint = _timm.TimmResNet(weights)
    _timm.check_arguments(checkpoint, name, include_top=include_top, classes=classes, channels=channels)
    _require_layout(weights, "v1.5", checkpoint.width, variant=variant, width=width)
    return "v1.5", checkpoint.width, lambda model: _timm.load(model, checkpoint)


def _require_layout(weights, layout: str, source_width: int, *, variant, width) -> None:
    if variant not in (None, layout):
        raise ValueError(f"weights={weights!r} are ResNet {layout}. Received: variant={variant!r}")
    if width not in (64, source_width):  # 64 is the default: a narrow checkpoint sets its own width
        raise ValueError(f"weights={weights!r} have width {source_width}. Received: width={width!r}")


_RESNET = dict(
    family="resnet",
    task="image-classification",
    inputs=image_input_spec(RESNET_SHAPE),
    outputs="probabilities",
    paper="He et al. 2016, Deep residual learning for image recognition; v1.5 by default (variant='v1' for "
    "keras.applications' layout)",
    small_config=_TINY_RESNET,
    arguments_of=_resnet,
)


@register(**_RESNET)
def resnet18(**kwargs):
    """ResNet-18 (He et al. 2016): basic units in stages of 2, 2, 2, 2."""
    return _resnet((2, 2, 2, 2), bottleneck=False, **{"name": "resnet18", **kwargs})


@register(**_RESNET)
def resnet34(**kwargs):
    """ResNet-34 (He et al. 2016): basic units in stages of 3, 4, 6, 3."""
    return _resnet((3, 4, 6, 3), bottleneck=False, **{"name": "resnet34", **kwargs})


@register(**_RESNET)
def resnet50(**kwargs):
    """ResNet-50 (He et al. 2016): bottleneck units in stages of 3, 4, 6, 3."""
    return _resnet((3, 4, 6, 3), bottleneck=True, **{"name": "resnet50", **kwargs})
