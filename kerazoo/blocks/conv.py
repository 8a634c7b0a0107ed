"""Convolutional blocks: conv-BN-activation, residual units and squeeze-and-excitation."""

from __future__ import annotations

from keras import layers

from kerazoo import names
from kerazoo._validation import (
    boolean_flags,
    require_activation,
    require_choice,
    require_positive_int,
    require_rank,
    unique_name,
)

RESNET_VARIANTS = ("v1.5", "v1")

# PyTorch's default, shared by the reference ResNets; Keras's 1e-3 would shift pretrained statistics.
BATCH_NORM_EPSILON = 1e-5


def _require_image(x) -> None:
    """A float image batch with a known channel count: what a convolution's kernel is built for."""
    require_rank("x", x, 4, "(batch, height, width, channels) with channels last")
    if "float" not in str(x.dtype):  # a uint8 batch would fail inside the convolution, at run time
        raise TypeError(
            f"`x` must be a float image tensor; scale integer pixels first, e.g. keras.layers.Rescaling(1 / 255) "
            f"turns uint8 into floats in [0, 1]. Received: x.dtype={x.dtype}"
        )
    if x.shape[-1] is None:
        raise ValueError(
            f"`x` must have a known number of channels (its last axis) to build the kernels. Received: "
            f"x.shape={tuple(x.shape)}"
        )


def conv_bn_act(x, filters: int, kernel_size: int = 3, *, strides: int = 1, activation="relu", name=None):
    """Convolution (no bias), batch normalization, then an activation.

    The output has `ceil(size / strides)` rows and columns, as with 'same' padding. A strided convolution
    pads symmetrically first (`ZeroPadding2D`, then 'valid'), as keras.applications, keras-hub and
    torchvision do; 'same' would pad 0 before and 1 after on even sizes, and shift every later feature map.

    Args:
        x: 4-D image tensor, channels last.
        filters: number of output channels.
        kernel_size: side of the square kernel.
        strides: convolution stride; 2 halves the spatial size.
        activation: a Keras activation name or callable; `None` skips the activation.
        name: prefix for the layers (`{name}_conv`, `{name}_bn`, `{name}_act`).

    Returns:
        The activated feature map, `filters` channels.
    """
    _require_image(x)
    require_positive_int(filters=filters, kernel_size=kernel_size, strides=strides)
    require_activation("activation", activation)
    name = name or unique_name("conv_bn_act")
    padding = "same"
    if strides > 1 and kernel_size > 1:
        x = layers.ZeroPadding2D((kernel_size - 1) // 2, name=f"{name}_pad")(x)
        padding = "valid"
    x = layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,  # BatchNormalization's offset makes a bias redundant
        kernel_initializer="he_normal",
        name=f"{name}_{names.CONV}",
    )(x)
    x = layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, name=f"{name}_{names.BATCH_NORM}")(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_act")(x)
    return x


def squeeze_excite(x, ratio: float = 0.25, *, name=None):
    """Hu et al. (2018) squeeze-and-excitation: rescale each channel by a gate computed from all channels.

    Args:
        x: 4-D image tensor, channels last.
        ratio: width of the bottleneck as a fraction of the channels, in (0, 1].
        name: prefix for the layers.

    Returns:
        `x` with every channel multiplied by its gate in (0, 1).
    """
    _require_image(x)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0.0 < ratio <= 1.0:
        raise ValueError(f"`ratio` must be a number in (0, 1]. Received: ratio={ratio!r}")
    name = name or unique_name("squeeze_excite")
    channels = x.shape[-1]
    gate = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_squeeze")(x)  # (batch, 1, 1, channels)
    gate = layers.Dense(max(1, int(channels * ratio)), activation="relu", name=f"{name}_reduce")(gate)
    gate = layers.Dense(channels, activation="sigmoid", name=f"{name}_expand")(gate)
    return layers.Multiply(name=f"{name}_scale")([x, gate])


# `residual_block` has an argument named `squeeze_excite`; this name reaches the function from inside it.
_squeeze_excite = squeeze_excite


@boolean_flags
def residual_block(
    x,
    filters: int,
    *,
    strides: int = 1,
    bottleneck: bool = False,
    variant: str = "v1.5",
    squeeze_excite: bool = False,
    name=None,
):
    """He et al. (2016) residual unit: conv-BN-ReLU stack plus an identity or projection shortcut.

    A strided bottleneck unit strides its 3x3 convolution in `variant="v1.5"` (torchvision, timm,
    keras-hub; about half a point more ImageNet accuracy) and its first 1x1 convolution in `"v1"` (the
    paper's Caffe models, keras.applications). Both have the paper's parameter count.

    Args:
        x: 4-D image tensor, channels last.
        filters: width of the 3x3 convolutions; a bottleneck unit outputs `4 * filters` channels.
        strides: stride of the unit; 2 halves the spatial size.
        bottleneck: use the 1x1-3x3-1x1 form (ResNet-50 and deeper).
        variant: "v1.5" or "v1", where a strided bottleneck unit strides (see above).
        squeeze_excite: rescale the residual branch's channels with a squeeze-and-excitation gate.
        name: prefix for every layer the block creates.

    Returns:
        The block's output tensor.
    """
    _require_image(x)
    require_positive_int(filters=filters, strides=strides)
    require_choice("variant", variant, RESNET_VARIANTS)
    name = name or unique_name("residual")
    out_channels = 4 * filters if bottleneck else filters
    shortcut = x
    if strides != 1 or x.shape[-1] != out_channels:
        shortcut = conv_bn_act(x, out_channels, 1, strides=strides, activation=None, name=f"{name}_{names.PROJECTION}")
    if bottleneck:
        stride_1x1, stride_3x3 = (strides, 1) if variant == "v1" else (1, strides)
        y = conv_bn_act(x, filters, 1, strides=stride_1x1, name=f"{name}_1")
        y = conv_bn_act(y, filters, 3, strides=stride_3x3, name=f"{name}_2")
        y = conv_bn_act(y, out_channels, 1, activation=None, name=f"{name}_3")
    else:
        y = conv_bn_act(x, filters, 3, strides=strides, name=f"{name}_1")
        y = conv_bn_act(y, filters, 3, activation=None, name=f"{name}_2")
    if squeeze_excite:
        y = _squeeze_excite(y, name=f"{name}_se")
    return layers.Activation("relu", name=f"{name}_out")(layers.Add(name=f"{name}_add")([shortcut, y]))
