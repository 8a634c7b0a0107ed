"""Exports reload in their own runtime (TensorFlow, onnxruntime, the LiteRT interpreter) and give the Keras
model's outputs, at any batch size."""

import numpy as np
import pytest

from kerazoo import cli, models

TOLERANCE = {"saved_model": 1e-4, "onnx": 1e-4, "litert": 1e-3}
SUFFIX = {"saved_model": "", "onnx": ".onnx", "litert": ".tflite"}
LSTMS = {"lstm_classifier", "bilstm_attention_classifier", "lstm_seq2seq"}
# Every model in every format it can express; the slow pass runs all of them, the default suite a few.
QUICK = {"lenet5", "gpt"}
CASES = [
    pytest.param(name, fmt, marks=() if name in QUICK else pytest.mark.slow)
    for name in models.list_models()
    for fmt in models.serving.EXPORT_FORMATS
    if not (fmt == "litert" and name in LSTMS)
]


def inputs_for(name: str, batch: int) -> dict:
    info = models.info(name)
    rng = np.random.default_rng(batch)
    feeds = {}
    for spec in info.inputs:
        shape = (
            batch,
            *(size or 6 for size in models.build(name, **info.small_config).get_layer(spec.name).batch_shape[1:]),
        )
        if spec.role == "image":
            feeds[spec.name] = rng.uniform(0, 1, shape).astype("float32")
        else:
            feeds[spec.name] = rng.integers(1, info.small_config["vocab_size"], shape).astype("int32")
    return feeds


def run_exported(path, fmt: str, feeds: dict) -> np.ndarray:
    """The exported artefact's output, computed by its own runtime."""
    single = len(feeds) == 1
    if fmt == "saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))  # kept: its variables die with it
        return np.asarray(loaded.serve(next(iter(feeds.values())) if single else feeds))
    if fmt == "onnx":
        onnxruntime = pytest.importorskip("onnxruntime")
        session = onnxruntime.InferenceSession(str(path))
        return session.run(None, {tensor.name: feeds[tensor.name] for tensor in session.get_inputs()})[0]
    interpreter = pytest.importorskip("ai_edge_litert.interpreter").Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    (signature,) = interpreter.get_signature_list().values()
    arguments = dict(zip(signature["inputs"], feeds.values(), strict=True)) if single else feeds
    return next(iter(runner(**arguments).values()))


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_an_export_gives_the_keras_outputs_at_any_batch_size(name, fmt, tmp_path):
    if fmt == "onnx":
        pytest.importorskip("tf2onnx")
    model = models.build(name, **models.info(name).small_config)
    path = models.export(model, tmp_path / f"{name}{SUFFIX[fmt]}", format=fmt)
    for batch in (1, 3):
        feeds = inputs_for(name, batch)
        expected = model.predict(feeds if len(feeds) > 1 else next(iter(feeds.values())), verbose=0)
        np.testing.assert_allclose(run_exported(path, fmt, feeds), expected, atol=TOLERANCE[fmt])


def test_an_lstm_model_is_refused_for_litert_naming_model_and_format(tmp_path):
    model = models.build("lstm_classifier", **models.info("lstm_classifier").small_config)
    with pytest.raises(ValueError, match="lstm_classifier cannot be exported to litert: its LSTM loops need"):
        models.export(model, tmp_path / "lstm.tflite", format="litert")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "coreml"}, "`format` must be one of 'saved_model', 'onnx', 'litert'"),
        ({"format": "onnx", "path": "model.tflite"}, "`path` for format='onnx' must end in '.onnx'"),
    ],
)
def test_bad_export_arguments_are_named(options, message, tmp_path):
    model = models.build("lenet5", **models.info("lenet5").small_config)
    path = tmp_path / options.pop("path", "model.onnx")
    with pytest.raises(ValueError, match=message):
        models.export(model, path, **options)


def test_a_model_path_that_is_not_a_keras_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="must be a keras.Model or an existing .keras file"):
        models.export(tmp_path / "missing.keras", tmp_path / "out", format="saved_model")


def test_the_export_command_writes_a_saved_model_from_a_keras_file(tmp_path, capsys):
    model = models.build("lenet5", **models.info("lenet5").small_config)
    model.save(tmp_path / "model.keras")
    output = tmp_path / "served"
    assert cli.main(["export", str(tmp_path / "model.keras"), "--format", "saved_model", "--output", str(output)]) == 0
    feeds = inputs_for("lenet5", 2)
    np.testing.assert_allclose(
        run_exported(output, "saved_model", feeds), model.predict(feeds["image"], verbose=0), atol=1e-4
    )


def test_exporting_again_replaces_the_earlier_saved_model_whole(tmp_path):
    model = models.build("lenet5", **models.info("lenet5").small_config)
    models.export(model, tmp_path / "served")
    models.export(model, tmp_path / "served")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["served"]  # no staging folder left behind
