import subprocess
import sys

import keras
import numpy as np
import pytest
from gensim.test.utils import datapath

from kerazoo.embeddings import embedding_matrix, keras_embedding, text_vectorization_and_embedding, train_word2vec

LEE = datapath("lee_background.cor")


@pytest.fixture(scope="module")
def wv():
    return train_word2vec(LEE, vector_size=16, epochs=1, workers=1, progress=False).wv


@pytest.fixture(scope="module")
def vectorizer():
    with open(LEE, encoding="utf8") as file:
        lines = file.read().splitlines()
    layer = keras.layers.TextVectorization(max_tokens=3000, output_sequence_length=12)
    layer.adapt(lines)
    return layer


def test_rows_are_gensims_vectors_for_every_known_word_of_the_vocabulary(wv, vectorizer):
    vocabulary = vectorizer.get_vocabulary()
    matrix = embedding_matrix(wv, vocabulary)
    known = [i for i, word in enumerate(vocabulary) if word in wv.key_to_index]
    assert len(known) > 1000
    for i in known:
        np.testing.assert_array_equal(matrix[i], wv[vocabulary[i]])


def test_padding_is_zero_and_unknown_words_get_the_mean_vector(wv, vectorizer):
    vocabulary = [*vectorizer.get_vocabulary()[:5], "qwertyuiop"]
    matrix = embedding_matrix(wv, vocabulary)
    assert vocabulary[:2] == ["", "[UNK]"]
    np.testing.assert_array_equal(matrix[0], 0.0)
    np.testing.assert_allclose(matrix[1], wv.vectors.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(matrix[-1], matrix[1])


def test_the_layer_masks_padding_and_is_frozen_by_default(wv, vectorizer):
    layer = keras_embedding(wv, vectorizer.get_vocabulary())
    ids = keras.ops.convert_to_numpy(vectorizer(["the government said"]))
    assert keras.ops.convert_to_numpy(layer.compute_mask(ids)).tolist() == [[True] * 3 + [False] * 9]
    assert not layer.trainable
    assert keras_embedding(wv, ["", "the"], trainable=True).trainable


def test_a_model_with_the_vocabulary_and_vectors_round_trips_through_a_keras_file(tmp_path, wv, vectorizer):
    text = keras.Input((1,), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(keras_embedding(wv, vectorizer.get_vocabulary())(vectorizer(text)))
    model = keras.Model(text, pooled)
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    import tensorflow as tf  # TextVectorization, and so this test, needs the TensorFlow backend

    sample = tf.constant([["the prime minister said today"]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(sample)), keras.ops.convert_to_numpy(model(sample)))
    assert reloaded.layers[1].get_vocabulary() == vectorizer.get_vocabulary()


def test_an_empty_vocabulary_is_refused(wv):
    with pytest.raises(ValueError, match="`vocabulary` is empty"):
        embedding_matrix(wv, [])


def test_one_call_gives_a_vectorizer_and_embedding_over_the_word2vec_vocabulary(wv):
    vectorize, embed = text_vectorization_and_embedding(wv, max_tokens=502, output_sequence_length=6)
    vocabulary = vectorize.get_vocabulary()
    assert vocabulary[:2] == ["", "[UNK]"] and vocabulary[2:] == wv.index_to_key[:500]
    ids = keras.ops.convert_to_numpy(vectorize(["The government said"]))[0]
    vectors = keras.ops.convert_to_numpy(embed(ids))
    np.testing.assert_array_equal(vectors[1], wv["government"])
    np.testing.assert_array_equal(vectors[-1], 0.0)


def test_one_call_rejects_a_vocabulary_too_small_to_hold_a_word(wv):
    with pytest.raises(ValueError, match="`max_tokens` must be at least 3"):
        text_vectorization_and_embedding(wv, max_tokens=2)


def test_the_one_call_vectorizer_splits_text_into_the_words_of_the_corpus(wv):
    vectorize, _ = text_vectorization_and_embedding(wv)
    joined = [word for word in wv.index_to_key if "'" in word or "-" in word][:20]
    assert joined, "the Lee corpus has words with inner apostrophes or hyphens"
    text = " ".join(word.upper().replace("'", "’") for word in joined) + "!"
    ids = keras.ops.convert_to_numpy(vectorize([text]))[0]
    assert [vectorize.get_vocabulary()[i] for i in ids] == joined


def test_a_model_built_by_the_one_call_loads_in_a_fresh_process_after_import_kerazoo(tmp_path, wv):
    vectorize, embed = text_vectorization_and_embedding(wv, output_sequence_length=4)
    text = keras.Input((1,), dtype="string")
    keras.Model(text, embed(vectorize(text))).save(tmp_path / "words.keras")
    code = (
        "import sys, kerazoo, keras, numpy as np\n"
        "model = keras.saving.load_model(sys.argv[1])\n"
        "print(np.asarray(model(np.array([['Don’t the government']]))).sum())"
    )
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "words.keras")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    here = keras.Model(text, embed(vectorize(text)))(np.array([["Don’t the government"]]))
    assert float(run.stdout.strip().splitlines()[-1]) == pytest.approx(float(keras.ops.sum(here)), rel=1e-5)


@pytest.mark.parametrize(
    ("vocabulary", "error", "message"),
    [
        ("the cat", TypeError, "`vocabulary` must be a sequence of words, not one string"),
        (["", "[UNK]", "the", "the"], ValueError, r"`vocabulary` repeats words, so ids would not be unique: \['the'\]"),
        (["", "[UNK]", 3], TypeError, "`vocabulary` must hold str words"),
    ],
)
def test_a_vocabulary_that_would_misalign_rows_and_ids_is_refused(wv, vocabulary, error, message):
    with pytest.raises(error, match=message):
        keras_embedding(wv, vocabulary)


def test_a_word2vec_model_in_place_of_its_vectors_is_refused_with_a_hint():
    model = train_word2vec(datapath("lee_background.cor"), vector_size=4, epochs=1, workers=1, progress=False)
    with pytest.raises(TypeError, match="`wv` must be gensim KeyedVectors. Pass model.wv"):
        embedding_matrix(model, ["", "[UNK]", "the"])
