"""Converters: a source model with random weights, converted, must compute the same function."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

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


# --- keras-hub (installed by CI for its slow pass; it pulls TensorFlow Text, so it is no test extra) --------

TINY_HUB = {"vocabulary_size": 50, "num_layers": 2, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32}


def randomized(model, seed: int = 0):
    """Random weights of a useful scale (the defaults' initialisers would hide a swapped LayerNorm, say)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        low = "variance" in variable.path or "gamma" in variable.path
        values = rng.uniform(0.5, 1.5, variable.shape) if low else rng.normal(0, 0.3, variable.shape)
        variable.assign(values.astype("float32"))
    return model


def padded_ids(seed: int = 1):
    ids = np.random.default_rng(seed).integers(1, 50, (2, 9)).astype("int32")
    ids[1, 6:] = 0  # the second row is padded
    return ids


@pytest.mark.slow
def test_keras_hub_gpt2_converts_to_gpt_with_the_same_logits():
    keras_hub = pytest.importorskip("keras_hub")
    reference = randomized(keras_hub.models.GPT2Backbone(**TINY_HUB, max_sequence_length=16))
    model = convert.from_keras_hub(reference)
    ids = padded_ids()
    hidden = reference({"token_ids": ids, "padding_mask": (ids != 0).astype("int32")})
    expected = keras.ops.matmul(hidden, keras.ops.transpose(reference.token_embedding.embeddings))
    real = ids != 0  # GPT-2 is causal: padding at the end changes nothing before it
    np.testing.assert_allclose(np.asarray(model(ids))[real], np.asarray(expected)[real], atol=1e-4)


@pytest.mark.slow
def test_keras_hub_bert_converts_to_the_transformer_classifier_backbone_padding_included():
    keras_hub = pytest.importorskip("keras_hub")
    reference = randomized(keras_hub.models.BertBackbone(**TINY_HUB, max_sequence_length=16, dropout=0.0))
    model = convert.from_keras_hub(reference)
    ids = padded_ids()
    segments = np.random.default_rng(2).integers(0, 2, ids.shape).astype("int32")
    expected = reference({"token_ids": ids, "segment_ids": segments, "padding_mask": (ids != 0).astype("int32")})
    outputs = model({"tokens": ids, "segment_ids": segments})
    real = ids != 0
    np.testing.assert_allclose(
        np.asarray(outputs["sequence_output"])[real], np.asarray(expected["sequence_output"])[real], atol=1e-4
    )
    np.testing.assert_allclose(outputs["pooled_output"], expected["pooled_output"], atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "block_type", "blocks"), [("resnet18", "basic_block", [2, 2, 2, 2])])
@pytest.mark.parametrize("size", [64, 65])
def test_keras_hub_resnet_converts_to_the_v1_5_zoo_resnet(name, block_type, blocks, size):
    keras_hub = pytest.importorskip("keras_hub")
    reference = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=blocks,
        stackwise_num_strides=[1, 2, 2, 2],
        block_type=block_type,
        use_pre_activation=False,
        image_shape=(None, None, 3),
    )
    model = convert.from_keras_hub(randomized(reference))
    assert model.name == name
    images = np.random.default_rng(1).uniform(0, 1, (1, size, size, 3)).astype("float32")
    np.testing.assert_allclose(model(images), reference(images), atol=1e-4)


@pytest.mark.slow
def test_a_bert_classifier_head_on_a_keras_hub_backbone_is_the_only_fresh_weight():
    keras_hub = pytest.importorskip("keras_hub")
    reference = randomized(keras_hub.models.BertBackbone(**TINY_HUB, max_sequence_length=16, dropout=0.0))
    model = convert.from_keras_hub(reference, include_top=True, num_classes=3)
    assert model.output_shape == (None, 3)
    np.testing.assert_array_equal(model.get_layer("pooler").kernel, reference.get_layer("pooled_dense").kernel)


@pytest.mark.slow
def test_a_checkpoint_setting_cannot_be_overridden():
    keras_hub = pytest.importorskip("keras_hub")
    reference = keras_hub.models.GPT2Backbone(**TINY_HUB, max_sequence_length=16)
    with pytest.raises(ValueError, match="The checkpoint fixes dim=16; these options cannot change it"):
        convert.from_keras_hub(reference, dim=32)


# --- Hugging Face (transformers and PyTorch build the reference; the converter itself needs neither) ------


def hugging_face(tmp_path, kind: str) -> dict:
    """A random checkpoint in `tmp_path` and the reference's outputs, built in a process of its own."""
    for package in ("torch", "transformers"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed")
    script = Path(__file__).with_name("hugging_face_reference.py")
    subprocess.run([sys.executable, str(script), kind, str(tmp_path)], check=True, capture_output=True)
    with np.load(tmp_path / "reference.npz") as arrays:
        return dict(arrays)


@pytest.mark.slow
def test_hugging_face_gpt2_converts_to_gpt_with_the_same_logits(tmp_path):
    reference = hugging_face(tmp_path, "gpt2")
    model = convert.from_hugging_face(tmp_path)
    ids = reference["ids"].astype("int32")
    real = ids != 0
    np.testing.assert_allclose(np.asarray(model(ids))[real], reference["logits"][real], atol=1e-4)


@pytest.mark.slow
def test_hugging_face_bert_converts_to_the_backbone_with_padding(tmp_path):
    reference = hugging_face(tmp_path, "bert")
    model = convert.from_hugging_face(tmp_path)
    ids = reference["ids"].astype("int32")
    outputs = model({"tokens": ids, "segment_ids": reference["segments"].astype("int32")})
    real = ids != 0
    np.testing.assert_allclose(np.asarray(outputs["sequence_output"])[real], reference["sequence"][real], atol=1e-4)
    np.testing.assert_allclose(outputs["pooled_output"], reference["pooled"], atol=1e-4)


@pytest.mark.slow
def test_hugging_face_bert_classifier_converts_with_its_head(tmp_path):
    reference = hugging_face(tmp_path, "bert-classifier")
    model = convert.from_hugging_face(tmp_path)
    ids = reference["ids"].astype("int32")
    logits = model({"tokens": ids, "segment_ids": reference["segments"].astype("int32")})
    np.testing.assert_allclose(logits, reference["logits"], atol=1e-4)


# --- what is refused, with no optional package needed --------------------------------------------------------


def test_a_complete_hand_written_gpt2_checkpoint_converts(tmp_path, gpt2_checkpoint):
    model = convert.from_hugging_face(gpt2_checkpoint.write(tmp_path))
    assert model.count_params() == sum(a.size for a in gpt2_checkpoint.arrays().values())


def test_a_missing_tensor_is_named(tmp_path, gpt2_checkpoint):
    arrays = gpt2_checkpoint.arrays()
    del arrays["h.0.mlp.c_fc.bias"]
    with pytest.raises(
        ValueError, match=r"has no tensor 'h.0.mlp.c_fc.bias'.* gpt's 'decoder1/ffn_inner/bias' \(16,\) needs it"
    ):
        convert.from_hugging_face(gpt2_checkpoint.write(tmp_path, arrays=arrays))


def test_a_tensor_left_over_is_named_with_its_shape(tmp_path, gpt2_checkpoint):
    arrays = {**gpt2_checkpoint.arrays(), "h.1.ln_1.weight": np.ones(4)}
    with pytest.raises(ValueError, match=r"tensors h.1.ln_1.weight \(4,\) have no place in gpt"):
        convert.from_hugging_face(gpt2_checkpoint.write(tmp_path, arrays=arrays))


def test_a_tensor_of_another_size_names_both_shapes(tmp_path, gpt2_checkpoint):
    arrays = {**gpt2_checkpoint.arrays(), "wpe.weight": np.ones((4, 5))}
    with pytest.raises(
        ValueError, match=r"gives shape \(4, 5\) for gpt's 'position_embedding/embeddings', which needs \(4, 4\)"
    ):
        convert.from_hugging_face(gpt2_checkpoint.write(tmp_path, arrays=arrays))


def test_another_architecture_is_refused_by_its_model_type(tmp_path, gpt2_checkpoint):
    folder = gpt2_checkpoint.write(tmp_path, config={**gpt2_checkpoint.config, "model_type": "llama"})
    with pytest.raises(ValueError, match="describes model_type='llama'; kerazoo converts bert, gpt2"):
        convert.from_hugging_face(folder)


def test_a_damaged_safetensors_file_is_named(tmp_path, gpt2_checkpoint):
    folder = gpt2_checkpoint.write(tmp_path)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="model.safetensors' is not a readable safetensors file"):
        convert.from_hugging_face(folder)


def test_convert_refuses_a_source_that_is_not_the_model_asked_for(tmp_path, gpt2_checkpoint):
    with pytest.raises(ValueError, match="`source` converts to 'gpt', not to='resnet50'"):
        convert.convert(gpt2_checkpoint.write(tmp_path), to="resnet50")


def test_a_folder_without_a_checkpoint_is_refused_by_convert(tmp_path):
    with pytest.raises(ValueError, match="is neither a weights file, a keras-hub preset folder"):
        convert.convert(tmp_path)


def test_a_checkpoint_in_shards_converts_like_one_file(tmp_path, gpt2_checkpoint):
    from safetensors.numpy import save_file

    arrays = gpt2_checkpoint.arrays()
    whole = convert.from_hugging_face(gpt2_checkpoint.write(tmp_path / "whole"))
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(gpt2_checkpoint.config))
    names = sorted(arrays)
    shards = {"model-00001-of-00002.safetensors": names[::2], "model-00002-of-00002.safetensors": names[1::2]}
    for shard, keys in shards.items():
        save_file({key: arrays[key] for key in keys}, str(folder / shard))
    weight_map = {key: shard for shard, keys in shards.items() for key in keys}
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    ids = np.array([[1, 2, 3]], "int32")
    np.testing.assert_array_equal(convert.convert(folder, to="gpt")(ids), whole(ids))


def test_an_option_that_adds_weights_the_checkpoint_lacks_is_refused_by_name(tmp_path, gpt2_checkpoint):
    with pytest.raises(ValueError, match="gpt's 'logits/kernel' .* has no counterpart in .*leave out the option"):
        convert.from_hugging_face(gpt2_checkpoint.write(tmp_path), tie_embeddings=False)
