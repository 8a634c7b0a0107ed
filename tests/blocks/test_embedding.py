import keras
import numpy as np
import pytest

from kerazoo import blocks, names
from kerazoo.testing import Spec, check_block

TOKENS = Spec((6,), dtype="int32", vocab_size=20, padded=True)


@pytest.mark.parametrize("position", ["sinusoidal", "learned", "none"])
def test_token_and_position_embedding_passes_the_block_checks(position):
    check_block(
        blocks.token_and_position_embedding,
        TOKENS,
        vocab_size=20,
        max_length=12,
        dim=8,
        position=position,
        expected_shape=(6, 8),
    )


def _embed(tokens, **kwargs):
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, blocks.token_and_position_embedding(inputs, 20, 12, 8, name="emb", **kwargs))
    return model, keras.ops.convert_to_numpy(model(np.asarray(tokens, "int32")))


def test_sinusoidal_positions_follow_vaswani_section_3_5():
    model, embedded = _embed([[3, 4, 5, 6]])
    table = keras.ops.convert_to_numpy(model.get_layer("emb_token").embeddings)
    positions = embedded[0] - table[[3, 4, 5, 6]]
    pos, i = np.arange(4)[:, None], np.arange(4)[None, :]
    np.testing.assert_allclose(positions[:, 0::2], np.sin(pos / 10000 ** (2 * i / 8)), atol=1e-6)
    np.testing.assert_allclose(positions[:, 1::2], np.cos(pos / 10000 ** (2 * i / 8)), atol=1e-6)


def test_learned_positions_add_one_row_of_the_table_per_position():
    model, embedded = _embed([[3, 4]], position="learned")
    tokens = keras.ops.convert_to_numpy(model.get_layer("emb_token").embeddings)[[3, 4]]
    positions = keras.ops.convert_to_numpy(model.get_layer("emb_position").embeddings)[:2]
    np.testing.assert_allclose(embedded[0], tokens + positions, atol=1e-6)


def test_no_positions_is_the_plain_token_embedding():
    model, embedded = _embed([[3, 4]], position="none")
    tokens = keras.ops.convert_to_numpy(model.get_layer("emb_token").embeddings)[[3, 4]]
    np.testing.assert_allclose(embedded[0], tokens)


def test_token_zero_is_padding_and_the_mask_survives_the_positions():
    tokens = np.array([[5, 2, 0, 0]], "int32")
    model, embedded = _embed(tokens)
    mask = model.get_layer("emb_token").compute_mask(tokens)
    mask = model.get_layer("emb_position").compute_mask(embedded, mask)
    assert keras.ops.convert_to_numpy(mask).tolist() == [[True, True, False, False]]


def test_an_unnamed_embedding_takes_the_zoo_names_numbered_together():
    keras.backend.clear_session()
    tokens = keras.Input((None,), dtype="int32")
    blocks.token_and_position_embedding(tokens, 20, 12, 8, position="none")
    x = blocks.token_and_position_embedding(tokens, 20, 12, 8, position="learned")
    layer_names = {layer.name for layer in keras.Model(tokens, x).layers}
    assert {f"{names.TOKEN_EMBEDDING}_2", f"{names.POSITION_EMBEDDING}_2"} <= layer_names, layer_names


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"position": "rope"}, ValueError, "`position` must be one of 'sinusoidal', 'learned', 'none'"),
        ({"dim": 7}, ValueError, "Sinusoidal positions need an even `dim`. Received: dim=7"),
        ({"vocab_size": 0}, ValueError, "`vocab_size` must be a positive integer"),
        ({"max_length": 4}, ValueError, "`tokens` is longer than `max_length`"),
    ],
)
def test_embedding_rejects_bad_arguments_by_name(kwargs, error, message):
    arguments = {"vocab_size": 20, "max_length": 12, "dim": 8, **kwargs}
    with pytest.raises(error, match=message):
        blocks.token_and_position_embedding(keras.Input((6,), dtype="int32"), **arguments)


def test_embedding_rejects_tokens_that_are_not_2d():
    with pytest.raises(ValueError, match=r"`tokens` must be a 2-D tensor"):
        blocks.token_and_position_embedding(keras.Input((6, 2), dtype="int32"), 20, 12, 8)


def test_float_token_ids_are_refused_not_truncated():
    with pytest.raises(TypeError, match="`tokens` must be integer token ids. Received: tokens.dtype=float32"):
        blocks.token_and_position_embedding(keras.Input((8,)), 20, 8, 4)
