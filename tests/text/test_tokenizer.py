"""text.Tokenizer: training, loading and saving, the model-ready arrays, and every refusal."""

import bz2
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from text_cases import HELD_OUT, LEE

from kerazoo import models, names, text

KINDS = ("bpe", "wordpiece", "unigram")


@pytest.mark.parametrize("kind", KINDS)
def test_trained_tokenizers_pad_with_id_0(trained, kind):
    tokenizer = trained[kind]

    batch = tokenizer.encode(["a longer text than the other", "short"], return_padding_mask=True)

    assert tokenizer.pad_id == 0
    assert (batch["tokens"][~batch["padding_mask"]] == 0).all()
    assert (batch["tokens"][batch["padding_mask"]] != 0).all()


def test_byte_level_bpe_has_no_unknown_token(trained):
    bpe = trained["bpe"]

    assert bpe.unk_id is None
    assert bpe.decode(bpe.token_ids(["never seen: ꙮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🦜"])) == ["never seen: ꙮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🦜"]


def test_encode_returns_int32_tokens_named_as_the_models_inputs(trained):
    batch = trained["wordpiece"].encode(["one text", "and another one"])

    assert list(batch) == [names.TOKENS]
    assert batch[names.TOKENS].dtype == np.int32 and batch[names.TOKENS].shape[0] == 2


def test_pairs_add_segment_ids_of_the_second_text(trained):
    batch = trained["wordpiece"].encode(["first"], pairs=["the second"], return_padding_mask=True)

    segments = batch[names.SEGMENT_IDS][0][batch["padding_mask"][0]]
    assert segments.tolist() == [0, 0, 0] + [1] * (len(segments) - 3)  # [CLS] first [SEP] | the second [SEP]


def test_max_length_padding_and_truncation_keep_the_closing_special_token(trained):
    tokenizer = trained["wordpiece"]

    batch = tokenizer.encode(["a rather long text that will not fit", "short"], max_length=6, padding="max_length")

    assert batch["tokens"].shape == (2, 6)
    assert batch["tokens"][0, -1] == tokenizer.end_id


def test_a_vocabulary_whose_id_0_is_a_real_token_has_no_pad_id_and_the_mask_marks_text(tmp_path):
    # GPT-2's vocabulary starts with "!": padding with 0 must never pass for it.
    vocab = {"!": 0, "a": 1, "b": 2, "ab": 3, "<|endoftext|>": 4}
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\n")
    tokenizer = text.Tokenizer.load(tmp_path)

    batch = tokenizer.encode(["!ab!", "ab"], return_padding_mask=True)

    assert tokenizer.pad_id is None and tokenizer.end_id == 4
    assert batch["tokens"].tolist() == [[0, 3, 0], [3, 0, 0]]
    assert batch["padding_mask"].tolist() == [[True, True, True], [True, False, False]]
    assert tokenizer.decode(batch["tokens"], padding_mask=batch["padding_mask"]) == ["!ab!", "ab"]


def test_decode_drops_padding_and_special_tokens(trained):
    tokenizer = trained["unigram"]
    batch = tokenizer.encode(["hello there", "the government"], max_length=12, padding="max_length")

    assert tokenizer.decode(batch["tokens"]) == ["hello there", "the government"]
    assert tokenizer.decode(batch["tokens"][1]) == "the government"
    assert tokenizer.decode(batch["tokens"][1], skip_special_tokens=False) == "the government</s>"


def test_token_ids_are_unpadded_lists(trained):
    ids = trained["bpe"].token_ids(["a", "a longer one"])

    assert len(ids[0]) == 1 and len(ids[1]) > 1 and all(isinstance(i, int) for i in ids[1])


def test_saving_and_loading_keeps_every_id(trained, tmp_path):
    for kind, tokenizer in trained.items():
        path = tokenizer.save(tmp_path / kind)  # a folder, made, with tokenizer.json inside it
        loaded = text.Tokenizer.load(path.parent)

        assert path.name == "tokenizer.json"
        assert loaded.token_ids(HELD_OUT, add_special_tokens=True) == tokenizer.token_ids(
            HELD_OUT, add_special_tokens=True
        )
        assert (loaded.pad_id, loaded.end_id, loaded.special_ids) == (
            tokenizer.pad_id,
            tokenizer.end_id,
            tokenizer.special_ids,
        )


def lee_lines() -> list[str]:
    """The Lee corpus's texts as `embeddings.Corpus` reads them from the file: one a line, blank lines left out."""
    with open(LEE, encoding="utf8") as lee:
        return [line.rstrip("\r\n") for line in lee if line.strip()]


@pytest.mark.parametrize("kind", KINDS)
def test_training_on_a_list_of_texts_learns_what_training_on_a_file_of_them_learns(kind):
    """The same tokens, and the same tokens for each text. (WordPiece and Unigram number the characters that
    tie in frequency in another order at every training, from the same file too: their ids are not compared.)"""
    from_file = text.Tokenizer.train(LEE, kind=kind, vocab_size=600, progress=False)
    from_list = text.Tokenizer.train(lee_lines(), kind=kind, vocab_size=600, progress=False)

    assert set(from_list.backend.get_vocab()) == set(from_file.backend.get_vocab())
    assert [from_list.backend.encode(t).tokens for t in HELD_OUT] == [
        from_file.backend.encode(t).tokens for t in HELD_OUT
    ]


def test_a_bpe_trained_on_a_list_of_texts_has_the_ids_of_one_trained_on_a_file_of_them():
    from_file = text.Tokenizer.train(LEE, kind="bpe", vocab_size=600, progress=False)
    from_list = text.Tokenizer.train(lee_lines(), kind="bpe", vocab_size=600, progress=False)

    assert from_list.backend.get_vocab() == from_file.backend.get_vocab()
    np.testing.assert_array_equal(from_list.encode(HELD_OUT)["tokens"], from_file.encode(HELD_OUT)["tokens"])


def test_training_takes_a_generator_of_texts():
    from_list = text.Tokenizer.train(lee_lines(), kind="bpe", vocab_size=600, progress=False)
    from_generator = text.Tokenizer.train((line for line in lee_lines()), kind="bpe", vocab_size=600, progress=False)

    assert from_generator.backend.get_vocab() == from_list.backend.get_vocab()


def test_a_string_that_names_no_file_is_refused_as_ambiguous_naming_corpus():
    with pytest.raises(ValueError, match=r"`corpus` is a string that names no file.*corpus=\[text\]"):
        text.Tokenizer.train("the cat sat on the mat", kind="bpe", vocab_size=300, progress=False)


def test_a_list_of_file_names_is_refused_as_texts():
    """Corpus reads a list of paths; as texts, the file names would be all the tokenizer learns."""
    with pytest.raises(ValueError, match="`corpus` holds texts, and its first .* names a file"):
        text.Tokenizer.train([LEE], kind="bpe", vocab_size=300, progress=False)


def test_texts_that_are_not_strings_are_refused_naming_corpus():
    with pytest.raises(TypeError, match="`corpus` holds texts, so each item must be a string. Received list at"):
        text.Tokenizer.train(["a text", ["token", "list"]], kind="bpe", vocab_size=300, progress=False)


def test_training_reads_compressed_files(tmp_path):
    compressed = tmp_path / "lee.txt.bz2"
    with open(LEE, "rb") as lee:
        compressed.write_bytes(bz2.compress(lee.read()))

    tokenizer = text.Tokenizer.train(compressed, kind="wordpiece", vocab_size=1000, progress=False)

    assert "government" in tokenizer.backend.get_vocab()


@pytest.mark.slow  # a few seconds: gensim's Wikipedia sample is 3 MB of text
def test_training_reads_wikipedia_dumps_without_their_markup():
    from gensim.test.utils import datapath

    wiki = datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")

    tokenizer = text.Tokenizer.train(wiki, kind="bpe", vocab_size=2000, progress=False)

    assert "Ġautism" in tokenizer.backend.get_vocab()
    assert not any("[[" in token or "{{" in token for token in tokenizer.backend.get_vocab())


def test_a_zoo_gpt_and_a_two_input_classifier_take_encode_output(trained):
    tokenizer = trained["wordpiece"]
    size = {
        "vocab_size": tokenizer.vocab_size,
        "max_length": 16,
        "dim": 8,
        "num_heads": 2,
        "ffn_dim": 8,
        "num_layers": 1,
    }
    gpt = models.gpt(**size)
    classifier = models.transformer_classifier(**size, num_segments=2, dropout=0.0)

    logits = gpt(tokenizer.encode(["hello there"])[names.TOKENS])
    batch = tokenizer.encode(["hello", "a longer first text"], pairs=["world", "b"])
    alone = classifier(tokenizer.encode(["hello"], pairs=["world"]))

    assert logits.shape == (
        1,
        batch_width := tokenizer.encode(["hello there"])["tokens"].shape[1],
        tokenizer.vocab_size,
    )
    assert batch_width > 0
    np.testing.assert_allclose(np.asarray(classifier(batch))[0], np.asarray(alone)[0], atol=1e-5)  # padding ignored


def test_tf_map_tokenizes_batches_of_a_dataset(trained):
    tf = pytest.importorskip("tensorflow")
    tokenizer = trained["bpe"]
    dataset = tf.data.Dataset.from_tensor_slices((["some text", "more text here"], [0, 1])).batch(2)

    (batch, labels), *_ = dataset.map(tokenizer.tf_map(max_length=8)).as_numpy_iterator()

    np.testing.assert_array_equal(batch[names.TOKENS], tokenizer.encode(["some text", "more text here"])["tokens"])
    assert labels.tolist() == [0, 1]


def test_importing_kerazoo_text_leaves_tokenizers_unloaded():
    code = "import sys, kerazoo.text; kerazoo.text.words('x'); print('tokenizers' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout

    assert loaded.strip() == "False"


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: text.Tokenizer.train(LEE, kind="bytes", vocab_size=100), "kind"),
        (lambda: text.Tokenizer.train(LEE, kind="bpe", vocab_size=0), "vocab_size"),
        (lambda: text.Tokenizer.train(LEE, kind="bpe", vocab_size=1.5), "vocab_size"),
        (lambda: text.Tokenizer.train(LEE, kind="bpe", vocab_size=200), "vocab_size"),  # fewer than 256 bytes
        (lambda: text.Tokenizer.train(LEE, kind="wordpiece", vocab_size=10, progress=False), "vocab_size"),
    ],
    ids=["kind", "zero", "float", "below-bytes", "below-alphabet"],
)
def test_training_refuses_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        call()


@pytest.mark.parametrize(
    "options, argument",
    [
        ({"texts": ["fine", b"bytes"]}, "texts"),
        ({"texts": ["fine", None]}, "texts"),
        ({"texts": ["a"], "pairs": ["b", "c"]}, "pairs"),
        ({"texts": ["a"], "max_length": 2}, "max_length"),  # [CLS] and [SEP] leave no room
        ({"texts": ["a"], "padding": "max_length"}, "max_length"),
        ({"texts": ["a"], "padding": "right"}, "padding"),
        ({"texts": ["a b c d e"], "max_length": 4, "truncation": False}, "max_length"),
    ],
    ids=["bytes", "none", "pairs", "short-max-length", "no-max-length", "padding", "too-long"],
)
def test_encode_refuses_bad_arguments_naming_them(trained, options, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        trained["wordpiece"].encode(**options)


def test_decode_refuses_ids_outside_the_vocabulary(trained):
    with pytest.raises(ValueError, match="`ids`"):
        trained["bpe"].decode([5, -1])


def test_loading_an_unknown_format_names_the_path_and_the_formats(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\0\1")

    with pytest.raises(ValueError, match="weights.bin.*tokenizer.json.*vocab.json.*vocab.txt.*SentencePiece"):
        text.Tokenizer.load(path)


@pytest.mark.slow  # a fresh process that imports JAX
def test_encode_feeds_a_model_on_jax_with_tensorflow_absent():
    from pathlib import Path

    hide_tensorflow = Path(__file__).parent.parent / "without_tensorflow"
    code = (
        "import sys\n"
        "from kerazoo import models, text\n"
        f"tok = text.Tokenizer.train({LEE!r}, kind='bpe', vocab_size=600, progress=False)\n"
        "gpt = models.gpt(vocab_size=tok.vocab_size, max_length=16, dim=8, num_heads=2, ffn_dim=8, num_layers=1)\n"
        "print(tuple(gpt(tok.encode(['hello world', 'a'])['tokens']).shape), 'tensorflow' in sys.modules)"
    )
    environment = {**os.environ, "PYTHONPATH": str(hide_tensorflow), "KERAS_BACKEND": "jax"}
    run = subprocess.run([sys.executable, "-c", code], env=environment, check=True, capture_output=True, text=True)

    shape, tensorflow_loaded = run.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert shape.startswith("(2, ") and shape.endswith(", 600)") and tensorflow_loaded == "False"


def test_segment_ids_come_with_pairs_and_on_request_for_single_texts(trained):
    tok = trained["wordpiece"]
    assert set(tok.encode(["a text"])) == {"tokens"}
    single = tok.encode(["a text"], return_segment_ids=True)
    np.testing.assert_array_equal(single["segment_ids"], np.zeros_like(single["tokens"]))
    assert set(tok.encode(["a text"], pairs=["another"])) == {"tokens", "segment_ids"}
