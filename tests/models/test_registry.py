import json
from pathlib import Path

import pytest

from kerazoo import data, models
from kerazoo.models import registry

REQUIRED = {
    "simple_cnn",
    "lenet5",
    "resnet18",
    "resnet34",
    "resnet50",
    "lstm_classifier",
    "bilstm_attention_classifier",
    "lstm_seq2seq",
    "transformer_classifier",
    "transformer_seq2seq",
    "gpt",
}


def test_every_model_of_the_design_is_registered():
    assert set(models.list_models()) >= REQUIRED


def test_list_models_filters_with_an_fnmatch_pattern():
    assert models.list_models("resnet*") == ["resnet18", "resnet34", "resnet50"]
    assert models.list_models("*seq2seq") == ["lstm_seq2seq", "transformer_seq2seq"]


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_info_describes_each_model(name):
    info = models.info(name)
    assert info.name == name
    assert info.outputs in ("probabilities", "logits")
    assert info.paper and info.task and info.family and info.inputs
    assert info.defaults["name"] == name


def test_language_and_seq2seq_models_return_logits_and_classifiers_probabilities():
    outputs = {name: models.info(name).outputs for name in REQUIRED}
    assert {name for name, kind in outputs.items() if kind == "logits"} == {
        "gpt",
        "lstm_seq2seq",
        "transformer_seq2seq",
    }


def test_info_counts_parameters_at_the_defaults():
    assert models.info("simple_cnn").parameters == 93_322


def test_recorded_parameter_counts_match_the_models_built_at_their_defaults():
    recorded = json.loads((Path(registry.__file__).parent / registry.PARAMETERS_FILE).read_text())
    built = {name: models.build(name).count_params() for name in models.list_models()}
    assert recorded == built, f"update kerazoo/models/{registry.PARAMETERS_FILE} to {json.dumps(built)}"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_input_specs_name_the_built_models_inputs_and_dtypes(name):
    model = models.build(name, **models.info(name).small_config)
    built = {tensor.name: tensor for tensor in model.inputs}
    specs = models.info(name).inputs
    assert {spec.name for spec in specs} == set(built)
    for spec in specs:
        assert built[spec.name].dtype == spec.dtype
        assert len(built[spec.name].shape) == len(spec.shape) + 1


@pytest.mark.parametrize("name", ["simple_cnn", "resnet18", "lstm_classifier", "gpt"])
def test_input_specs_give_the_shape_at_the_defaults(name):
    model = models.build(name)
    assert [tuple(t.shape[1:]) for t in model.inputs] == [spec.shape for spec in models.info(name).inputs]


def test_every_sequence_builder_takes_max_length():
    sequence_models = [n for n in models.list_models() if models.info(n).inputs[0].role == "token_ids"]
    assert len(sequence_models) == 6
    assert all("max_length" in models.info(n).defaults for n in sequence_models)


@pytest.mark.parametrize("name", ["lstm_classifier", "bilstm_attention_classifier"])
def test_recurrent_classifiers_with_max_length_take_inputs_of_that_static_length(name):
    model = models.build(name, vocab_size=20000, max_length=128, num_classes=2)
    assert tuple(model.inputs[0].shape) == (None, 128)


def test_lstm_seq2seq_with_max_length_fixes_both_sequences():
    model = models.build("lstm_seq2seq", **models.info("lstm_seq2seq").small_config, max_length=12)
    assert {tuple(t.shape) for t in model.inputs} == {(None, 12)}


def test_max_length_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="`max_length` must be a positive integer. Received: max_length=0"):
        models.build("lstm_classifier", max_length=0)


def test_an_input_spec_refuses_an_unknown_role():
    with pytest.raises(ValueError, match="`role` must be one of"):
        registry.InputSpec("x", "audio", (None,), "float32")


def test_info_is_immutable():
    with pytest.raises(AttributeError):
        models.info("gpt").family = "rnn"
    with pytest.raises(TypeError):
        models.info("gpt").defaults["dim"] = 2


def test_build_and_the_builder_give_the_same_model():
    direct = models.lenet5(classes=3)
    built = models.build("lenet5", classes=3)
    assert direct.count_params() == built.count_params()
    assert [layer.name for layer in direct.layers] == [layer.name for layer in built.layers]


def test_an_unknown_name_suggests_the_closest_registered_ones():
    with pytest.raises(ValueError, match=r"Unknown model name 'resnet5'\. Did you mean 'resnet50'"):
        models.build("resnet5")
    with pytest.raises(ValueError, match="Unknown model name 'gtp'"):
        models.info("gtp")


def test_an_unknown_keyword_argument_names_it_and_the_closest_accepted_one():
    with pytest.raises(
        TypeError, match=r"resnet18\(\) got unknown keyword argument\(s\): 'clases' \(did you mean 'classes'"
    ):
        models.build("resnet18", clases=10)


def test_calling_a_builder_with_an_unknown_argument_fails_too():
    with pytest.raises(TypeError, match="clases"):
        models.resnet18(clases=10)


def test_registering_a_name_twice_is_an_error():
    with pytest.raises(ValueError, match="A model named 'gpt' is already registered"):

        @registry.register(
            family="x", task="language-modeling", inputs=registry.token_input_specs(), outputs="logits", paper="x"
        )
        def gpt():
            raise AssertionError("never built")


def test_registering_a_task_the_data_layer_does_not_know_is_an_error():
    with pytest.raises(ValueError, match="`task` must be one of 'image-classification'.*Received: task='detection'"):
        registry.register(
            family="x", task="detection", inputs=registry.image_input_spec((8, 8, 3)), outputs="logits", paper="x"
        )


def test_every_registered_task_is_one_the_data_layer_prepares():
    assert {models.info(name).task for name in models.list_models()} == set(data.TASKS)


def test_a_model_info_builds_and_checks_arguments_without_looking_its_name_up_again(monkeypatch):
    info = models.info("lenet5")
    monkeypatch.setattr(registry, "_REGISTERED", {})  # a second look-up would now fail
    assert info.build(classes=3).output_shape == (None, 3)
    with pytest.raises(TypeError, match=r"lenet5\(\) got unknown keyword argument\(s\): 'clases' \(did you mean"):
        info.check_arguments({"clases": 3})


def test_build_passes_a_name_for_the_model_through_to_the_builder():
    assert models.build("lenet5", name="my_lenet").name == "my_lenet"


@pytest.mark.parametrize(
    ("name", "flag", "value"),
    [
        ("gpt", "tie_embeddings", "false"),
        ("gpt", "rotary", 1),
        ("lenet5", "include_top", "True"),
        ("resnet18", "return_features", 0),
    ],
)
def test_flags_must_be_bools_however_the_builder_is_called(name, flag, value):
    config = dict(models.info(name).small_config)
    with pytest.raises(TypeError, match=f"`{flag}` must be True or False. Received: {flag}={value!r}"):
        models.build(name, **config, **{flag: value})
    with pytest.raises(TypeError, match=f"`{flag}` must be True or False"):
        getattr(models, name)(**config, **{flag: value})


@pytest.mark.parametrize(
    "input_shape", [(0, 32, 3), (-1, 32, 3), (32, 32), (32, 32, None), (32.0, 32, 3), (True, 32, 3)]
)
def test_impossible_image_shapes_are_refused_naming_input_shape(input_shape):
    with pytest.raises(ValueError, match=r"`input_shape` must be \(height, width, channels\)"):
        models.resnet18(input_shape=input_shape, classes=3, width=4)


def test_resnets_refuse_images_under_32_pixels_as_keras_applications_do():
    with pytest.raises(
        ValueError, match="resnet18 needs images of at least 32x32. Received: input_shape=\\(8, 8, 3\\)"
    ):
        models.resnet18(input_shape=(8, 8, 3), classes=3, width=4)
