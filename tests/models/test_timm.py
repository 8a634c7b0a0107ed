"""timm ResNet checkpoints (hf:timm/resnet50.a1_in1k and the others) as kerazoo's v1.5 ResNets.

Parity: timm itself builds each ResNet with random weights and random batch-norm statistics, writes it
with its own `save_for_hf` (config.json + model.safetensors, as on the Hub) and computes the logits; the
zoo model built from that folder must give the same. timm runs in a process of its own (PyTorch's and
TensorFlow's native libraries have crashed each other in one process: triton's LLVM against
TensorFlow's); KERAZOO_TIMM_PYTHON names another interpreter that has timm, else this one's is used.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hub_server import LocalHub

from kerazoo import models
from kerazoo.models import _timm

hf_constants = pytest.importorskip("huggingface_hub.constants")
pytest.importorskip("safetensors")

TIMM_PYTHON = os.environ.get("KERAZOO_TIMM_PYTHON", sys.executable)
SIZE = 64

REFERENCE = textwrap.dedent(
    """
    import json, sys
    import numpy as np, torch, timm
    from timm.models._hub import save_for_hf

    folder, architecture, kwargs, size = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
    torch.manual_seed(0)
    model = timm.create_model(architecture, pretrained=False, **kwargs).eval()
    with torch.no_grad():  # statistics away from (0, 1), so each batch norm does something
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
        save_for_hf(model, folder, safe_serialization=True)  # as timm's Hub repositories hold it
        images = np.random.default_rng(0).uniform(-2, 2, (2, size, size, 3)).astype("float32")
        logits = model(torch.from_numpy(images).permute(0, 3, 1, 2)).numpy()
    np.save(f"{folder}.images.npy", images)
    np.save(f"{folder}.logits.npy", logits)
    """
)


def timm_reference(folder, architecture: str, **kwargs):
    """(checkpoint folder, images, timm's logits) for a timm ResNet with random weights."""
    probe = subprocess.run([TIMM_PYTHON, "-c", "import timm, torch"], capture_output=True)
    if probe.returncode:
        pytest.skip(f"timm and torch are not importable by {TIMM_PYTHON} (set KERAZOO_TIMM_PYTHON)")
    arguments = [str(folder), architecture, json.dumps(kwargs), str(SIZE)]
    subprocess.run([TIMM_PYTHON, "-c", REFERENCE, *arguments], check=True, capture_output=True)
    return folder, np.load(f"{folder}.images.npy"), np.load(f"{folder}.logits.npy")


def zoo_logits(name: str, weights, images, **options):
    model = models.build(name, weights=weights, input_shape=(SIZE, SIZE, 3), classifier_activation=None, **options)
    return np.asarray(model.predict(images, verbose=0))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50"])
def test_timm_resnets_convert_to_the_v1_5_zoo_models_with_their_logits(tmp_path, name):
    folder, images, logits = timm_reference(tmp_path / name, name)
    ours = zoo_logits(name, folder, images)
    assert np.abs(ours - logits).max() < 1e-4


def timm_checkpoint(folder, model, classes: int):
    """A timm ResNet-18 checkpoint folder, written without timm: `model`'s weights under timm's names and
    layouts (what the converter reads back), with the config.json keys timm's save_for_hf writes."""
    from safetensors.numpy import save_file

    arrays = {}
    for variable in model.weights:
        value = np.asarray(variable.numpy())
        name = _timm._TIMM_NAMES(variable.path)
        value = np.transpose(value, (3, 2, 0, 1)) if value.ndim == 4 else value.T if value.ndim == 2 else value
        arrays[name] = np.ascontiguousarray(value)  # safetensors writes a transposed view's buffer as it lies
    arrays["bn1.num_batches_tracked"] = np.array(7, "int64")
    folder.mkdir()
    save_file(arrays, str(folder / "model.safetensors"))
    pretrained_cfg = {
        "input_size": [3, 224, 224],
        "mean": [0.5, 0.4, 0.3],
        "std": [0.2, 0.25, 0.5],
        "num_classes": classes,
    }
    config = {"architecture": "resnet18", "num_classes": classes, "num_features": 512, "global_pool": "avg"}
    config.update(model_args={"in_chans": 3, "num_classes": classes}, pretrained_cfg=pretrained_cfg)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def hf(tmp_path, monkeypatch):
    """huggingface_hub pointed at a local Hub, with an empty cache of this test's own."""
    with LocalHub() as hub:
        monkeypatch.setattr(hf_constants, "ENDPOINT", hub.url)
        template = hub.url + "/{repo_id}/resolve/{revision}/{filename}"
        monkeypatch.setattr(hf_constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
        monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
        monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
        yield hub


def test_hf_timm_weights_come_through_the_hub_with_their_logits_and_preprocessing(hf, tmp_path):
    source_model = models.resnet18(input_shape=(SIZE, SIZE, 3), classes=3, classifier_activation=None)
    rng = np.random.default_rng(0)
    for variable in source_model.weights:  # batch-norm statistics away from (0, 1); variances positive
        low = 0.5 if "variance" in variable.path else -0.5
        variable.assign(rng.uniform(low, low + 1, variable.shape).astype("float32"))
    hf.add("timm/resnet18.tiny_in1k", timm_checkpoint(tmp_path / "ckpt", source_model, classes=3))
    source = "hf:timm/resnet18.tiny_in1k"
    images = rng.uniform(-2, 2, (2, SIZE, SIZE, 3)).astype("float32")
    ours = zoo_logits("resnet18", source, images, classes=3)
    np.testing.assert_allclose(ours, source_model.predict(images, verbose=0), atol=1e-5)
    assert sorted(p.rsplit("/", 1)[-1] for p in hf.served()) == ["config.json", "model.safetensors"]
    pixels = np.full((1, 2, 2, 3), 255.0, "float32")
    expected = (1 - np.array([0.5, 0.4, 0.3])) / np.array([0.2, 0.25, 0.5])  # the checkpoint's own mean and std
    np.testing.assert_allclose(models.preprocess_input(source, pixels)[0, 0, 0], expected, rtol=1e-5)


def write_config(folder, **config):
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"num_classes": 5, "model_args": {"num_classes": 5}, **config}))
    return folder


def test_another_timm_architecture_is_refused_naming_it(tmp_path):
    folder = write_config(tmp_path / "d", architecture="resnet50d")
    with pytest.raises(ValueError, match="timm's 'resnet50d'.*plain resnet18, resnet34, resnet50"):
        models.resnet50(weights=folder)


def test_the_checkpoints_architecture_and_classes_are_required(tmp_path):
    folder = write_config(tmp_path / "r50", architecture="resnet50")
    with pytest.raises(ValueError, match="build models.resnet50"):
        models.resnet18(weights=folder)
    with pytest.raises(ValueError, match="`classes`=1000 does not fit .* 5 classes"):
        models.resnet50(weights=folder)
    with pytest.raises(ValueError, match="are ResNet v1.5. Received: variant='v1'"):
        models.resnet50(weights=folder, classes=5, variant="v1")


def test_model_args_that_change_the_network_are_refused(tmp_path):
    folder = write_config(tmp_path / "deep", architecture="resnet50", model_args={"stem_type": "deep"})
    with pytest.raises(ValueError, match="model_args .*'stem_type': 'deep'"):
        models.resnet50(weights=folder, classes=5)
