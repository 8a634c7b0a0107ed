"""kerazoo's ids equal independent implementations' on tokenizers built for the tests (issue #20, part 3).

BPE: tiktoken (OpenAI's own BPE, given the same ranks and GPT-2's split pattern) and transformers'
GPT2TokenizerFast. WordPiece: keras-hub's BertTokenizer (tf-text) and transformers' BertTokenizerFast.
SentencePiece: the sentencepiece library and transformers' T5 tokenizer. keras-hub's byte-pair tokenizer
wraps `tokenizers` itself, so it is no independent reference for BPE.
"""

import json
import shutil

import pytest
from text_cases import HELD_OUT, PAIRS, ids_mismatches

from kerazoo import text

# GPT-2's pre-tokenizer pattern, as tiktoken's own "gpt2" encoding spells it.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in for each byte, reversed (vocab.json spells bytes through it)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [byte for byte in range(256) if byte not in printable]
    return {chr(byte): byte for byte in printable} | {chr(256 + n): byte for n, byte in enumerate(others)}


@pytest.fixture(scope="module")
def gpt2(gpt2_folder):
    return text.Tokenizer.load(gpt2_folder)


@pytest.fixture(scope="module")
def bert(bert_folder):
    return text.Tokenizer.load(bert_folder / "vocab.txt")


@pytest.fixture(scope="module")
def spiece(sentencepiece_model):
    pytest.importorskip("transformers", reason="kerazoo reads SentencePiece .model files through transformers")
    return text.Tokenizer.load(sentencepiece_model)


def test_byte_level_bpe_ids_equal_tiktokens(gpt2, gpt2_folder):
    tiktoken = pytest.importorskip("tiktoken")
    vocab = json.loads((gpt2_folder / "vocab.json").read_text(encoding="utf8"))
    specials = {token: gpt2.token_to_id(token) for token in ("<pad>", "<|endoftext|>")}
    to_byte = _byte_decoder()
    ranks = {bytes(to_byte[c] for c in token): rank for token, rank in vocab.items() if token not in specials}
    encoding = tiktoken.Encoding("kerazoo-test", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens=specials)

    reference = [encoding.encode_ordinary(t) for t in HELD_OUT]

    assert ids_mismatches(HELD_OUT, gpt2.token_ids(HELD_OUT), reference) == []


@pytest.mark.slow  # transformers: installed in CI for the slow pass only
def test_byte_level_bpe_ids_equal_transformers_gpt2_tokenizer(gpt2, gpt2_folder):
    transformers = pytest.importorskip("transformers")
    reference = transformers.GPT2TokenizerFast(str(gpt2_folder / "vocab.json"), str(gpt2_folder / "merges.txt"))
    firsts, seconds = zip(*PAIRS, strict=True)

    assert ids_mismatches(HELD_OUT, gpt2.token_ids(HELD_OUT), reference(HELD_OUT)["input_ids"]) == []
    ours = [list(row[mask]) for row, mask in zip(*_tokens_and_mask(gpt2, firsts, seconds), strict=True)]
    assert ids_mismatches(PAIRS, ours, reference(list(firsts), list(seconds))["input_ids"]) == []


def test_byte_level_bpe_decodes_to_the_very_text(gpt2):
    assert gpt2.decode(gpt2.token_ids(HELD_OUT)) == HELD_OUT


# Where keras-hub's BertTokenizer (tf-text) normalizes otherwise than BERT's own tokenizer, which kerazoo and
# transformers follow: tf-text folds case with NFKC (full-width letters and ligatures become ASCII), and
# splits at zero-width joiners, which BERT removes with the other format characters.
TF_TEXT_NORMALIZES_OTHERWISE = [t for t in HELD_OUT if "\u200d" in t or "ＦＵＬＬ" in t]


def _keras_hub_bert_ids(bert_folder, texts):
    pytest.importorskip("tensorflow_text")
    keras_hub = pytest.importorskip("keras_hub")
    vocabulary = str(bert_folder / "vocab.txt")
    reference = keras_hub.tokenizers.BertTokenizer(vocabulary=vocabulary, lowercase=True, strip_accents=True)
    return [list(reference(t)) for t in texts]  # NumPy on every backend


@pytest.mark.slow  # keras-hub's tokenizers import TensorFlow and tf-text
def test_wordpiece_ids_equal_keras_hub_bert_tokenizer(bert, bert_folder):
    texts = [t for t in HELD_OUT if t not in TF_TEXT_NORMALIZES_OTHERWISE]

    assert ids_mismatches(texts, bert.token_ids(texts), _keras_hub_bert_ids(bert_folder, texts)) == []


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="tf-text's NFKC case folding and zero-width-joiner split are not BERT's")
def test_wordpiece_ids_equal_keras_hub_bert_tokenizer_on_full_width_text_and_joined_emoji(bert, bert_folder):
    texts = TF_TEXT_NORMALIZES_OTHERWISE

    assert ids_mismatches(texts, bert.token_ids(texts), _keras_hub_bert_ids(bert_folder, texts)) == []


@pytest.mark.slow  # transformers: installed in CI for the slow pass only
def test_wordpiece_ids_and_segments_equal_transformers_bert_tokenizer(bert, bert_folder):
    transformers = pytest.importorskip("transformers")
    reference = transformers.BertTokenizerFast(str(bert_folder / "vocab.txt"), do_lower_case=True)
    firsts, seconds = map(list, zip(*PAIRS, strict=True))
    theirs = reference(firsts, seconds)

    tokens, mask = _tokens_and_mask(bert, firsts, seconds)
    segments = bert.encode(firsts, pairs=seconds)["segment_ids"]

    assert (
        ids_mismatches(HELD_OUT, bert.token_ids(HELD_OUT, add_special_tokens=True), reference(HELD_OUT)["input_ids"])
        == []
    )
    assert ids_mismatches(PAIRS, [list(r[m]) for r, m in zip(tokens, mask, strict=True)], theirs["input_ids"]) == []
    assert (
        ids_mismatches(PAIRS, [list(r[m]) for r, m in zip(segments, mask, strict=True)], theirs["token_type_ids"]) == []
    )


def test_wordpiece_decodes_to_the_normalized_text_but_its_spaces(bert):
    # WordPiece keeps no spacing: words come back space-separated, and BERT's decoder joins punctuation back.
    known = [t for t in HELD_OUT if bert.unk_id not in bert.token_ids([t])[0]]
    assert len(known) >= 5  # the check below covers most of the held-out texts

    expected = ["".join(bert.backend.normalizer.normalize_str(t).split()) for t in known]

    assert ["".join(t.split()) for t in bert.decode(bert.token_ids(known))] == expected


@pytest.mark.slow  # transformers: installed in CI for the slow pass only
def test_sentencepiece_ids_equal_the_sentencepiece_library(spiece, sentencepiece_model):
    spm = pytest.importorskip("sentencepiece")
    reference = spm.SentencePieceProcessor(model_file=str(sentencepiece_model))

    assert ids_mismatches(HELD_OUT, spiece.token_ids(HELD_OUT), reference.encode(HELD_OUT)) == []


@pytest.mark.slow  # transformers: installed in CI for the slow pass only
def test_sentencepiece_decodes_to_the_normalized_text(spiece, sentencepiece_model):
    spm = pytest.importorskip("sentencepiece")
    reference = spm.SentencePieceProcessor(model_file=str(sentencepiece_model))

    assert spiece.decode(spiece.token_ids(HELD_OUT)) == reference.decode(reference.encode(HELD_OUT))


@pytest.mark.slow  # transformers: installed in CI for the slow pass only
def test_sentencepiece_ids_and_pairs_equal_transformers_t5_tokenizer(spiece, sentencepiece_model, tmp_path):
    spm = pytest.importorskip("sentencepiece")
    transformers = pytest.importorskip("transformers")
    shutil.copy(sentencepiece_model, tmp_path / "spiece.model")
    reference = transformers.T5TokenizerFast.from_pretrained(tmp_path, extra_ids=0)
    firsts, seconds = map(list, zip(*PAIRS, strict=True))
    tokens, mask = _tokens_and_mask(spiece, firsts, seconds)
    # T5's converter leaves out byte fallback (T5's own model has none), so texts that need it are left to
    # the sentencepiece library's test above.
    pieces = spm.SentencePieceProcessor(model_file=str(sentencepiece_model))
    texts = [t for t in HELD_OUT if not any(map(pieces.is_byte, pieces.encode(t)))]
    assert len(texts) >= 6

    theirs = reference(texts)["input_ids"]
    assert ids_mismatches(texts, spiece.token_ids(texts, add_special_tokens=True), theirs) == []
    theirs = reference(firsts, seconds)["input_ids"]
    assert ids_mismatches(PAIRS, [list(r[m]) for r, m in zip(tokens, mask, strict=True)], theirs) == []


def _tokens_and_mask(tokenizer, firsts, seconds):
    batch = tokenizer.encode(list(firsts), pairs=list(seconds), return_padding_mask=True)
    return batch["tokens"], batch["padding_mask"]
