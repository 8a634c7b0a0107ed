"""Fine-tuning from the command line and from Python: `kerazoo train --from`, `--weights`, `--freeze-backbone`,
`--unfreeze-after` and `--lora-rank`, on a BERT checkpoint folder written here with random weights."""

import json
import string

import keras
import numpy as np
import pytest
from tiny_checkpoints import bert_arrays

from kerazoo import cli, data, models, names, training

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")
pytest.importorskip("safetensors")

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PIECES = list(string.ascii_lowercase + string.digits)
VOCABULARY = SPECIALS + PIECES + ["##" + piece for piece in PIECES] + list(".,'!?-")
CONFIG = {
    "model_type": "bert",
    "vocab_size": len(VOCABULARY),
    "max_position_embeddings": 32,
    "hidden_size": 8,
    "num_attention_heads": 2,
    "intermediate_size": 16,
    "num_hidden_layers": 1,
    "type_vocab_size": 2,
    "hidden_act": "gelu",
    "pad_token_id": 0,
}
# polarity, the text classifiers' offline data: 200 labelled sentences.
RUN = ["--data", "polarity", "--set", "max_length=32", "--batch-size", "32"]


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    """A BERT checkpoint folder as the Hub holds one: config.json, model.safetensors, vocab.txt."""
    from safetensors.numpy import save_file

    folder = tmp_path_factory.mktemp("bert")
    (folder / "config.json").write_text(json.dumps(CONFIG))
    save_file(bert_arrays(CONFIG), str(folder / "model.safetensors"))
    (folder / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    return folder


def train(output, bert, *options, epochs=1):
    arguments = ["train", "transformer_classifier", "--from", str(bert), *RUN, "--epochs", str(epochs)]
    assert cli.main([*arguments, *options, "--output", str(output)]) == 0


def trained(output) -> dict:
    model = keras.saving.load_model(output / "model.keras")
    return {variable.path: np.asarray(variable) for variable in model.weights}


def pretrained(bert) -> dict:
    model = models.from_pretrained(str(bert), num_classes=2)
    return {variable.path: np.asarray(variable) for variable in model.weights}


def moved(before: dict, after: dict) -> set:
    return {path for path in before if not np.array_equal(before[path], after[path])}


def backbone(weights: dict) -> set:
    return {path for path in weights if not path.startswith(f"{names.HEAD}/")}


def test_from_a_checkpoint_trains_its_model_with_its_tokenizer_and_a_fresh_head(tmp_path, bert):
    train(tmp_path, bert)
    config = json.loads((tmp_path / "config.json").read_text())
    assert (config["pretrained"], config["tokenizer"]) == (str(bert), str(bert))
    tokenizer = json.loads((tmp_path / "tokenizer.json").read_text())
    assert list(tokenizer["model"]["vocab"]) == VOCABULARY  # the checkpoint's WordPiece ids, saved with the run
    before, after = pretrained(bert), trained(tmp_path)
    assert after[f"{names.HEAD}/kernel"].shape == (CONFIG["hidden_size"], 2)  # polarity's two classes
    assert backbone(before) <= moved(before, after) | {"segment_embedding/embeddings"}  # segment 1 is never fed


def test_from_a_checkpoint_fine_tunes_on_sentence_pairs_with_their_segment_ids(tmp_path, bert):
    # GLUE's MRPC (mock_data: examples made from its features, offline): the checkpoint's tokenizer joins
    # each pair, and the second text's segment embedding trains too.
    import tensorflow_datasets as tfds

    run = ["train", "transformer_classifier", "--from", str(bert), "--data", "tfds:glue/mrpc", "--epochs", "1"]
    with tfds.testing.mock_data(num_examples=48):
        assert cli.main([*run, "--set", "max_length=32", "--batch-size", "16", "--output", str(tmp_path)]) == 0
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert sorted(tensor.name for tensor in model.inputs) == ["segment_ids", "tokens"]
    before, after = pretrained(bert), trained(tmp_path)
    assert backbone(before) <= moved(before, after)
    segments = f"{names.SEGMENT_EMBEDDING}/embeddings"
    assert not np.array_equal(before[segments][1], after[segments][1])  # the second text's row trained


def test_freeze_backbone_trains_the_head_alone(tmp_path, bert):
    train(tmp_path, bert, "--freeze-backbone")
    before, after = pretrained(bert), trained(tmp_path)
    assert moved(before, after) == {f"{names.HEAD}/kernel", f"{names.HEAD}/bias"}


@pytest.mark.slow
def test_unfreeze_after_trains_the_head_then_everything(tmp_path, bert):
    train(tmp_path / "one", bert, "--freeze-backbone", "--unfreeze-after", "1", epochs=1)
    train(tmp_path / "two", bert, "--freeze-backbone", "--unfreeze-after", "1", epochs=2)
    before, frozen, unfrozen = pretrained(bert), trained(tmp_path / "one"), trained(tmp_path / "two")
    assert not moved(before, frozen) & backbone(before)
    assert "encoder1/self_attention/query/kernel" in moved(frozen, unfrozen)
    history = json.loads((tmp_path / "two" / "metrics.json").read_text())["history"]
    assert len(history["loss"]) == 2


@pytest.mark.slow
def test_a_run_resumed_at_the_unfreezing_ends_as_an_uninterrupted_one(tmp_path, bert):
    options = ("--freeze-backbone", "--unfreeze-after", "1")
    train(tmp_path / "whole", bert, *options, epochs=2)
    train(tmp_path / "resumed", bert, *options, epochs=1)
    train(tmp_path / "resumed", bert, *options, epochs=2)  # more epochs continue the run
    whole, resumed = trained(tmp_path / "whole"), trained(tmp_path / "resumed")
    assert not moved(whole, resumed)


def test_lora_trains_only_its_factors_and_the_head_and_saves_them_merged(tmp_path, bert):
    train(tmp_path, bert, "--lora-rank", "2")
    before, after = pretrained(bert), trained(tmp_path)
    # model.keras holds each adapted kernel with its factors merged in: those kernels moved, nothing else
    # of the backbone did (biases, norms, positions are frozen).
    adapted = {path for path in backbone(before) if path.endswith(("/kernel", "token_embedding/embeddings"))}
    assert adapted <= moved(before, after)
    assert moved(before, after) & backbone(before) <= adapted


@pytest.mark.slow
def test_a_lora_run_resumes_exactly(tmp_path, bert):
    train(tmp_path / "whole", bert, "--lora-rank", "2", epochs=2)
    train(tmp_path / "resumed", bert, "--lora-rank", "2", epochs=1)
    train(tmp_path / "resumed", bert, "--lora-rank", "2", epochs=2)
    assert not moved(trained(tmp_path / "whole"), trained(tmp_path / "resumed"))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"freeze_backbone": True}, "`freeze_backbone` keeps pretrained weights"),
        ({"lora_rank": 4}, "`lora_rank` adapts pretrained weights"),
        ({"lora_rank": 0, "pretrained": "BERT"}, "`lora_rank` must be"),
        ({"unfreeze_after": 1, "pretrained": "BERT"}, "give `freeze_backbone` too"),
        ({"lora_rank": 2, "freeze_backbone": True, "pretrained": "BERT"}, "leave out `freeze_backbone`"),
        ({"tokenizer": "bpe:100", "pretrained": "BERT"}, "reads the ids of its own tokenizer"),
        ({"weights": "imagenet"}, "transformer_classifier takes none"),
    ],
)
def test_fine_tuning_options_that_cannot_work_are_refused_before_anything_is_written(tmp_path, bert, options, match):
    options = {key: str(bert) if value == "BERT" else value for key, value in options.items()}
    with pytest.raises(ValueError, match=match):
        training.train("transformer_classifier", output=tmp_path / "run", **options)
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_a_checkpoint_of_another_model_is_refused_naming_both(tmp_path, bert):
    with pytest.raises(ValueError, match="is a transformer_classifier checkpoint; the run names gpt"):
        training.train("gpt", output=tmp_path, pretrained=str(bert))


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    """A GPT-2 checkpoint folder with GPT-2's kind of tokenizer: byte-level BPE in vocab.json + merges.txt,
    <|endoftext|> its only special token, no padding (its id 0 is a real token)."""
    from safetensors.numpy import save_file
    from tokenizers import ByteLevelBPETokenizer

    from kerazoo.data import offline

    folder = tmp_path_factory.mktemp("gpt2")
    tokenizer = ByteLevelBPETokenizer()
    tokenizer.train_from_iterator(offline.corpus_texts("lee"), vocab_size=300, special_tokens=[])
    tokenizer.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text())
    vocab["<|endoftext|>"] = len(vocab)  # last, as in GPT-2's vocab.json (50256)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    size, width = len(vocab), 8
    shapes = {"wte.weight": (size, width), "wpe.weight": (32, width), "ln_f.weight": (width,), "ln_f.bias": (width,)}
    for part, shape in {
        "ln_1.weight": (width,),
        "ln_1.bias": (width,),
        "ln_2.weight": (width,),
        "ln_2.bias": (width,),
        "attn.c_attn.weight": (width, 3 * width),
        "attn.c_attn.bias": (3 * width,),
        "attn.c_proj.weight": (width, width),
        "attn.c_proj.bias": (width,),
        "mlp.c_fc.weight": (width, 4 * width),
        "mlp.c_fc.bias": (4 * width,),
        "mlp.c_proj.weight": (4 * width, width),
        "mlp.c_proj.bias": (width,),
    }.items():
        shapes[f"h.0.{part}"] = shape
    rng = np.random.default_rng(0)
    save_file(
        {name: rng.normal(0, 0.2, shape).astype("float32") for name, shape in shapes.items()},
        str(folder / "model.safetensors"),
    )
    config = {"model_type": "gpt2", "vocab_size": size, "n_positions": 32, "n_embd": width, "n_layer": 1, "n_head": 2}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a_tokenizer_without_padding_makes_unpadded_windows_of_one_stream(gpt2):
    from kerazoo.text import Tokenizer

    tokenizer = Tokenizer.load(gpt2)
    assert (tokenizer.pad_id, tokenizer.id_to_token(0)) == (None, "!")  # id 0 is a real token, as in GPT-2
    lee = data.load("lee", task="language-modeling", tokenizer=tokenizer, sequence_length=32, batch_size=8)
    assert lee.padding_id is None  # the loss and the scores leave no id out
    inputs, targets = (np.asarray(part) for part in next(iter(lee.train_examples.batch(10_000))))
    # Each window continues the one before it: nothing is padded, the last partial window is left out.
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])
    np.testing.assert_array_equal(inputs[1:, 0], targets[:-1, -1])


def test_a_gpt2_checkpoint_continues_pretraining_with_its_own_tokenizer(tmp_path, gpt2):
    arguments = ["train", "gpt", "--from", str(gpt2), "--data", "lee", "--set", "max_length=32", "--epochs", "1"]
    assert cli.main([*arguments, "--batch-size", "32", "--output", str(tmp_path)]) == 0
    vocab_size = json.loads((gpt2 / "config.json").read_text())["vocab_size"]
    # One epoch from random weights already beats the uniform guess over the vocabulary.
    assert json.loads((tmp_path / "metrics.json").read_text())["test"]["perplexity"] < vocab_size
    before = models.from_pretrained(str(gpt2))
    after = keras.saving.load_model(tmp_path / "model.keras")
    assert not np.array_equal(np.asarray(before.weights[0]), np.asarray(after.weights[0]))


def test_a_tokenizer_without_padding_cannot_feed_a_model_that_masks_id_0(tmp_path, gpt2):
    with pytest.raises(ValueError, match="mask_zero=False"):
        training.train("gpt", output=tmp_path, tokenizer=str(gpt2), settings={"max_length": 32})


def test_images_for_pretrained_weights_are_prepared_as_preprocess_input_prepares_them():
    from kerazoo.training import warm_start

    digits = data.load("digits", task="image-classification", image_shape=(32, 32, 3), batch_size=8)
    prepared = warm_start.preprocessed_for(digits, "imagenet")
    for split in ("validation", "test", "train_examples"):  # `train` reshuffles at every pass
        images, _ = next(iter(getattr(digits, split)))
        expected = models.preprocess_input("imagenet", np.asarray(images) * 255)
        np.testing.assert_allclose(np.asarray(next(iter(getattr(prepared, split)))[0]), expected, atol=1e-4)


@pytest.fixture
def imagenet_file(tmp_path, monkeypatch):
    """keras.applications' ResNet50 file without its top, random, in a Keras cache of this test's own with
    its hash: resnet50(weights="imagenet") takes it from there as it would after a download."""
    import hashlib

    import h5py
    from keras.src.backend import config
    from keras.src.legacy.saving import legacy_h5_format

    from kerazoo.models import imagenet

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path / "keras-home"))
    reference = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    name, _ = imagenet.RESNET50_FILES[False]
    path = tmp_path / "keras-home" / "models" / name
    path.parent.mkdir(parents=True)
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, reference)
    monkeypatch.setitem(imagenet.RESNET50_FILES, False, (name, hashlib.md5(path.read_bytes()).hexdigest()))
    return {
        variable.path: np.asarray(variable)
        for variable in models.resnet50(weights="imagenet", include_top=False).weights
    }


@pytest.mark.slow
def test_imagenet_weights_start_a_resnet50_whose_frozen_backbone_keeps_them(tmp_path, imagenet_file):
    arguments = ["train", "resnet50", "--weights", "imagenet", "--freeze-backbone", "--epochs", "1"]
    options = ["--set", "input_shape=(32, 32, 3)", "--batch-size", "128", "--output", str(tmp_path)]
    assert cli.main([*arguments, *options]) == 0
    after = trained(tmp_path)
    assert set(imagenet_file) < set(after)
    assert not moved(imagenet_file, after)
    assert after[f"{names.HEAD}/kernel"].shape == (2048, 10)  # digits' ten classes
    assert json.loads((tmp_path / "config.json").read_text())["weights"] == "imagenet"


@pytest.mark.slow
def test_a_lora_model_saved_merged_computes_in_a_fresh_process_what_it_computed_unmerged(tmp_path, bert):
    import subprocess
    import sys

    keras.utils.set_random_seed(0)
    model = models.from_pretrained(str(bert), num_classes=2, max_length=32)
    training.enable_lora(model, 2)
    tokens = np.random.default_rng(0).integers(1, CONFIG["vocab_size"], (32, 32)).astype("int32")
    inputs = {"tokens": tokens, "segment_ids": np.zeros_like(tokens)}
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(inputs, np.arange(32) % 2, epochs=2, verbose=0)  # the factors move off their zero start
    expected = np.asarray(model(inputs))
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "tokens.npy", tokens)
    script = (
        "import sys, numpy as np, keras, kerazoo\n"
        "model = keras.saving.load_model(sys.argv[1] + '/model.keras')\n"
        "tokens = np.load(sys.argv[1] + '/tokens.npy')\n"
        "np.save(sys.argv[1] + '/outputs.npy', np.asarray(model({'tokens': tokens, 'segment_ids': 0 * tokens})))\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "outputs.npy"), expected, atol=1e-6)
