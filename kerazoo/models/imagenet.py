"""ImageNet weights' files and conventions: keras.applications' own files in its own cache, each set of
weights' preprocessing, and the class names.

    model = models.resnet50(weights="imagenet")            # keras.applications' file, ~/.keras/models
    x = models.preprocess_input("imagenet", images)         # pixels in [0, 255] -> what those weights expect
    models.decode_predictions(model.predict(x), top=3)     # [[(wnid, name, probability), ...], ...]

Files come through `keras.utils.get_file` from keras.applications' origins, checked against its hashes and
kept in its cache (`KERAS_HOME/models`, by default `~/.keras/models`), so a file either of them downloaded
serves both. Unlike `get_file`, a download is written beside its final name and renamed only once whole
and checked: a download killed at any point leaves the cache as it was.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerazoo import hub
from kerazoo._io import atomic_path
from kerazoo.models import _timm

# keras.applications' origins and hashes (keras/src/applications/resnet.py, imagenet_utils.py); a test
# checks they are still Keras's own.
RESNET50_ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
RESNET50_FILES = {  # include_top -> (file name, md5)
    True: ("resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161c43110f7111970584f804107"),
    False: ("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626"),
}
CLASS_INDEX_ORIGIN = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
IMAGENET_CLASSES = 1000

# Caffe's BGR channel means, which keras.applications' ResNet50 weights were trained with.
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


@dataclass(frozen=True)
class Preprocessing:
    """How a set of weights wants its images: "caffe" (RGB -> BGR, minus the BGR means, no scaling) or
    "normalize" (x / 255, minus `mean`, over `std`, RGB); plus the input size and resize they were
    evaluated with (timm's pretrained_cfg), for pipelines that resize."""

    mode: str
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    input_size: tuple[int, int] = (224, 224)
    interpolation: str = "bilinear"
    crop_pct: float = 0.875

    def affine(self) -> tuple[bool, np.ndarray, np.ndarray]:
        """(whether the channels turn to BGR, then the per-channel `scale` and `offset`): pixels in [0, 255]
        become `x * scale + offset`, which is all either mode does (for pipelines that apply it themselves)."""
        if self.mode == "caffe":
            return True, np.ones(3, "float32"), -np.asarray(_CAFFE_MEAN_BGR, "float32")
        std = np.asarray(self.std, "float32")
        return False, (1 / (255 * std)).astype("float32"), (-np.asarray(self.mean, "float32") / std).astype("float32")


def preprocessing(name) -> Preprocessing:
    """The preprocessing of weights `name`: "imagenet" (or "resnet50", keras.applications' ResNet50), or
    the `hf:ORG/NAME` source or folder of a timm checkpoint (its config.json's pretrained_cfg)."""
    if name in ("imagenet", "resnet50"):
        return Preprocessing("caffe")
    if hub.is_hub_source(name) or (isinstance(name, (str, os.PathLike)) and os.path.isdir(name)):
        return Preprocessing("normalize", **_timm.preprocessing_settings(name))
    raise ValueError(
        "`name` must be the weights the model was built with: 'imagenet' (keras.applications' ResNet50; "
        f"'resnet50' says the same), or a timm checkpoint's hf:ORG/NAME or folder. Received: name={name!r}"
    )


def preprocess_input(name, images):
    """Images with pixels in [0, 255] (RGB, channels last; NumPy or a backend tensor, any float or integer
    dtype) prepared as weights `name` expect them, as keras.applications' `preprocess_input` does.

    Args:
        name: the `weights=` the model was built with: "imagenet" (caffe style: BGR, mean-centred, not
            scaled), or a timm checkpoint's `hf:ORG/NAME` or folder (scaled to [0, 1], normalised with its
            mean and std).
        images: a (height, width, 3) image or a (batch, height, width, 3) batch. Unlike keras.applications,
            NumPy input is never written over.

    Returns:
        float32 images of the same shape, NumPy for NumPy input, else a backend tensor.
    """
    bgr, scale, offset = preprocessing(name).affine()
    shape = tuple(getattr(images, "shape", np.shape(images)))
    if len(shape) not in (3, 4) or shape[-1] != 3:
        raise ValueError(
            "`images` must be (height, width, 3) or (batch, height, width, 3), RGB, channels last. "
            f"Received: images.shape={shape}"
        )
    if isinstance(images, (np.ndarray, list, tuple)) or np.isscalar(images):
        x = np.asarray(images, dtype="float32")
        x = x[..., ::-1] if bgr else x
        return (x * scale + offset).astype("float32")
    from keras import ops

    x = ops.cast(images, "float32")
    x = ops.flip(x, axis=-1) if bgr else x
    return x * scale + offset


def decode_predictions(probabilities, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The `top` ImageNet classes of each row, as keras.applications' `decode_predictions`.

    Args:
        probabilities: (batch, 1000) scores (probabilities or logits) of a model with ImageNet weights.
        top: how many classes to name per row, best first.

    Returns:
        One list per row of (WordNet id, class name, score) tuples.

    Raises:
        FileNotFoundError: the class index (keras.applications' imagenet_class_index.json) is not in the
            Keras cache and cannot be downloaded; the message says where to put it.
    """
    from keras import ops

    scores = ops.convert_to_numpy(probabilities)
    if scores.ndim != 2 or scores.shape[1] != IMAGENET_CLASSES:
        raise ValueError(
            f"`probabilities` must be (batch, {IMAGENET_CLASSES}): an ImageNet model's output. "
            f"Received: probabilities.shape={scores.shape}"
        )
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= IMAGENET_CLASSES:
        raise ValueError(f"`top` must be an integer from 1 to {IMAGENET_CLASSES}. Received: top={top!r}")
    index = _class_index(keras_file("imagenet_class_index.json", CLASS_INDEX_ORIGIN, CLASS_INDEX_HASH))
    results = []
    for row in scores:
        best = np.argsort(-row, kind="stable")[:top]
        results.append([(*index[int(i)], float(row[i])) for i in best])
    return results


@functools.lru_cache(maxsize=4)
def _class_index(path: Path) -> tuple[tuple[str, str], ...]:
    table = json.loads(path.read_text(encoding="utf8"))
    return tuple(tuple(table[str(i)]) for i in range(IMAGENET_CLASSES))


def check_imagenet_arguments(model_name: str, *, include_top: bool, classes: int, channels) -> None:
    """keras.applications' rules for `weights="imagenet"`, before anything is downloaded or built."""
    if model_name != "resnet50":
        raise ValueError(
            f"weights='imagenet' is keras.applications' ResNet50; it has no {model_name}. For ImageNet weights "
            f"of {model_name}, pass a timm checkpoint, e.g. weights='hf:timm/{model_name}.a1_in1k'."
        )
    if include_top and classes != IMAGENET_CLASSES:
        raise ValueError(
            f"weights='imagenet' with include_top=True needs `classes`={IMAGENET_CLASSES}, the ImageNet head. "
            f"Received: classes={classes}. Pass include_top=False and add your own head."
        )
    if channels != 3:
        raise ValueError(
            f"weights='imagenet' needs images of 3 channels (RGB). Received: input_shape with {channels} channels"
        )


def resnet50_file(include_top: bool) -> Path:
    """keras.applications' ResNet50 weights file (with or without its top), from the Keras cache or
    downloaded into it."""
    file_name, file_hash = RESNET50_FILES[include_top]
    return keras_file(file_name, RESNET50_ORIGIN + file_name, file_hash)


def keras_file(file_name: str, origin: str, file_hash: str) -> Path:
    """`file_name` in the Keras cache when its hash checks, else downloaded there with `keras.utils.get_file`
    and renamed into place once whole and checked.

    Raises:
        FileNotFoundError: the download failed (offline, a server error, a file that fails the hash); the
            message names the origin and the cache path to put the file at. Nothing is left in the cache.
    """
    target = _cache_folder() / file_name
    if target.is_file() and _hash(target, file_hash) == file_hash:
        return target
    import keras

    try:
        with atomic_path(target) as temporary:
            # force_download: the temporary file exists (empty) and must be written, not "found incomplete".
            keras.utils.get_file(
                temporary.name,
                origin,
                cache_dir=str(temporary.parent),
                cache_subdir="",
                file_hash=file_hash,
                force_download=True,
            )
    except Exception as error:  # get_file wraps every URL failure in a bare Exception
        reason = str(error).rsplit(" -- ", 1)[-1] if " -- " in str(error) else f"{type(error).__name__}: {error}"
        raise FileNotFoundError(
            f"{file_name} is not in the Keras cache and could not be downloaded from {origin} ({reason}). "
            f"Download it where there is a connection and put it at {target} (the Keras cache: "
            "KERAS_HOME/models, ~/.keras/models by default)."
        ) from None
    return target


def _cache_folder() -> Path:
    """Where `keras.utils.get_file` keeps models: KERAS_HOME/models, or /tmp/.keras/models when KERAS_HOME
    cannot be written (get_file's own fallback)."""
    from keras.src.backend import config  # Keras's own reading of KERAS_HOME, as get_file reads it

    base = os.path.expanduser(config.keras_home())
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(base) / "models"


def _hash(path: Path, like: str) -> str:
    """The file's md5 or sha256, whichever `like` is (get_file's "auto": 64 hex digits are sha256)."""
    digest = hashlib.sha256() if len(like) == 64 else hashlib.md5()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
