import keras
import numpy as np
import pytest

from kerazoo import blocks
from kerazoo.testing import Spec, check_block

SEQUENCE = Spec((5, 6), padded=True)


def test_lstm_block_returning_the_last_state_passes_the_block_checks():
    check_block(blocks.lstm_block, SEQUENCE, units=4, expected_shape=(4,))


def test_stacked_bidirectional_lstm_block_returning_sequences_passes_the_block_checks():
    check_block(
        blocks.lstm_block,
        SEQUENCE,
        units=3,
        num_layers=2,
        bidirectional=True,
        return_sequences=True,
        dropout=0.2,
        expected_shape=(5, 6),
    )


def test_bidirectional_last_state_ignores_padding():
    result = check_block(blocks.lstm_block, SEQUENCE, units=3, bidirectional=True, expected_shape=(6,))
    assert result.padding_error < 1e-4


def _lstm_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            yield layer.forward_layer
            yield layer.backward_layer
        elif isinstance(layer, keras.layers.LSTM):
            yield layer


def test_lstm_block_keeps_the_cudnn_eligible_configuration():
    x = keras.Input((5, 6))
    model = keras.Model(x, blocks.lstm_block(x, 4, num_layers=2, bidirectional=True, dropout=0.3))
    lstms = list(_lstm_layers(model))
    assert len(lstms) == 4
    for lstm in lstms:
        assert lstm.activation is keras.activations.tanh
        assert lstm.recurrent_activation is keras.activations.sigmoid
        assert (lstm.recurrent_dropout, lstm.unroll, lstm.use_bias, lstm.use_cudnn) == (0, False, True, "auto")


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="keras#18456 concerns the TensorFlow backend")
def test_lstm_block_trains_with_xla_on_tensorflow_when_cudnn_is_not_in_use():
    # Keras turns XLA off for a model whose LSTM runs on cuDNN (no XLA kernel, keras#18456) and keeps
    # it where cuDNN cannot run, as on this CPU: the same model then trains XLA-compiled.
    from keras.src.backend.tensorflow.rnn import cudnn_ok

    assert not cudnn_ok("tanh", "sigmoid", False, True), "this test needs a machine without a GPU"
    x = keras.Input((5, 6))
    model = keras.Model(x, blocks.lstm_block(x, 4))
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    model.train_on_batch(np.ones((2, 5, 6), "float32"), np.ones((2, 4), "float32"))
    assert model.jit_compile is True


def test_attention_pooling_passes_the_block_checks():
    check_block(blocks.attention_pooling, SEQUENCE, units=4, expected_shape=(6,))


def test_attention_pooling_is_a_softmax_weighted_average_of_the_steps():
    x = keras.Input((5, 6))
    model = keras.Model(x, blocks.attention_pooling(x, name="pool"))
    layer = model.get_layer("pool")
    steps = np.random.default_rng(0).standard_normal((2, 5, 6)).astype("float32")
    w, b = (keras.ops.convert_to_numpy(v) for v in layer.hidden.weights)
    v = keras.ops.convert_to_numpy(layer.score.kernel)
    scores = (np.tanh(steps @ w + b) @ v)[..., 0]
    weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    expected = np.einsum("bt,btd->bd", weights, steps)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(steps)), expected, atol=1e-5)


def test_attention_pooling_gives_padding_no_weight():
    x = keras.Input((None, 6))
    pooled = blocks.attention_pooling(keras.layers.Masking(0.0)(x))
    model = keras.Model(x, pooled)
    steps = np.random.default_rng(0).standard_normal((1, 3, 6)).astype("float32")
    padded = np.concatenate([steps, np.zeros((1, 4, 6), "float32")], axis=1)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(padded)), keras.ops.convert_to_numpy(model(steps)), atol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": 0}, "`units` must be a positive integer. Received: units=0"),
        ({"units": 4, "num_layers": 0}, "`num_layers` must be a positive integer"),
        ({"units": 4, "dropout": 1.0}, r"`dropout` must be a number in \[0, 1\). Received: dropout=1.0"),
    ],
)
def test_lstm_block_rejects_bad_arguments_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        blocks.lstm_block(keras.Input((5, 6)), **kwargs)


@pytest.mark.parametrize("block", [blocks.lstm_block, blocks.attention_pooling])
def test_recurrent_blocks_reject_inputs_that_are_not_3d(block):
    with pytest.raises(ValueError, match=r"`x` must be a 3-D tensor \(batch, time, features\)"):
        block(keras.Input((6,)), 4)


def test_attention_pooling_rejects_non_positive_units():
    with pytest.raises(ValueError, match="`units` must be a positive integer. Received: units=-2"):
        blocks.attention_pooling(keras.Input((5, 6)), units=-2)


def test_a_string_for_a_flag_is_refused_not_read_as_true():
    tokens = keras.Input((None, 4))
    with pytest.raises(TypeError, match="`bidirectional` must be True or False. Received: bidirectional='False'"):
        blocks.lstm_block(tokens, 4, bidirectional="False")
