"""The benchmark harness records what it measured and regenerates the table; the suites run end to end.

The suites themselves are smoke-run with `--quick` (tiny sizes, the slow pass): speed is the benchmarks'
business, not the tests'.
"""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import report

ROOT = Path(__file__).resolve().parent.parent


def _line(suite="cpu", row="lstm", value=1.1, device="cpu-2-cores"):
    return {
        "suite": suite,
        "device": device,
        "machine": "a test machine",
        "backend": "tensorflow",
        "precision": "float32",
        "versions": "keras 3",
        "python": "3.11",
        "date": "2026-11-24",
        "row": row,
        "title": f"{row} training",
        "kerazoo_name": "kerazoo",
        "unit": "sequences/s",
        "kerazoo": 110.0,
        "reference_name": "keras.layers.LSTM stack",
        "reference": 100.0,
        "comparison": "ratio",
        "value": value,
        "low": value - 0.05,
        "high": value + 0.05,
        "target": ">= 1.00",
        "met": "yes" if value >= 1 else "no",
        "kerazoo_peak_mb": 12.5,
        "reference_peak_mb": None,
        "notes": "",
    }


def test_merge_replaces_the_same_rows_of_an_earlier_run_and_keeps_the_others(tmp_path):
    path = tmp_path / "cpu-2-cores.csv"
    report.merge(path, [_line(row="lstm", value=0.9), _line(row="resnet50", value=1.2)])
    report.merge(path, [_line(row="lstm", value=1.05)])

    assert [line["row"] for line in report.read(path)] == ["lstm", "resnet50"]  # in place, order kept
    lines = {line["row"]: line for line in report.read(path)}
    assert float(lines["lstm"]["value"]) == 1.05
    assert float(lines["resnet50"]["value"]) == 1.2


def test_the_table_shows_full_runs_and_says_which_suites_have_no_figures(tmp_path):
    report.merge(tmp_path / "cpu-2-cores.csv", [_line(row="lstm", value=1.07)])
    report.merge(tmp_path / "cpu-2-cores-quick.csv", [_line(row="resnet50", value=9.99)])
    markdown = tmp_path / "BENCHMARKS.md"

    report.write_markdown(tmp_path, markdown, {"gpu": "No figures yet: no GPU."})

    text = markdown.read_text()
    assert "## cpu suite on cpu-2-cores" in text
    assert "| lstm training | 110 sequences/s | 100 sequences/s (keras.layers.LSTM stack) | 1.07x (1.02-1.12) |" in text
    assert "9.99" not in text  # quick runs are smoke runs, not figures
    assert "## gpu suite\n\nNo figures yet: no GPU." in text


def test_rows_measured_on_another_machine_get_a_table_under_their_own_context_line(tmp_path):
    elsewhere = {**_line(row="bert_finetuning"), "machine": "another test machine", "date": "2026-12-07"}
    report.merge(tmp_path / "cpu-2-cores.csv", [_line(row="lstm"), elsewhere, _line(row="resnet50")])

    report.write_markdown(tmp_path, tmp_path / "B.md", {})

    text = (tmp_path / "B.md").read_text()
    assert text.count("## cpu suite on cpu-2-cores") == 1
    first, second = text.split("another test machine;")
    assert "| lstm training |" in first and "| resnet50 training |" in first and "measured 2026-11-24." in first
    assert "| bert_finetuning training |" in second and "measured 2026-12-07." in second


def test_difference_rows_show_a_signed_difference_in_their_unit(tmp_path):
    line = {**_line(row="word2vec_memory"), "comparison": "difference", "unit": "MB", "value": -1.5}
    line.update(low=-1.5, high=-1.5, kerazoo=3.0, reference=4.5)
    report.merge(tmp_path / "cpu.csv", [line])

    report.write_markdown(tmp_path, tmp_path / "B.md", {})

    assert "| -1.5 MB |" in (tmp_path / "B.md").read_text()


@pytest.mark.slow
def test_tokenizers_suite_races_encode_against_the_engine_keras_hub_and_tiktoken(tmp_path):
    for module in ("tiktoken", "keras_hub", "tensorflow_text"):  # the references (keras-hub's needs tf-text)
        pytest.importorskip(module)
    lines = _run_quick_suite("tokenizers", tmp_path)

    assert {(line["row"], line["reference_name"]) for line in lines} == {
        ("tokenize_bpe", "tokenizers encode_batch"),
        ("tokenize_bpe", "keras-hub GPT2Tokenizer"),
        ("tokenize_bpe", "tiktoken"),
        ("tokenize_wordpiece", "tokenizers encode_batch"),
        ("tokenize_wordpiece", "keras-hub BertTokenizer"),
    }
    _assert_measured(lines)


def _run_quick_suite(suite, tmp_path):
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "benchmarks", "--suite", suite, "--quick", "--results", str(tmp_path)]
    command += ["--markdown", str(tmp_path / "BENCHMARKS.md")]
    run = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    # The suite's own output says which row failed and why; CI shows only the end of a failure's report.
    assert run.returncode == 0, f"the {suite} suite failed (exit {run.returncode}):\n{run.stderr[-6000:]}"
    (results,) = tmp_path.glob("*-quick.csv")
    with results.open(newline="") as file:
        return list(csv.DictReader(file))


def _assert_measured(lines):
    for line in lines:
        assert float(line["kerazoo"]) > 0 and float(line["reference"]) > 0, line
        if line["comparison"] == "ratio":
            assert float(line["low"]) <= float(line["value"]) <= float(line["high"]), line


@pytest.mark.slow
def test_cpu_suite_runs_every_row_with_peak_memory(tmp_path):
    # The references (keras-hub's models, transformers' GPT-2 on torch) and JAX, which one GPT-2 row runs on.
    for module in ("keras_hub", "transformers", "jax"):
        pytest.importorskip(module)
    lines = _run_quick_suite("cpu", tmp_path)

    rows = {line["row"] for line in lines}
    assert rows == {
        "encoder_dropout0",
        "encoder_dropout0.1",
        "gpt_training",
        "gpt_generation",
        "bert_finetuning",
        "gpt2_generation_transformers",
        "gpt2_generation_transformers_jax",
        "resnet50",
        "lstm",
        "distributed",
        "import",
    }
    _assert_measured(lines)
    assert all(float(line["kerazoo_peak_mb"]) > 0 for line in lines if line["row"] != "import")
    for line in lines:
        if line["row"].startswith("encoder") or line["row"] == "bert_finetuning":
            # "MFU kerazoo 0.012, keras-hub TransformerEncoder 0.011 (of a measured ... matmul peak)": each
            # contender's share of the peak (quick runs' tiny matmuls make the peak itself rough).
            (shares,) = re.findall(r"MFU (.+?) \(of a measured", line["notes"])
            named = dict(share.rsplit(" ", 1) for share in shares.split(", "))
            assert list(named) == ["kerazoo", line["reference_name"]], line["notes"]
            assert all(float(share) > 0 for share in named.values()), line["notes"]


@pytest.mark.slow
def test_gpu_suite_runs_on_jax_in_mixed_bfloat16(tmp_path):
    lines = _run_quick_suite("gpu", tmp_path)

    assert {line["backend"] for line in lines} == {"jax"}
    assert {line["precision"] for line in lines} == {"mixed_bfloat16"}
    rows = {line["row"] for line in lines}
    assert "bert_finetuning" in rows
    # transformers' GPT-2 runs on the CPU: the cpu suite's rows, on TensorFlow and on JAX.
    assert not {"gpt2_generation_transformers", "gpt2_generation_transformers_jax"} & rows
    _assert_measured(lines)


@pytest.mark.slow
def test_word2vec_suite_compares_speed_memory_and_similarity_with_gensim(tmp_path):
    lines = _run_quick_suite("word2vec", tmp_path)

    assert {line["row"] for line in lines} == {
        "word2vec_corpus_file",
        "word2vec_iterable",
        "word2vec_memory",
        "word2vec_similarity",
    }
    assert {line["title"].split()[0] for line in lines if line["row"] == "word2vec_similarity"} == {
        "wordsim353",
        "simlex999",
    }
    _assert_measured([line for line in lines if line["row"] in ("word2vec_corpus_file", "word2vec_iterable")])
    for line in lines:
        if line["row"] == "word2vec_similarity":
            # The mean difference of the seeds' Spearman scores, between the seeds' extremes.
            kerazoo, gensim, value = float(line["kerazoo"]), float(line["reference"]), float(line["value"])
            assert value == pytest.approx(kerazoo - gensim, abs=1e-4), line
            assert float(line["low"]) <= value <= float(line["high"]), line


HLO = """HloModule step

fused_computation {
  p0 = f32[4]{0} parameter(0)
  ROOT add = f32[4]{0} add(p0, p0)
}

ENTRY %main (a: f32[4,4], b: f32[4,4]) -> (f32[4,4], f32[4]) {
  %a = f32[4,4]{1,0} parameter(0)
  %b = f32[4,4]{1,0} parameter(1)
  %dot.1 = f32[4,4]{1,0} dot(f32[4,4]{1,0} %a, f32[4,4]{1,0} %b), lhs_contracting_dims={1}, rhs_contracting_dims={0}
  %fusion = f32[4]{0} fusion(f32[4,4]{1,0} %dot.1), kind=kLoop, calls=fused_computation
  ROOT %tuple = (f32[4,4]{1,0}, f32[4]{0}) tuple(f32[4,4]{1,0} %dot.1, f32[4]{0} %fusion)
}
"""


def test_the_profile_counts_the_entry_computation_and_not_the_fused_ones():
    from benchmarks.profile import entry_opcodes

    assert entry_opcodes(HLO) == {"parameter": 2, "dot": 1, "fusion": 1, "tuple": 1}


def test_the_encoder_flop_count_uses_the_parameters_the_stack_really_has():
    import keras

    from benchmarks.training import Encoder, _kerazoo_encoder

    config = Encoder(layers=2, dim=32, heads=4, ffn=64, length=8, batch=1)
    inputs = keras.Input((config.length, config.dim))

    assert keras.Model(inputs, _kerazoo_encoder(inputs, config, 0.0)).count_params() == config.parameters()
