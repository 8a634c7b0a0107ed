"""models.from_pretrained and kerazoo.hub, through a local Hub (tests/hub_server.py) that huggingface_hub
downloads from as it would from huggingface.co: no network is needed or touched."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hub_server import LocalHub
from tiny_checkpoints import TinyGPT2Checkpoint, bert_arrays

from kerazoo import hub, models, names
from kerazoo.models import convert, pretrained

hf_constants = pytest.importorskip("huggingface_hub.constants")
pytest.importorskip("safetensors")

TOKENIZER = {"vocab.json": b'{"a": 0, "b": 1}', "merges.txt": b"#version: 0.2\na b\n", "tokenizer_config.json": b"{}"}
LEFT_OUT = {"pytorch_model.bin": b"pickle", "tf_model.h5": b"h5", "README.md": b"# tiny"}

BERT_CONFIG = {
    "model_type": "bert",
    "vocab_size": 20,
    "max_position_embeddings": 8,
    "hidden_size": 4,
    "num_attention_heads": 2,
    "intermediate_size": 8,
    "num_hidden_layers": 1,
    "type_vocab_size": 2,
    "hidden_act": "gelu",
}


def write_checkpoint(folder: Path, config: dict, arrays: dict | None, extra: dict | None = None) -> Path:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    if arrays is not None:
        save_file(arrays, str(folder / "model.safetensors"))
    for name, content in (extra or {}).items():
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """The local folders the Hub serves, written once for the module."""
    root = tmp_path_factory.mktemp("checkpoints")
    gpt2 = TinyGPT2Checkpoint()
    other = {name: 2 * value for name, value in gpt2.arrays().items()}
    return {
        "tiny/gpt2": write_checkpoint(root / "gpt2", gpt2.config, gpt2.arrays(), {**TOKENIZER, **LEFT_OUT}),
        "tiny/gpt2@v1": write_checkpoint(root / "gpt2-v1", gpt2.config, other),
        "tiny/bert": write_checkpoint(root / "bert", BERT_CONFIG, bert_arrays(BERT_CONFIG)),
        "tiny/bert-classifier": write_checkpoint(
            root / "bert-classifier", BERT_CONFIG, bert_arrays(BERT_CONFIG, num_classes=3)
        ),
        "tiny/pickled": write_checkpoint(root / "pickled", gpt2.config, None, LEFT_OUT),
        "tiny/llama": write_checkpoint(root / "llama", {"model_type": "llama"}, gpt2.arrays()),
    }


@pytest.fixture(scope="module")
def local_hub(checkpoints):
    with LocalHub() as server:
        for name, folder in checkpoints.items():
            repo, _, revision = name.partition("@")
            server.add(repo, folder, revision=revision or "main")
        yield server


@pytest.fixture
def hf(local_hub, tmp_path, monkeypatch):
    """huggingface_hub pointed at the local Hub with an empty cache of this test's own, as HF_ENDPOINT and
    HF_HUB_CACHE do when set before it is imported (it reads them once, into its constants)."""
    constants = hf_constants
    monkeypatch.setattr(constants, "ENDPOINT", local_hub.url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", local_hub.url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for variable in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    local_hub.requests.clear()
    yield local_hub
    local_hub.cut_after.clear()
    local_hub.fail_next.clear()


def offline(monkeypatch) -> None:
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)


IDS = np.array([[1, 2, 3, 0], [4, 5, 6, 7]], "int32")


def logits(model, ids=IDS):
    if isinstance(model.input, dict) or len(model.inputs) > 1:
        return np.asarray(model({"tokens": ids, "segment_ids": np.zeros_like(ids)}))
    return np.asarray(model(ids))


# --- kerazoo.hub: the download --------------------------------------------------------------------------


def test_a_download_fetches_the_config_safetensors_and_tokenizer_files_and_nothing_pickled(hf):
    folder = hub.resolve("hf:tiny/gpt2")
    assert sorted(path.name for path in folder.iterdir()) == sorted(["config.json", "model.safetensors", *TOKENIZER])
    downloaded = {path.rsplit("/", 1)[-1] for path in hf.served("GET")}
    assert downloaded == {"config.json", "model.safetensors", *TOKENIZER}
    assert folder.is_relative_to(hf_constants.HF_HUB_CACHE)


def test_the_files_argument_fetches_only_those(hf):
    folder = hub.resolve("hf:tiny/gpt2", files=hub.TOKENIZER_FILES)
    assert sorted(path.name for path in folder.iterdir()) == sorted(TOKENIZER)


def test_from_pretrained_through_the_hub_is_the_exact_conversion_of_the_folder(hf, checkpoints):
    model = models.from_pretrained("hf:tiny/gpt2")
    assert model.name == "gpt"
    np.testing.assert_array_equal(logits(model), logits(convert.from_hugging_face(checkpoints["tiny/gpt2"])))


def test_the_second_call_downloads_nothing_and_converts_nothing(hf, monkeypatch):
    first = models.from_pretrained("hf:tiny/gpt2")
    hf.requests.clear()

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(pretrained, "from_hugging_face", no_conversion)
    second = models.from_pretrained("hf:tiny/gpt2")
    np.testing.assert_array_equal(logits(second), logits(first))
    # Online, huggingface_hub asks only which commit "main" is now (as transformers does), and downloads nothing.
    assert hf.served("GET") == [] and hf.served("HEAD") == []
    assert hf.served("GET", "revision") == ["/api/models/tiny/gpt2/revision/main"]

    offline(monkeypatch)
    hf.requests.clear()
    np.testing.assert_array_equal(logits(models.from_pretrained("hf:tiny/gpt2")), logits(first))
    assert hf.requests == []


def test_offline_with_a_cold_cache_says_so_and_names_the_source(hf, monkeypatch):
    offline(monkeypatch)
    with pytest.raises(
        FileNotFoundError, match=r"hf:tiny/gpt2 is not \(completely\) in the Hugging Face cache .*HF_HUB_OFFLINE"
    ):
        models.from_pretrained("hf:tiny/gpt2")
    assert hf.requests == []


def test_a_revision_downloads_that_commit(hf, checkpoints):
    v1 = models.from_pretrained("hf:tiny/gpt2@v1")
    np.testing.assert_array_equal(logits(v1), logits(convert.from_hugging_face(checkpoints["tiny/gpt2@v1"])))
    main = models.from_pretrained("hf:tiny/gpt2")
    assert not np.allclose(logits(v1), logits(main))
    commit = hf.refs["tiny/gpt2"]["v1"]
    assert hub.resolve(f"hf:tiny/gpt2@{commit}").name == commit
    with pytest.raises(FileNotFoundError, match=r"The repository 'tiny/gpt2' has no revision 'v9' on http"):
        hub.resolve("hf:tiny/gpt2@v9")


def test_a_missing_repository_is_one_clear_error_naming_it(hf):
    with pytest.raises(
        FileNotFoundError, match=r"No repository 'tiny/nothing' on http://127.0.0.1:\d+ \(hf:tiny/nothing\)"
    ) as error:
        models.from_pretrained("hf:tiny/nothing")
    assert error.value.__cause__ is None and error.value.__suppress_context__  # no chain of HTTP errors


def test_an_interrupted_download_resumes_where_it_stopped(hf):
    # huggingface_hub writes what it receives in chunks of DOWNLOAD_CHUNK_SIZE bytes: a connection dropped
    # after one chunk resumes from there (a Range request) within the same call.
    chunk = hf_constants.DOWNLOAD_CHUNK_SIZE
    content = np.random.default_rng(0).bytes(chunk + chunk // 4)
    hf.add("tiny/large", {"config.json": b"{}", "tokenizer.json": content})
    hf.cut_after["tokenizer.json"] = chunk + 1000
    folder = hub.resolve("hf:tiny/large")
    assert (folder / "tokenizer.json").read_bytes() == content
    ranges = [
        headers.get("range")
        for method, path, headers in hf.requests
        if path.endswith("/tokenizer.json") and method == "GET"
    ]
    assert ranges == [None, f"bytes={chunk}-"]


def test_a_failed_download_leaves_the_cache_usable_and_the_next_call_completes_it(hf, monkeypatch):
    hf.fail_next["model.safetensors"] = 500
    with pytest.raises(FileNotFoundError, match=r"hf:tiny/gpt2 could not be fetched on http.* \(HTTP 500\)"):
        models.from_pretrained("hf:tiny/gpt2")
    cache = Path(hf_constants.HF_HUB_CACHE)
    assert not [path for path in cache.rglob("*") if "incomplete" in path.name]
    with monkeypatch.context() as patch:  # offline, the cache knows it misses a file: no half snapshot is used
        offline(patch)
        with pytest.raises(FileNotFoundError, match="not \\(completely\\) in the Hugging Face cache"):
            models.from_pretrained("hf:tiny/gpt2")
    hf.requests.clear()
    assert models.from_pretrained("hf:tiny/gpt2").name == "gpt"
    assert [path.rsplit("/", 1)[-1] for path in hf.served("GET")] == ["model.safetensors"]  # only what was missing


def test_the_token_in_hf_token_is_sent(hf, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_local_test_token")
    hub.resolve("hf:tiny/gpt2", files=("config.json",))
    sent = {headers.get("authorization") for _, path, headers in hf.requests if "/tiny/gpt2/" in path}
    assert sent == {"Bearer hf_local_test_token"}


def test_the_hub_settings_come_from_the_environment_in_a_fresh_process(hf, tmp_path):
    environment = {**os.environ, "HF_ENDPOINT": hf.url, "HF_HUB_CACHE": str(tmp_path / "env-cache")}
    code = (
        "import sys\n"
        "from kerazoo import hub\n"
        "assert 'huggingface_hub' not in sys.modules, 'imported before it is needed'\n"
        "print(hub.resolve('hf:tiny/gpt2', files=('config.json',)))"
    )
    run = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).is_relative_to(tmp_path / "env-cache")
    offline_run = subprocess.run(
        [sys.executable, "-c", code], env={**environment, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert offline_run.stdout == run.stdout, offline_run.stderr


def test_a_source_that_is_neither_a_hub_name_nor_a_folder_is_named(tmp_path):
    with pytest.raises(
        FileNotFoundError, match="`source` .*nothing' does not exist; give a checkpoint folder or a Hub name"
    ):
        hub.resolve(tmp_path / "nothing")
    with pytest.raises(ValueError, match="'hf:a/b/c' is not a Hub name: write hf:ORG/NAME"):
        hub.resolve("hf:a/b/c")
    with pytest.raises(ValueError, match="'hf:tiny/gpt2@' is not a Hub name"):
        hub.resolve("hf:tiny/gpt2@")


# --- what is refused ------------------------------------------------------------------------------------


def test_a_repository_with_only_pickled_weights_is_refused_asking_for_safetensors(hf):
    with pytest.raises(
        ValueError, match=r"hf:tiny/pickled holds only pytorch_model.bin\. kerazoo reads safetensors .* never unpickles"
    ):
        models.from_pretrained("hf:tiny/pickled")
    assert not [path for path in hf.served("GET") if path.endswith(".bin")]


def test_a_local_folder_with_only_pickled_weights_is_refused_too(checkpoints):
    with pytest.raises(ValueError, match="holds only pytorch_model.bin"):
        models.from_pretrained(checkpoints["tiny/pickled"])


def test_a_model_type_kerazoo_lacks_is_named_with_what_it_has(hf):
    has = r"kerazoo has bert \(as transformer_classifier\), gpt2 \(as gpt\)"
    with pytest.raises(ValueError, match=r"hf:tiny/llama is a 'llama' checkpoint \(config.json's model_type\); " + has):
        models.from_pretrained("hf:tiny/llama")


def test_an_option_the_checkpoint_fixes_is_refused_before_converting(hf, monkeypatch):
    monkeypatch.setattr(pretrained, "from_hugging_face", lambda *a, **k: pytest.fail("converted"))
    with pytest.raises(ValueError, match="The checkpoint fixes dim=4; these options cannot change it"):
        models.from_pretrained("hf:tiny/gpt2", dim=8)
    with pytest.raises(ValueError, match="max_length may be lower than the checkpoint's"):
        models.from_pretrained("hf:tiny/gpt2", max_length=5)


def test_num_classes_on_a_checkpoint_with_its_own_head_needs_replace_head(hf):
    with pytest.raises(
        ValueError, match="has its own 3-class head; num_classes=5 would throw it away: pass replace_head=True"
    ):
        models.from_pretrained("hf:tiny/bert-classifier", num_classes=5)
    with pytest.raises(ValueError, match="replace_head=True, but hf:tiny/gpt2 has no classifier head"):
        models.from_pretrained("hf:tiny/gpt2", replace_head=True)


# --- free options ---------------------------------------------------------------------------------------


def weights(model, *, but_head=True) -> dict:
    return {v.path: np.asarray(v) for v in model.weights if not (but_head and v.path.startswith(f"{names.HEAD}/"))}


def assert_same_weights(model, reference) -> None:
    ours, theirs = weights(model), weights(reference)
    assert ours.keys() == theirs.keys()
    for path, value in ours.items():
        np.testing.assert_array_equal(value, theirs[path], err_msg=path)


def test_num_classes_puts_a_fresh_head_on_a_backbone_checkpoint(hf, checkpoints):
    backbone = convert.from_hugging_face(checkpoints["tiny/bert"])
    for _ in range(2):  # converted, then from the cached conversion
        model = models.from_pretrained("hf:tiny/bert", num_classes=2, dropout=0.1)
        assert model.get_layer(names.HEAD).units == 2
        assert_same_weights(model, backbone)


def test_replace_head_swaps_a_checkpoint_head_and_include_top_false_drops_it(hf, checkpoints):
    classifier = convert.from_hugging_face(checkpoints["tiny/bert-classifier"])
    replaced = models.from_pretrained("hf:tiny/bert-classifier", replace_head=True, num_classes=5)
    assert tuple(replaced.get_layer(names.HEAD).kernel.shape) == (4, 5)
    assert_same_weights(replaced, classifier)
    same = models.from_pretrained("hf:tiny/bert-classifier", num_classes=3, classifier_activation=None)
    np.testing.assert_array_equal(logits(same), logits(classifier))
    backbone = models.from_pretrained("hf:tiny/bert-classifier", include_top=False)
    assert set(backbone.output) == {"sequence_output", "pooled_output"}


def test_a_shorter_max_length_keeps_the_first_positions(hf, checkpoints):
    full = convert.from_hugging_face(checkpoints["tiny/gpt2"])
    short = models.from_pretrained("hf:tiny/gpt2", max_length=3)
    assert tuple(short.get_layer(names.POSITION_EMBEDDING).weights[0].shape) == (3, 4)
    ids = IDS[:, :3]
    np.testing.assert_array_equal(logits(short, ids), logits(full, ids))
    local = models.from_pretrained(checkpoints["tiny/gpt2"], max_length=3)  # and without the Hub's cache
    np.testing.assert_array_equal(logits(local, ids), logits(full, ids))


# --- the converted model's cache ------------------------------------------------------------------------


def cached_files(source: str) -> list[Path]:
    return sorted((hub.resolve(source) / f"kerazoo-{pretrained.__version__}").glob("*.keras"))


def test_the_conversion_is_cached_beside_the_download_and_a_local_folder_is_left_alone(hf, checkpoints):
    models.from_pretrained("hf:tiny/gpt2")
    assert [path.name for path in cached_files("hf:tiny/gpt2")] == ["gpt.keras"]
    before = sorted(path.name for path in checkpoints["tiny/gpt2"].iterdir())
    models.from_pretrained(checkpoints["tiny/gpt2"])
    assert sorted(path.name for path in checkpoints["tiny/gpt2"].iterdir()) == before


def test_a_conversion_killed_while_saving_leaves_nothing_and_the_next_call_completes(hf, monkeypatch):
    import keras

    def killed(model, path, *args, **kwargs):
        Path(path).write_bytes(b"PK half a zip")
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save", killed)
        with pytest.raises(KeyboardInterrupt):
            models.from_pretrained("hf:tiny/gpt2")
    folder = hub.resolve("hf:tiny/gpt2") / f"kerazoo-{pretrained.__version__}"
    assert list(folder.glob("*.keras")) == []
    # A process killed outright leaves its temporary file; a later write sweeps it (its process is gone).
    orphan = folder / ".gpt.999999999.tmp.keras"
    orphan.write_bytes(b"PK half a zip")
    first = models.from_pretrained("hf:tiny/gpt2")
    assert not orphan.exists() and len(cached_files("hf:tiny/gpt2")) == 1
    np.testing.assert_array_equal(logits(models.from_pretrained("hf:tiny/gpt2")), logits(first))


def test_an_unreadable_cached_conversion_is_converted_again(hf, checkpoints):
    models.from_pretrained("hf:tiny/gpt2")
    [cached] = cached_files("hf:tiny/gpt2")
    cached.write_bytes(b"not a zip")
    model = models.from_pretrained("hf:tiny/gpt2")
    np.testing.assert_array_equal(logits(model), logits(convert.from_hugging_face(checkpoints["tiny/gpt2"])))
    assert cached.read_bytes()[:2] == b"PK"  # rewritten


# --- parity with transformers (PyTorch builds the reference in a process of its own) ---------------------


def transformers_checkpoint(folder: Path, kind: str) -> dict:
    for package in ("torch", "transformers"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed")
    script = Path(__file__).with_name("hugging_face_reference.py")
    subprocess.run([sys.executable, str(script), kind, str(folder)], check=True, capture_output=True)
    with np.load(folder / "reference.npz") as arrays:
        return dict(arrays)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gpt2", "bert-classifier"])
def test_from_pretrained_through_the_hub_gives_transformers_logits(hf, tmp_path, kind):
    folder = tmp_path / kind
    folder.mkdir()
    reference = transformers_checkpoint(folder, kind)
    (folder / "reference.npz").unlink()
    hf.add(f"transformers/{kind}", folder)
    model = models.from_pretrained(f"hf:transformers/{kind}")
    ids = reference["ids"].astype("int32")
    if kind == "gpt2":
        real = ids != 0
        np.testing.assert_allclose(np.asarray(model(ids))[real], reference["logits"][real], atol=1e-4)
    else:
        outputs = model({"tokens": ids, "segment_ids": reference["segments"].astype("int32")})
        np.testing.assert_allclose(outputs, reference["logits"], atol=1e-4)
    again = models.from_pretrained(f"hf:transformers/{kind}")  # from the cached conversion
    inputs = ids if kind == "gpt2" else {"tokens": ids, "segment_ids": reference["segments"].astype("int32")}
    np.testing.assert_array_equal(np.asarray(again(inputs)), np.asarray(model(inputs)))


def test_a_bert_pretraining_checkpoint_in_tensorflow_names_converts_as_the_current_layout(tmp_path):
    """bert-base-uncased's model.safetensors on the Hub: BertForPreTraining under "bert.", its LayerNorms'
    weights named gamma and beta, and the pre-training heads (cls.*) beside it."""
    current = bert_arrays(BERT_CONFIG)
    old = {}
    for name, value in current.items():
        name = f"bert.{name}".replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        old[name] = value
    rng = np.random.default_rng(1)
    old.update({"cls.predictions.bias": rng.normal(size=20), "cls.seq_relationship.weight": rng.normal(size=(2, 4))})
    old = {name: np.asarray(value, "float32") for name, value in old.items()}
    expected = convert.from_hugging_face(write_checkpoint(tmp_path / "current", BERT_CONFIG, current))
    model = convert.from_hugging_face(write_checkpoint(tmp_path / "old", BERT_CONFIG, old))
    for output in ("sequence_output", "pooled_output"):
        np.testing.assert_array_equal(
            np.asarray(model({"tokens": IDS, "segment_ids": np.zeros_like(IDS)})[output]),
            np.asarray(expected({"tokens": IDS, "segment_ids": np.zeros_like(IDS)})[output]),
        )
