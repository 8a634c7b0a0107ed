"""Checkpoint folders written by hand for the converter and download tests. A module of its own, since
`from conftest import ...` finds whichever conftest.py was imported first."""

import json

import numpy as np


class TinyGPT2Checkpoint:
    """A Hugging Face GPT-2 folder written by hand (config.json + model.safetensors), to test conversion
    and its refusals without transformers or PyTorch."""

    def __init__(self):
        self.config = {"model_type": "gpt2", "vocab_size": 10, "n_positions": 4, "n_embd": 4, "n_layer": 1, "n_head": 2}

    @staticmethod
    def arrays() -> dict:
        shapes = {"wte.weight": (10, 4), "wpe.weight": (4, 4), "ln_f.weight": (4,), "ln_f.bias": (4,)}
        for norm in ("ln_1", "ln_2"):
            shapes.update({f"h.0.{norm}.weight": (4,), f"h.0.{norm}.bias": (4,)})
        shapes.update({"h.0.attn.c_attn.weight": (4, 12), "h.0.attn.c_attn.bias": (12,)})
        shapes.update({"h.0.attn.c_proj.weight": (4, 4), "h.0.attn.c_proj.bias": (4,)})
        shapes.update({"h.0.mlp.c_fc.weight": (4, 16), "h.0.mlp.c_fc.bias": (16,)})
        shapes.update({"h.0.mlp.c_proj.weight": (16, 4), "h.0.mlp.c_proj.bias": (4,)})
        rng = np.random.default_rng(0)
        return {name: rng.normal(size=shape).astype("float32") for name, shape in shapes.items()}

    def write(self, folder, *, config=None, arrays=None):
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(config or self.config))
        save_file(arrays if arrays is not None else self.arrays(), str(folder / "model.safetensors"))
        return folder


def write_hugging_face_checkpoint(kind: str, folder):
    """A tiny random Hugging Face checkpoint with its tokenizer, as a Hub repository holds it: what
    tests/models/hugging_face_text_reference.py writes for KIND ("gpt2", "bert", "bert-classifier") but its
    reference.npz. transformers and PyTorch run in a process of their own (they cannot share one with
    TensorFlow); the caller skips without them."""
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writer = Path(__file__).parent / "models" / "hugging_face_text_reference.py"
    written = subprocess.run(
        [sys.executable, str(writer), kind, str(folder)], capture_output=True, text=True, timeout=300
    )
    if written.returncode != 0:
        raise RuntimeError(f"{writer.name} {kind} failed:\n{written.stderr[-3000:]}")
    (folder / "reference.npz").unlink()
    return folder


# A stand-in for keras.applications' imagenet_class_index.json: the same layout, made-up class names.
TEST_CLASS_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}


def write_imagenet_cache(folder, *, seed: int = 0) -> dict:
    """A Keras cache folder (KERAS_HOME/models) holding what `resnet50(weights="imagenet")` and
    `decode_predictions` read: keras.applications' ResNet50 weights file with its top (the legacy HDF5
    layout Keras publishes, about 100 MB, random weights) and a class index of made-up names. Returns
    {file name: md5}: the hashes these files have, which a test puts in place of the published ones."""
    import hashlib
    from pathlib import Path

    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    from kerazoo.models import imagenet

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights, _ = imagenet.RESNET50_FILES[True]
    reference = keras.applications.ResNet50(weights=None)
    rng = np.random.default_rng(seed)
    for variable in reference.weights:  # small weights, positive moving variances: finite outputs at 224 x 224
        low = 0.5 if "variance" in variable.path else -0.1
        variable.assign(rng.uniform(low, low + 0.6 if "variance" in variable.path else 0.1, variable.shape))
    with h5py.File(folder / weights, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, reference)
    (folder / "imagenet_class_index.json").write_text(json.dumps(TEST_CLASS_INDEX))
    names = (weights, "imagenet_class_index.json")
    return {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in names}


def bert_arrays(config: dict, *, num_classes: int | None = None, seed: int = 0) -> dict:
    """A BertModel's tensors at `config`'s sizes (a Hugging Face BERT config.json), random, named as
    transformers names them; with `num_classes`, BertForSequenceClassification's (under "bert.", plus its
    classifier)."""
    width, inner = config["hidden_size"], config["intermediate_size"]
    shapes = {
        "embeddings.word_embeddings.weight": (config["vocab_size"], width),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], width),
        "embeddings.token_type_embeddings.weight": (config.get("type_vocab_size", 2), width),
        "embeddings.LayerNorm.weight": (width,),
        "embeddings.LayerNorm.bias": (width,),
    }
    linears = {f"attention.self.{p}": (width, width) for p in ("query", "key", "value")}
    linears.update({"attention.output.dense": (width, width), "intermediate.dense": (inner, width)})
    linears["output.dense"] = (width, inner)
    for layer in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        for name, (out, inp) in linears.items():
            shapes.update({f"{prefix}{name}.weight": (out, inp), f"{prefix}{name}.bias": (out,)})
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes.update({f"{prefix}{norm}.weight": (width,), f"{prefix}{norm}.bias": (width,)})
    shapes.update({"pooler.dense.weight": (width, width), "pooler.dense.bias": (width,)})
    if num_classes:
        shapes = {f"bert.{name}": shape for name, shape in shapes.items()}
        shapes.update({"classifier.weight": (num_classes, width), "classifier.bias": (num_classes,)})
    rng = np.random.default_rng(seed)
    return {name: rng.normal(0, 0.5, shape).astype("float32") for name, shape in shapes.items()}
