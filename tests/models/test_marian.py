"""The paper's Transformer (shared embeddings, scaled embeddings) and MarianMT: the converter, its
tokenizer and greedy translation, each against transformers on a tiny random checkpoint."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from kerazoo import models, names, text
from kerazoo.layers import SinusoidalPositionEmbedding, sinusoidal_positions
from kerazoo.models import convert
from kerazoo.testing import Spec, attention_policies, check_model

REFERENCE = Path(__file__).with_name("marian_reference.py")
TINY = models.info("transformer_seq2seq").small_config


def _seq2seq(**options):
    keras.utils.set_random_seed(0)
    return models.transformer_seq2seq(**{**TINY, "dropout": 0.0, **options})


def _logits(model, source, target):
    return keras.ops.convert_to_numpy(model({names.SOURCE: np.asarray(source), names.TARGET: np.asarray(target)}))


def _paper_count(vocab, dim, ffn, layers, share=True):
    """Vaswani et al.'s parameters: tables, attention (4 projections with biases), FFN, LayerNorms, output bias."""
    attention, ffn_weights, norm = 4 * (dim * dim + dim), 2 * dim * ffn + ffn + dim, 2 * dim
    encoder, decoder = attention + ffn_weights + 2 * norm, 2 * attention + ffn_weights + 3 * norm
    tables = vocab * dim * (1 if share else 3)  # unshared: source, target and the output kernel
    return tables + layers * (encoder + decoder) + vocab


def test_the_base_transformer_with_a_37000_vocabulary_counts_63_1_million_parameters():
    # 18,944,000 in the shared table + 18,914,304 encoder + 25,224,192 decoder + 37,000 output bias; without
    # sharing, a target table and an output kernel of 18,944,000 each (the paper's Table 3 rounds to 65M).
    assert _paper_count(37000, 512, 2048, 6) == 63_119_496
    assert _paper_count(37000, 512, 2048, 6, share=False) == 101_007_496
    for share in (True, False):  # the builder counts as the formula, at the tiny sizes
        count = _paper_count(TINY["vocab_size"], TINY["dim"], TINY["ffn_dim"], TINY["num_layers"], share)
        assert _seq2seq(share_embeddings=share).count_params() == count


@pytest.mark.slow  # five seconds each
@pytest.mark.parametrize(("share", "expected"), [(True, 63_119_496), (False, 101_007_496)])
def test_the_base_transformer_built_has_the_papers_size(share, expected):
    assert models.transformer_seq2seq(share_embeddings=share).count_params() == expected


def test_one_vocabulary_shares_one_matrix_for_source_target_and_output():
    model = _seq2seq()
    tables = [w.path for w in model.weights if w.path.endswith("/embeddings")]
    assert tables == [f"{names.TOKEN_EMBEDDING}/embeddings"]
    assert {w.path for w in model.weights if "logits" in w.path} == {f"{names.LOGITS_BIAS}/bias"}


def test_two_vocabularies_keep_their_tables_and_an_output_projection():
    model = _seq2seq(target_vocab_size=30)
    paths = {w.path for w in model.weights}
    assert {"source_token_embedding/embeddings", "target_token_embedding/embeddings", "logits/kernel"} <= paths


def test_sharing_two_vocabularies_is_refused_naming_both_sizes():
    with pytest.raises(ValueError, match="vocab_size=50, target_vocab_size=30"):
        models.transformer_seq2seq(**TINY, target_vocab_size=30, share_embeddings=True)


def test_scaled_embeddings_multiply_the_token_vectors_by_the_square_root_of_dim():
    plain, scaled = _seq2seq(scale_embeddings=False, num_layers=1), _seq2seq(scale_embeddings=True, num_layers=1)
    scaled.set_weights(plain.get_weights())
    tokens = np.array([[5, 6, 7]])
    embed = lambda model: keras.Model(model.input, model.get_layer("source_position_embedding").output)  # noqa: E731
    inputs = {names.SOURCE: tokens, names.TARGET: tokens}
    positions = keras.ops.convert_to_numpy(sinusoidal_positions(3, TINY["dim"]))
    vectors = keras.ops.convert_to_numpy(embed(plain)(inputs)) - positions
    scaled_vectors = keras.ops.convert_to_numpy(embed(scaled)(inputs)) - positions
    np.testing.assert_allclose(scaled_vectors, vectors * np.sqrt(TINY["dim"]), rtol=1e-5, atol=1e-5)


def test_the_halves_layout_holds_the_interleaved_table_sines_first():
    interleaved = keras.ops.convert_to_numpy(sinusoidal_positions(7, 8))
    halves = keras.ops.convert_to_numpy(sinusoidal_positions(7, 8, layout="halves"))
    np.testing.assert_array_equal(halves, np.concatenate([interleaved[:, 0::2], interleaved[:, 1::2]], axis=1))


def test_a_position_layer_saved_before_layouts_existed_loads_interleaved():
    config = SinusoidalPositionEmbedding(name="p").get_config()
    del config["layout"]
    assert SinusoidalPositionEmbedding.from_config(config).layout == "interleaved"


def test_a_padding_id_other_than_zero_is_masked_in_the_source_and_starts_the_target():
    pad = TINY["vocab_size"] - 1
    model = _seq2seq(padding_id=pad)
    target = np.array([[pad, 4, 9, 2]])  # Marian's target starts with the padding id
    short = _logits(model, [[3, 8, 5]], target)
    padded = _logits(model, [[3, 8, 5, pad, pad]], target)
    assert np.isfinite(short).all()
    np.testing.assert_allclose(padded, short, atol=1e-5)
    assert not np.allclose(_logits(model, [[3, 8, 5, 7, 7]], target), short, atol=1e-3)  # a real token is not


@pytest.mark.slow  # a minute: the zoo gate's options (tests/models/test_zoo.py) are in the slow pass too
def test_a_seq2seq_model_padded_by_another_id_passes_the_model_checks():
    keras.utils.set_random_seed(0)
    pad = TINY["vocab_size"] - 1
    config = {**TINY, "padding_id": pad, "activation": "silu", "position_layout": "halves"}
    # Ids are drawn below `pad`: none is padding; the padding check is the test above, with the model's own id.
    specs = [Spec((6,), "int32", vocab_size=pad, name=name) for name in (names.SOURCE, names.TARGET)]
    check_model(lambda: models.transformer_seq2seq(**config), *specs, policies=attention_policies())


def test_a_padding_id_outside_the_vocabulary_is_refused():
    with pytest.raises(ValueError, match="padding_id=50"):
        models.transformer_seq2seq(**TINY, padding_id=50)


# --- MarianMT ----------------------------------------------------------------------------------------------


def _marian_tokenizer_folder(folder: Path):
    pytest.importorskip("sentencepiece")
    pytest.importorskip("transformers")
    sys.path.insert(0, str(REFERENCE.parent))
    try:
        import marian_reference
    finally:
        sys.path.remove(str(REFERENCE.parent))
    return marian_reference, marian_reference.tokenizer(folder)


def test_a_marian_folder_tokenizes_as_marian_tokenizer_on_held_out_text(tmp_path):
    reference, marian = _marian_tokenizer_folder(tmp_path)
    tok = text.Tokenizer.load(tmp_path)
    # The training texts too: there a target piece ("at" of "matte") must not replace two source pieces.
    texts = [*reference.HELD_OUT, *reference.SOURCE_TEXTS, "the cat and the dog.", "Unseen: QXJ ß!"]
    assert tok.token_ids(texts, add_special_tokens=True) == [marian(t)["input_ids"] for t in texts]
    assert (tok.pad_id, tok.end_id, tok.unk_id, tok.vocab_size) == (
        marian.pad_token_id,
        marian.eos_token_id,
        marian.unk_token_id,
        len(marian.get_vocab()),
    )
    ids = marian(reference.HELD_OUT[0])["input_ids"]
    assert tok.decode(ids) == marian.decode(ids, skip_special_tokens=True)


def test_a_marian_vocab_json_that_skips_ids_is_refused(tmp_path):
    _marian_tokenizer_folder(tmp_path)
    vocab = json.loads((tmp_path / "vocab.json").read_text())
    vocab["<pad>"] += 5
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(ValueError, match="must number its pieces"):
        text.Tokenizer.load(tmp_path)


@pytest.fixture(scope="module")
def marian(tmp_path_factory):
    """A random MarianMT checkpoint with its tokenizers, and transformers' outputs, built in a process of its own."""
    for package in ("torch", "transformers", "sentencepiece"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed")
    folder = tmp_path_factory.mktemp("marian")
    subprocess.run([sys.executable, str(REFERENCE), str(folder)], check=True, capture_output=True)
    with np.load(folder / "reference.npz") as arrays:
        return folder, dict(arrays)


@pytest.mark.slow
def test_a_marian_checkpoint_converts_to_transformer_seq2seq_with_the_same_logits_on_a_padded_batch(marian):
    folder, reference = marian
    model = convert.convert(folder, to="transformer_seq2seq")
    assert (reference["attention_mask"] == 0).any()  # the batch has padding, masked by the reference
    logits = _logits(model, reference["source"], reference["decoder_ids"])
    np.testing.assert_allclose(logits, reference["logits"], atol=1e-4)


@pytest.mark.slow
def test_a_marian_checkpoint_that_stores_its_position_tables_and_tied_copies_converts_the_same(marian, tmp_path):
    from safetensors.numpy import load_file, save_file

    folder, reference = marian
    for file in folder.iterdir():
        shutil.copy(file, tmp_path)
    arrays = load_file(str(folder / "model.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    table = keras.ops.convert_to_numpy(
        sinusoidal_positions(config["max_position_embeddings"], config["d_model"], layout="halves")
    )
    for stack in ("encoder", "decoder"):
        arrays[f"model.{stack}.embed_positions.weight"] = table
        arrays[f"model.{stack}.embed_tokens.weight"] = arrays["model.shared.weight"]
    arrays["lm_head.weight"] = arrays["model.shared.weight"]
    save_file(arrays, str(tmp_path / "model.safetensors"))
    model = convert.from_hugging_face(tmp_path)
    np.testing.assert_allclose(
        _logits(model, reference["source"], reference["decoder_ids"]), reference["logits"], atol=1e-4
    )
    arrays["model.encoder.embed_positions.weight"] = table[:, ::-1].copy()  # another layout is refused
    save_file(arrays, str(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match="not Marian's sinusoidal table"):
        convert.from_hugging_face(tmp_path)


@pytest.mark.slow
def test_kerazoo_greedy_translation_gives_transformers_greedy_ids(marian):
    folder, reference = marian
    model = models.from_pretrained(folder)
    tok = text.Tokenizer.load(folder)
    start = np.full((len(reference["source"]), 1), tok.pad_id)  # Marian's decoder starts from <pad>
    new = reference["generated"].shape[1] - 1
    ids = models.generate(model, {names.SOURCE: reference["source"], names.TARGET: start}, new, end_token=tok.end_id)
    ids = keras.ops.convert_to_numpy(ids)
    for row, expected in zip(ids, reference["generated"], strict=True):
        # transformers pads a finished row with <pad> after </s>, kerazoo with 0 (which is Marian's </s>)
        end = int(np.argmax(expected == tok.end_id)) + 1 if (expected == tok.end_id).any() else len(expected)
        np.testing.assert_array_equal(row[:end], expected[:end])
    assert tok.decode(ids[:, 1:]) == list(reference["decoded"])


@pytest.mark.slow
def test_kerazoo_translates_text_as_transformers_does(marian):
    folder, reference = marian
    sys.path.insert(0, str(REFERENCE.parent))
    try:
        from marian_reference import SOURCE_TEXTS
    finally:
        sys.path.remove(str(REFERENCE.parent))
    model, tok = models.from_pretrained(folder), text.Tokenizer.load(folder)
    translations = models.generate(model, [*SOURCE_TEXTS[:2], "a cat."], 10, tokenizer=tok)
    assert translations == list(reference["decoded"])


@pytest.mark.slow
def test_marian_refuses_separate_vocabularies(marian, tmp_path):
    folder, _ = marian
    for file in folder.iterdir():
        shutil.copy(file, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "share_encoder_decoder_embeddings": False}))
    with pytest.raises(ValueError, match="separate source and target vocabularies"):
        convert.from_hugging_face(tmp_path)
