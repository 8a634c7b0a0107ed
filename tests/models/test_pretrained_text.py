"""Text and checkpoint from one source: `text.Tokenizer.load("hf:...")`, `models.from_pretrained(...,
tokenizer=...)`, and the whole chain against transformers, through the local Hub (tests/hub_server.py)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hub_server import LocalHub, use_local_hub
from tiny_checkpoints import TinyGPT2Checkpoint

from kerazoo import hub, models, text
from kerazoo.models import pretrained

hf_constants = pytest.importorskip("huggingface_hub.constants")
pytest.importorskip("safetensors")

REFERENCE = Path(__file__).with_name("hugging_face_text_reference.py")

# GPT-2's file layout for TinyGPT2Checkpoint's 10 ids: 9 byte-level tokens and <|endoftext|> last.
END = "<|endoftext|>"
VOCAB = {**{token: index for index, token in enumerate("abcdefgh")}, "ab": 8, END: 9}
GPT2_TOKENIZER = {
    "vocab.json": json.dumps(VOCAB).encode(),
    "merges.txt": b"#version: 0.2\na b\n",
    "tokenizer_config.json": json.dumps({"bos_token": END, "eos_token": END}).encode(),
}
OTHER_TOKENIZER = {**GPT2_TOKENIZER, "vocab.json": json.dumps({**VOCAB, "i": 10, "j": 11}).encode()}


def write(folder: Path, files: dict, config: dict | None = None) -> Path:
    gpt2 = TinyGPT2Checkpoint()
    gpt2.write(folder, config={**gpt2.config, "bos_token_id": 9, "eos_token_id": 9, **(config or {})})
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture(scope="module")
def local_hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("text-checkpoints")
    with LocalHub() as server:
        server.add("tiny/gpt2", write(root / "gpt2", GPT2_TOKENIZER))
        server.add("tiny/gpt2", write(root / "gpt2-v2", OTHER_TOKENIZER), revision="v2")
        server.add("tiny/other-eos", write(root / "other-eos", GPT2_TOKENIZER, {"eos_token_id": 3}))
        server.add("tiny/no-tokenizer", write(root / "no-tokenizer", {}))
        yield server


@pytest.fixture
def hf(local_hub, tmp_path, monkeypatch):
    use_local_hub(local_hub, monkeypatch, tmp_path / "hf-cache")
    local_hub.requests.clear()
    return local_hub


# --- Tokenizer.load("hf:...") ---------------------------------------------------------------------------


def test_tokenizer_load_downloads_the_tokenizer_files_and_no_weights(hf):
    tok = text.Tokenizer.load("hf:tiny/gpt2")
    assert (tok.vocab_size, tok.end_id, tok.pad_id) == (10, 9, None)
    assert tok.token_ids("abc") == [[8, 2]]
    fetched = {path.rsplit("/", 1)[-1] for path in hf.served("GET")}
    assert fetched == set(GPT2_TOKENIZER)


def test_tokenizer_load_takes_a_revision_and_works_offline_from_the_cache(hf, monkeypatch):
    assert text.Tokenizer.load("hf:tiny/gpt2@v2").vocab_size == 12
    text.Tokenizer.load("hf:tiny/gpt2")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    hf.requests.clear()
    assert text.Tokenizer.load("hf:tiny/gpt2").vocab_size == 10
    assert hf.requests == []


def test_tokenizer_load_names_a_repository_without_tokenizer_files(hf):
    with pytest.raises(FileNotFoundError, match=r"hf:tiny/no-tokenizer holds no tokenizer files \(kerazoo reads"):
        text.Tokenizer.load("hf:tiny/no-tokenizer")


def test_tokenizer_load_names_a_missing_repository(hf):
    with pytest.raises(FileNotFoundError, match=r"No repository 'tiny/nothing' on http://127.0.0.1:\d+"):
        text.Tokenizer.load("hf:tiny/nothing")


def test_tokenizer_load_still_reads_local_files_and_folders(tmp_path):
    folder = write(tmp_path / "gpt2", GPT2_TOKENIZER)
    assert text.Tokenizer.load(folder).vocab_size == text.Tokenizer.load(folder / "merges.txt").vocab_size == 10


# --- a tokenizer of another checkpoint is refused --------------------------------------------------------


def test_from_pretrained_accepts_the_tokenizer_of_the_same_source(hf):
    tok = text.Tokenizer.load("hf:tiny/gpt2")
    assert models.from_pretrained("hf:tiny/gpt2", tokenizer=tok).name == "gpt"


def test_a_tokenizer_of_another_vocabulary_is_refused_before_converting(hf, monkeypatch):
    monkeypatch.setattr(pretrained, "from_hugging_face", lambda *a, **k: pytest.fail("converted"))
    other = text.Tokenizer.load("hf:tiny/gpt2@v2")
    with pytest.raises(
        ValueError,
        match=r"`tokenizer` is not hf:tiny/gpt2's: it has 12 tokens, and the checkpoint's token table has 10 rows "
        r"\(config.json's vocab_size\).*text.Tokenizer.load\('hf:tiny/gpt2'\)",
    ):
        models.from_pretrained("hf:tiny/gpt2", tokenizer=other)


def test_a_tokenizer_whose_special_ids_disagree_with_the_config_is_refused(hf):
    tok = text.Tokenizer.load("hf:tiny/gpt2")
    with pytest.raises(
        ValueError,
        match=r"`tokenizer` is not hf:tiny/other-eos's: its end_id is 9, and config.json's eos_token_id is 3",
    ):
        models.from_pretrained("hf:tiny/other-eos", tokenizer=tok)
    with pytest.raises(TypeError, match="`tokenizer` must be a kerazoo.text.Tokenizer. Received: str"):
        models.from_pretrained("hf:tiny/gpt2", tokenizer="hf:tiny/gpt2")


@pytest.mark.parametrize(
    ("rows", "accepted"),
    [(10, True), (64, True), (128, False), (11, False), (9, False)],
)
def test_a_token_table_may_only_be_the_tokenizers_rounded_up_to_a_multiple_of_64(rows, accepted):
    class Vocabulary:  # what the check reads of a tokenizer
        vocab_size, pad_id, start_id, end_id = 10, None, None, None

    if accepted:
        pretrained._require_tokenizer_of("x", {"vocab_size": rows}, Vocabulary())
    else:
        with pytest.raises(ValueError, match=f"it has 10 tokens, and the checkpoint's token table has {rows} rows"):
            pretrained._require_tokenizer_of("x", {"vocab_size": rows}, Vocabulary())


# --- the whole chain against transformers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def transformers_checkpoints(tmp_path_factory):
    """KIND -> (a folder that transformers wrote: tokenizer, config, safetensors; reference.npz's arrays)."""
    for package in ("torch", "transformers"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed")
    written = {}

    def checkpoint(kind: str) -> tuple[Path, dict]:
        if kind not in written:
            folder = tmp_path_factory.mktemp(kind)
            run = subprocess.run([sys.executable, str(REFERENCE), kind, str(folder)], capture_output=True, text=True)
            assert run.returncode == 0, run.stderr[-3000:]
            with np.load(folder / "reference.npz") as arrays:
                written[kind] = folder, dict(arrays)
            (folder / "reference.npz").unlink()  # not a file of the checkpoint
        return written[kind]

    return checkpoint


@pytest.fixture
def reference_hub(hf, transformers_checkpoints):
    def publish(kind: str) -> tuple[str, dict]:
        folder, arrays = transformers_checkpoints(kind)
        hf.add(f"transformers/{kind}", folder)
        return f"hf:transformers/{kind}", arrays

    return publish


@pytest.mark.slow
def test_bert_classifier_from_the_hub_gives_transformers_logits_on_the_same_text(reference_hub):
    source, reference = reference_hub("bert-classifier")
    tok = text.Tokenizer.load(source)
    model = models.from_pretrained(source, tokenizer=tok)
    # Padded to the longer text, as transformers' padding=True; one sentence each, so all segment 0.
    batch = tok.encode(reference["texts"].tolist(), return_segment_ids=True)
    np.testing.assert_allclose(np.asarray(model(batch)), reference["logits"], atol=1e-5)
    first, second = reference["pairs"].T.tolist()
    pairs = tok.encode(first, pairs=second)
    np.testing.assert_allclose(np.asarray(model(pairs)), reference["pair_logits"], atol=1e-5)


@pytest.mark.slow
def test_gpt2_from_the_hub_gives_transformers_logits_and_greedy_continuation(reference_hub):
    source, reference = reference_hub("gpt2")
    tok = text.Tokenizer.load(source)
    model = models.from_pretrained(source, tokenizer=tok)
    for row, line in enumerate(reference["texts"].tolist()):
        ids = tok.encode([line])["tokens"]
        expected = reference["logits"][row, : ids.shape[1]]
        assert not np.isnan(expected).any()  # the same number of tokens as transformers' tokenizer made
        # GPT-2 at std-1 weights: logits of about +-30, float32 sums in another order.
        np.testing.assert_allclose(np.asarray(model(ids))[0], expected, atol=1e-4, rtol=1e-5)
    prompt = np.array(tok.token_ids(str(reference["prompt"])), "int32")
    ids = models.generate(model, prompt, int(reference["new_tokens"]))
    np.testing.assert_array_equal(np.asarray(ids)[0, prompt.shape[1] :], reference["continuation"])
    story = models.generate(model, str(reference["prompt"]), int(reference["new_tokens"]), tokenizer=tok)
    assert story == str(reference["text"])


@pytest.mark.slow
def test_a_bert_tokenizer_on_the_gpt2_checkpoint_is_refused(reference_hub):
    gpt2, _ = reference_hub("gpt2")
    bert, _ = reference_hub("bert-classifier")
    with pytest.raises(ValueError, match=r"`tokenizer` is not hf:transformers/gpt2's: it has \d+ tokens"):
        models.from_pretrained(gpt2, tokenizer=text.Tokenizer.load(bert))
    assert hub.resolve(bert, files=hub.TOKENIZER_FILES).is_dir()


# --- kerazoo convert hf:ORG/NAME ------------------------------------------------------------------------


def test_the_convert_command_takes_a_hub_source(hf, tmp_path, capsys):
    import keras

    from kerazoo import cli

    output = tmp_path / "gpt2.keras"
    assert cli.main(["convert", "hf:tiny/gpt2", "--to", "gpt", "--output", str(output)]) == 0
    assert capsys.readouterr().out.startswith(f"hf:tiny/gpt2 -> gpt (308 parameters): {output}")
    ids = np.array([[1, 2, 3]], "int32")
    np.testing.assert_array_equal(keras.saving.load_model(output)(ids), models.from_pretrained("hf:tiny/gpt2")(ids))


def test_the_convert_command_refuses_a_wrong_to_having_fetched_only_the_config(hf, tmp_path, capsys):
    from kerazoo import cli

    assert cli.main(["convert", "hf:tiny/gpt2", "--to", "resnet50", "--output", str(tmp_path / "out.keras")]) == 2
    assert "hf:tiny/gpt2 converts to 'gpt', not --to='resnet50'." in capsys.readouterr().err
    assert [path.rsplit("/", 1)[-1] for path in hf.served("GET")] == ["config.json"]
    assert cli.main(["convert", "hf:tiny/nothing", "--output", str(tmp_path / "out.keras")]) == 2
    assert "No repository 'tiny/nothing'" in capsys.readouterr().err


# --- kerazoo generate hf:ORG/NAME -----------------------------------------------------------------------


def test_the_generate_command_takes_a_hub_source_with_its_own_tokenizer(hf, capsys):
    from kerazoo import cli

    tok = text.Tokenizer.load("hf:tiny/gpt2")
    prompt = tok.decode(tok.token_ids(["a"])[0])
    assert cli.main(["generate", "hf:tiny/gpt2", prompt, "--max-new-tokens", "3"]) == 0
    model = models.from_pretrained("hf:tiny/gpt2", tokenizer=tok)
    assert capsys.readouterr().out.rstrip("\n") == models.generate(model, prompt, 3, tokenizer=tok)
