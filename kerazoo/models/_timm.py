"""timm's ResNet checkpoints (`hf:timm/resnet50.a1_in1k` and the others) in kerazoo's v1.5 ResNets.

A timm Hub repository (or a folder written by timm's `save_for_hf`) holds `config.json`, with the
timm `architecture`, `num_classes`, the `model_args` it was built with and the `pretrained_cfg`
(preprocessing), and `model.safetensors`, the PyTorch state dict. timm's plain ResNets are torchvision's
layout: a 7x7 stem, symmetric padding, the stride of a bottleneck unit on its 3x3 convolution (v1.5),
batch normalization with epsilon 1e-5, as kerazoo's. Read with safetensors' NumPy API: no PyTorch needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerazoo import hub, names
from kerazoo._optional import require
from kerazoo.models._transplant import Checkpoint, renamer, transplant

ARCHITECTURES = ("resnet18", "resnet34", "resnet50")
FILES = ("config.json", "model.safetensors")

# model_args that do not change the weights' meaning (regularisation in training only).
_TRAINING_ONLY = ("drop_rate", "drop_path_rate", "drop_block_rate", "zero_init_last")

# kerazoo's weight paths as timm's state-dict names: stages conv2..conv5 are layer1..layer4, units count
# from 0, part N's batch norm is bnN, the projection shortcut is downsample.0 (conv) and .1 (norm).
_TIMM_NAMES = renamer(
    (rf"^{names.RESNET_STEM}_{names.CONV}/", "conv1/"),
    (rf"^{names.RESNET_STEM}_{names.BATCH_NORM}/", "bn1/"),
    (names.RESNET_UNIT_PATTERN, lambda m: f"layer{int(m[1]) - 1}.{int(m[2]) - 1}."),
    (rf"\.{names.PROJECTION}_{names.CONV}/", ".downsample.0/"),
    (rf"\.{names.PROJECTION}_{names.BATCH_NORM}/", ".downsample.1/"),
    (rf"\.(\d)_{names.CONV}/", r".conv\1/"),
    (rf"\.(\d)_{names.BATCH_NORM}/", r".bn\1/"),
    (rf"^{names.HEAD}/", "fc/"),
    (r"/(kernel|gamma)$", ".weight"),
    (r"/(bias|beta)$", ".bias"),
    (r"/moving_mean$", ".running_mean"),
    (r"/moving_variance$", ".running_var"),
)


class TimmResNet:
    """A timm ResNet checkpoint: its folder, config and what it fixes of the zoo model."""

    def __init__(self, source):
        self.source = source
        self.folder = hub.resolve(source, files=FILES)
        self.config = read_config(self.folder, source)
        self.architecture = self.config.get("architecture")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"{source} is timm's {self.architecture!r} (config.json's architecture); kerazoo takes timm's "
                f"plain {', '.join(ARCHITECTURES)}."
            )
        self.num_classes = self.config.get("num_classes", self.pretrained_cfg.get("num_classes"))
        self.width = self._width()

    @property
    def pretrained_cfg(self) -> dict:
        # timm's older single-dict config.json holds the pretrained_cfg at its top level.
        return self.config.get("pretrained_cfg", self.config)

    def _width(self) -> int:
        """kerazoo's `width`: timm's plain ResNets are 64 wide (their stem is, whatever `stem_width` says);
        a checkpoint built with other model_args that change the network is refused."""
        args = dict(self.config.get("model_args") or {})
        args.pop("stem_width", None)  # read by timm's deep stems only, refused below through stem_type
        expected = {
            "in_chans": 3,
            "global_pool": "avg",
            "num_classes": self.num_classes,
            "channels": [64, 128, 256, 512],
        }
        other = {
            key: value
            for key, value in args.items()
            if key not in _TRAINING_ONLY
            and (list(value) if isinstance(value, tuple) else value) != expected.get(key, ())
        }
        if other:
            raise ValueError(
                f"{self.source} was built with model_args {other}; kerazoo's {self.architecture} is timm's with "
                "3 input channels, average pooling and channels (64, 128, 256, 512)."
            )
        return 64

    def weights(self) -> Checkpoint:
        safetensors = require("safetensors", "Reading timm checkpoints")
        path = self.folder / "model.safetensors"
        if not path.is_file():
            pickles = hub.pickled_weights(self.source, self.folder)
            holds = f"holds only {', '.join(pickles)}" if pickles else "has no model.safetensors"
            raise ValueError(f"{self.source} {holds}; kerazoo reads safetensors only and never unpickles.")
        try:
            with safetensors.safe_open(str(path), framework="numpy") as tensors:
                arrays = {key: tensors.get_tensor(key) for key in tensors.keys()}  # noqa: SIM118
        except (safetensors.SafetensorError, OSError, ValueError) as error:
            raise ValueError(f"{str(path)!r} is not a readable safetensors file ({error})") from None
        checkpoint = Checkpoint(arrays, f"{self.source} ({self.architecture})", has_head="fc.weight" in arrays)
        # PyTorch's count of training batches seen: no part of the function the network computes.
        checkpoint.taken.update(key for key in arrays if key.endswith(".num_batches_tracked"))
        return checkpoint


def read_config(folder: Path, source) -> dict:
    config = hub.read_config(folder, source, library="timm")
    if "architecture" not in config:
        raise ValueError(f"{source}'s config.json names no timm architecture: is it a timm checkpoint?")
    return config


def check_arguments(checkpoint: TimmResNet, model_name: str, *, include_top: bool, classes: int, channels) -> None:
    """The builder's arguments against what the checkpoint fixes, before the model is built."""
    if checkpoint.architecture != model_name:
        raise ValueError(
            f"`weights` {checkpoint.source} are timm's {checkpoint.architecture}; "
            f"build models.{checkpoint.architecture}."
        )
    if include_top and checkpoint.num_classes and classes != checkpoint.num_classes:
        raise ValueError(
            f"`classes`={classes} does not fit {checkpoint.source}, whose head has {checkpoint.num_classes} "
            f"classes. Pass classes={checkpoint.num_classes}, or include_top=False and add your own head."
        )
    if channels != 3:
        raise ValueError(
            f"{checkpoint.source} takes 3-channel (RGB) images. Received: input_shape with {channels} channels"
        )


def load(model, checkpoint: TimmResNet) -> None:
    """Every weight of the zoo ResNet (v1.5, built at the checkpoint's width) from the checkpoint: PyTorch's
    (out, in, h, w) kernels become Keras's (h, w, in, out), the Linear head's (out, in) its (in, out)."""
    arrays = checkpoint.weights()
    if not any(w.path.startswith(f"{names.HEAD}/") for w in model.weights):
        arrays.taken.update(key for key in arrays.arrays if key.startswith("fc."))  # include_top=False

    def fetch(path: str):
        name = _TIMM_NAMES(path)
        if not path.endswith("/kernel"):
            return name
        value = arrays.take(name)
        return np.transpose(value, (2, 3, 1, 0)) if value.ndim == 4 else value.T

    transplant(model, arrays, fetch)


def preprocessing_settings(source) -> dict:
    """The checkpoint's normalization and evaluation size, from its config.json's pretrained_cfg (only
    config.json is fetched), as `imagenet.Preprocessing`'s fields of its "normalize" mode."""
    folder = hub.resolve(source, files=("config.json",))
    config = read_config(folder, source)
    cfg = config.get("pretrained_cfg", config)
    size = tuple(cfg.get("input_size", (3, 224, 224)))[1:]
    return {
        "mean": tuple(cfg.get("mean", (0.485, 0.456, 0.406))),
        "std": tuple(cfg.get("std", (0.229, 0.224, 0.225))),
        "input_size": size,
        "interpolation": cfg.get("interpolation", "bilinear"),
        "crop_pct": cfg.get("crop_pct", 0.875),
    }
