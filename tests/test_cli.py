import json

import pytest

from kerazoo import cli


def test_models_lists_the_registry_filtered_by_a_pattern(capsys):
    assert cli.main(["models", "resnet*"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:-1]]
    assert names == ["resnet18", "resnet34", "resnet50"]


def test_models_is_a_table_with_a_header_inputs_and_parameters(capsys):
    assert cli.main(["models", "lenet5"]) == 0
    header, row = capsys.readouterr().out.splitlines()[:2]
    assert header.split() == ["name", "family", "task", "inputs", "outputs", "parameters"]
    assert "image (32, 32, 1) float32" in row and row.endswith("0.06M")


def test_models_says_when_no_model_matches(capsys):
    assert cli.main(["models", "vgg*"]) == 0
    assert capsys.readouterr().out.startswith("No registered model matches 'vgg*'")


def test_summary_builds_with_overrides(capsys):
    assert cli.main(["summary", "lenet5", "--set", "classes=3", "--set", "input_shape=(28, 28, 1)"]) == 0
    out = capsys.readouterr().out
    assert "lenet5" in out and "(None, 3)" in out


def test_summary_rejects_a_setting_without_a_value_in_one_line_with_status_2(capsys):
    assert cli.main(["summary", "lenet5", "--set", "classes"]) == 2
    error = capsys.readouterr().err
    assert "--set takes KEY=VALUE. Received: 'classes'" in error and len(error.splitlines()) == 1


def test_an_unknown_model_is_one_line_naming_the_closest_names_with_status_2(capsys):
    assert cli.main(["summary", "resnet19"]) == 2
    error = capsys.readouterr().err
    assert "Did you mean 'resnet18'" in error and "Traceback" not in error and len(error.splitlines()) == 1


def test_debug_shows_the_traceback_of_a_user_error():
    with pytest.raises(ValueError, match="Unknown model name 'resnet19'"):
        cli.main(["--debug", "summary", "resnet19"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v")
    cli.main(["word2vec", "train", "--output", str(folder), "--vector-size", "16", "--epochs", "1", "--workers", "1"])
    return folder


def test_word2vec_train_on_the_offline_default_writes_the_model_and_history(trained):
    history = json.loads((trained / "history.json").read_text())
    assert (trained / cli.word2vec.MODEL_FILE).exists()
    assert len(history["history"]) == 1 and history["token_counts"]["read"] > 50_000
    assert (trained / "history.png").read_bytes().startswith(b"\x89PNG")


def test_word2vec_train_scores_epochs_and_stops_early_when_asked(tmp_path):
    arguments = ["--vector-size", "16", "--epochs", "4", "--workers", "1", "--score", "wordsim353"]
    early = ["--early-stopping", "loss", "--patience", "0"]  # the loss falls each epoch: no stop
    assert cli.main(["word2vec", "train", "--output", str(tmp_path), *arguments, *early]) == 0
    history = json.loads((tmp_path / "history.json").read_text())["history"]
    assert len(history) == 4 and all("wordsim353" in record for record in history)


def test_word2vec_evaluate_prints_scores_with_oov_ratios(trained, capsys):
    assert cli.main(["word2vec", "evaluate", str(trained)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert {"analogy", "wordsim353", "simlex999"} <= set(scores)


def test_word2vec_similar_lists_neighbours_and_names_unknown_words(trained, capsys):
    assert cli.main(["word2vec", "similar", str(trained), "government", "--top", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert cli.main(["word2vec", "similar", str(trained), "qwertyuiop"]) == 2
    assert "'qwertyuiop' is not in the vocabulary" in capsys.readouterr().err


def test_word2vec_export_writes_projector_files(trained, capsys):
    assert cli.main(["word2vec", "export", str(trained), "--format", "projector"]) == 0
    assert (trained / "projector" / "vectors.tsv").exists() and (trained / "projector" / "metadata.tsv").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["train", "--window", "0"], "`--window` must be a positive integer. Received: --window=0"),
        (["train", "--vector-size", "0"], "`--vector-size` must be a positive integer"),
        (["train", "--epochs", "0"], "`--epochs` must be a positive integer"),
        (["train", "--workers", "-1"], "`--workers` must be a positive integer"),
        (["train", "no/such/corpus.txt"], "no/such/corpus.txt"),
        (["evaluate", "no/such/run"], "No saved model at"),
        (["train", "--output", "/proc/kerazoo-run"], "`--output` cannot be created: /proc/kerazoo-run"),
    ],
)
def test_word2vec_mistakes_are_one_line_with_status_2(arguments, message, tmp_path, capsys):
    command, *rest = arguments
    output = ["--output", str(tmp_path)] if command == "train" and "--output" not in rest else []
    assert cli.main(["word2vec", command, *rest, *output]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.splitlines()) == 1


def test_convert_writes_the_zoo_model_of_a_checkpoint(tmp_path, gpt2_checkpoint, capsys):
    import keras

    output = tmp_path / "gpt2.keras"
    assert (
        cli.main(["convert", str(gpt2_checkpoint.write(tmp_path / "gpt2")), "--to", "gpt", "--output", str(output)])
        == 0
    )
    assert "-> gpt (" in capsys.readouterr().out
    assert keras.models.load_model(output).count_params() == sum(a.size for a in gpt2_checkpoint.arrays().values())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--to", "resnet50"], "converts to 'gpt', not --to='resnet50'"),
        (["--output", "model.h5"], "--output must end in .keras"),
        (["--set", "dim=8"], "The checkpoint fixes dim=4"),
    ],
)
def test_convert_mistakes_are_one_line_with_status_2(arguments, message, tmp_path, gpt2_checkpoint, capsys):
    source = str(gpt2_checkpoint.write(tmp_path / "gpt2"))
    output = ["--output", str(tmp_path / "out.keras")] if "--output" not in arguments else []
    assert cli.main(["convert", source, *output, *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.splitlines()) == 1


def test_train_looks_the_model_name_up_once_on_its_way_to_the_builder(tmp_path, monkeypatch):
    import keras

    from kerazoo import models
    from kerazoo.models import registry
    from kerazoo.training import fitting

    if keras.backend.backend() != "tensorflow":
        pytest.skip("tf.data pipelines")
    looked_up, look_up = [], registry.info

    def counted(name):
        looked_up.append(name)
        return look_up(name)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    for module in (models, registry):
        monkeypatch.setattr(module, "info", counted)
    monkeypatch.setattr(fitting, "fit", interrupted)  # the model is built by then
    assert cli.main(["train", "lenet5", "--epochs", "1", "--output", str(tmp_path)]) == 130
    assert looked_up == ["lenet5"]
