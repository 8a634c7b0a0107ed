"""`kerazoo.data.load`: offline datasets, tensorflow-datasets (mocked, offline) and folders as tf.data splits."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from kerazoo import cli, data
from kerazoo.data import tfds as tfds_reader

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")


def first_batch(dataset):
    return next(iter(dataset))


def all_labels(dataset) -> np.ndarray:
    return np.concatenate([np.asarray(y) for _, y in dataset])


@pytest.mark.parametrize(
    "name, task, inputs_shape, targets_shape",
    [
        ("digits", "image-classification", (8, 32, 32, 1), (8,)),
        ("polarity", "text-classification", (8, 64), (8,)),
        ("lee", "language-modeling", (8, 64), (8, 64)),
        ("wiki", "language-modeling", (8, 64), (8, 64)),
    ],
)
def test_offline_datasets_batch_for_their_task(name, task, inputs_shape, targets_shape):
    loaded = data.load(name, task=task, batch_size=8)
    x, y = first_batch(loaded.train)
    assert (tuple(x.shape), tuple(y.shape), y.dtype.name) == (inputs_shape, targets_shape, "int32")


def test_each_task_has_an_offline_default():
    assert [data.default_dataset(task) for task in data.TASKS] == ["digits", "polarity", "lee", "copy"]


def test_the_copy_task_feeds_source_and_teacher_forced_target():
    x, y = first_batch(data.load(task="seq2seq", batch_size=4).train)
    assert x["source"].shape == (4, 8) and x["target"].shape == (4, 9) and y.shape == (4, 9)
    np.testing.assert_array_equal(x["target"][:, 1:], y[:, :-1])


def test_images_are_float_pixels_in_zero_one_at_the_asked_shape():
    loaded = data.load("digits", task="image-classification", batch_size=16, image_shape=(28, 28, 3))
    images, _ = first_batch(loaded.train)
    assert images.shape == (16, 28, 28, 3) and images.dtype.name == "float32"
    assert float(np.min(images)) >= 0.0 and float(np.max(images)) <= 1.0
    assert loaded.num_classes == 10 and loaded.image_shape == (28, 28, 3)


def test_the_text_vocabulary_is_adapted_on_the_training_split_only():
    loaded = data.load("polarity", task="text-classification", batch_size=8)
    (texts, _), (test_texts, _), _ = data.load_polarity()
    from kerazoo.layers import words

    training_words = {w for text in texts[int(len(texts) * 0.1) :] for w in words(text)}
    test_only = {w for text in test_texts for w in words(text)} - training_words
    assert test_only and not test_only & set(loaded.vocabulary)
    assert loaded.vocabulary[:2] == ("", "[UNK]")


def test_language_model_targets_are_the_inputs_one_word_later():
    x, y = first_batch(data.load("lee", task="language-modeling", batch_size=4, sequence_length=16).validation)
    np.testing.assert_array_equal(np.asarray(x)[:, 1:], np.asarray(y)[:, :-1])


def test_train_is_reshuffled_every_epoch_and_the_same_for_a_seed():
    loaded = data.load("digits", task="image-classification", batch_size=64, seed=3)
    again = data.load("digits", task="image-classification", batch_size=64, seed=3)
    epoch_1, epoch_2 = all_labels(loaded.train), all_labels(loaded.train)
    assert not np.array_equal(epoch_1, epoch_2)
    np.testing.assert_array_equal(epoch_1, all_labels(again.train))


def test_splits_are_disjoint_and_cover_the_digits():
    loaded = data.load("digits", task="image-classification", batch_size=64)
    sizes = [len(all_labels(split)) for split in (loaded.train, loaded.validation, loaded.test)]
    assert sizes[0] == loaded.train_size and sum(sizes) == 1797


def test_drop_remainder_keeps_full_batches_only():
    loaded = data.load("digits", task="image-classification", batch_size=100, drop_remainder=True)
    assert {int(y.shape[0]) for _, y in loaded.train} == {100}
    assert loaded.train.element_spec[0].shape[0] == 100


def test_model_settings_give_the_sizes_a_builder_takes():
    from kerazoo import models

    loaded = data.load("polarity", task="text-classification", batch_size=8, sequence_length=32)
    settings = loaded.model_settings(models.info("lstm_classifier").defaults)
    assert settings == {"num_classes": 2, "vocab_size": len(loaded.vocabulary), "max_length": 32}


def test_a_model_gets_its_data_from_its_builders_own_settings_and_back():
    from kerazoo import models

    info = models.info("lstm_classifier")
    loaded, arguments = data.load_for_model(info, "polarity", settings={"max_length": 32, "units": 8}, batch_size=8)
    assert loaded.sequence_length == 32 and first_batch(loaded.train)[0].shape == (8, 32)
    assert arguments == {"units": 8, "max_length": 32, "num_classes": 2, "vocab_size": len(loaded.vocabulary)}


def test_a_setting_the_data_contradicts_is_refused_by_its_builder_name():
    from kerazoo import models

    with pytest.raises(
        ValueError, match=r"`classes` disagrees with the data: digits fixes it at 10\. Received: classes=3"
    ):
        data.load_for_model(models.info("lenet5"), settings={"classes": 3}, batch_size=64)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"input_shape": (16, 16)}, r"`input_shape` must be \(height, width, channels\), three positive integers"),
        ({"max_length": 0}, "`max_length` must be a positive integer. Received: max_length=0"),
        ({"vocab_size": 2}, r"`vocab_size` must be an integer >= 3"),
    ],
)
def test_settings_that_cannot_shape_the_data_are_refused_before_anything_is_read(settings, message):
    from kerazoo import models

    name = "lenet5" if "input_shape" in settings else "gpt"
    with pytest.raises(ValueError, match=message):
        data.check_data_for_model(models.info(name), None, settings)


def test_a_batch_larger_than_the_training_set_is_refused():
    with pytest.raises(ValueError, match=r"`batch_size` \(5000\) is larger than the training set of 'digits'"):
        data.load("digits", task="image-classification", batch_size=5000)


def test_an_unknown_dataset_is_refused_with_the_closest_names():
    with pytest.raises(ValueError, match="Unknown dataset 'digitz'.*Did you mean 'digits'"):
        data.load("digitz", task="image-classification")


def test_a_dataset_for_another_task_is_refused():
    with pytest.raises(ValueError, match="'lee' is a language-modeling dataset.*for image-classification: digits"):
        data.load("lee", task="image-classification")


def test_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="`task` must be one of"):
        data.load("digits", task="detection")


# tensorflow-datasets, offline: mock_data stands in for prepared data; nothing is downloaded.


def test_tfds_images_are_read_as_the_model_needs_them():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=40):
        loaded = data.load("tfds:mnist", task="image-classification", batch_size=8)
    images, labels = first_batch(loaded.train)
    assert images.shape == (8, 28, 28, 1) and images.dtype.name == "float32" and labels.dtype.name == "int32"
    assert loaded.num_classes == 10 and loaded.train_size == 36


def test_tfds_text_is_vectorized_like_offline_text():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=40):
        loaded = data.load("tfds:imdb_reviews", task="text-classification", batch_size=8, sequence_length=20)
    tokens, _ = first_batch(loaded.train)
    assert tokens.shape == (8, 20) and loaded.num_classes == 2


def test_tfds_sentence_pairs_are_fed_as_tokens_and_segment_ids():
    # GLUE's MRPC has no supervised_keys: its two Text features are the pair, its ClassLabel the label.
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=40):
        loaded = data.load("tfds:glue/mrpc", task="text-classification", tokenizer="wordpiece:60", batch_size=8)
    inputs, _ = first_batch(loaded.train)
    assert set(inputs) == {"tokens", "segment_ids"} and inputs["tokens"].shape == (8, 64)
    assert set(np.unique(inputs["segment_ids"])) == {0, 1}  # [CLS] first [SEP] is 0, second [SEP] is 1
    assert loaded.sentence_pairs and loaded.model_settings({"num_segments": 0})["num_segments"] == 2


def test_sentence_pairs_on_the_word_path_are_refused_naming_the_tokenizer():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=40), pytest.raises(ValueError, match="holds sentence pairs.*--tokenizer"):
        data.load("tfds:glue/mrpc", task="text-classification")


def test_a_tfds_dataset_with_nothing_to_classify_by_is_refused_naming_its_features():
    # STS-B's label is a similarity score (a float Tensor), not a ClassLabel.
    import tensorflow_datasets as tfds

    refused = pytest.raises(ValueError, match="sentence1 \\(Text\\).*label \\(Tensor")
    with tfds.testing.mock_data(num_examples=40), refused:
        data.load("tfds:glue/stsb", task="text-classification", tokenizer="wordpiece:60")


def test_a_tfds_test_split_whose_labels_are_withheld_gives_way_to_the_validation_split():
    # GLUE's test labels are private (-1): the dev set is what is scored, as GLUE's papers report it.
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(as_dataset_fn=_glue_like_splits):
        loaded = data.load("tfds:glue/mrpc", task="text-classification", tokenizer="wordpiece:60", batch_size=8)
    labels = np.concatenate([np.asarray(y) for _, y in loaded.test])
    assert labels.tolist() == [1] * 7


def test_tfds_examples_without_a_label_are_left_out_of_training():
    # SNLI marks pairs without a consensus -1: 10 of these 30 training pairs.
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(as_dataset_fn=_glue_like_splits):
        loaded = data.load("tfds:glue/mrpc", task="text-classification", tokenizer="wordpiece:60", batch_size=8)
    validation = sum(len(y) for _, y in loaded.validation)
    assert loaded.train_size + validation == 20
    assert min(int(np.min(y)) for _, y in loaded.train) >= 0


def _glue_like_splits(self, split, **_):
    """tfds's `_as_dataset` for mock_data: GLUE's MRPC features; the test labels withheld (-1), a third of
    the training labels missing (-1)."""
    import tensorflow as tf

    labels = {"train": [1, 0, -1] * 10, "validation": [1] * 7, "test": [-1] * 11}[str(split)]
    count = len(labels)
    examples = {"sentence1": ["a b"] * count, "sentence2": ["c d"] * count, "label": labels}
    return tf.data.Dataset.from_tensor_slices({**examples, "idx": list(range(count))})


def test_a_split_kind_is_found_by_its_name_or_the_first_name_it_begins():
    # MNLI's splits: train, test_matched, test_mismatched, validation_matched, validation_mismatched.
    mnli = SimpleNamespace(splits=dict.fromkeys(["train", "test_matched", "validation_matched"]), full_name="mnli")
    assert (tfds_reader.split_named(mnli, "test"), tfds_reader.split_named(mnli, "validation")) == (
        "test_matched",
        "validation_matched",
    )
    assert tfds_reader.split_named(SimpleNamespace(splits={}), "test") == "test"  # not prepared: tfds decides
    with pytest.raises(ValueError, match="mnli has no test split to score on: its splits are train"):
        tfds_reader.split_named(SimpleNamespace(splits={"train": None}, full_name="mnli"), "test")


def test_tensorflow_datasets_can_read_a_datasets_download_checksums(tmp_path):
    # The first step of every tfds download (kerazoo train --data tfds:cifar10 with no prepared copy). It
    # imports importlib_resources, which tensorflow-datasets 4.9 needs but declares only for Python < 3.9;
    # kerazoo's tensorflow extras install it (setup.cfg). Offline: the checksums ship inside the package.
    import tensorflow_datasets as tfds

    urls = tfds.builder("mnist", data_dir=tmp_path).url_infos
    assert any("train-images" in url for url in urls)


def test_a_tfds_dataset_that_is_not_prepared_is_refused_offline_naming_data_dir(tmp_path):
    with pytest.raises(ValueError, match=f"tfds:mnist is not available offline.*data_dir={tmp_path}"):
        data.load("tfds:mnist", task="image-classification", data_dir=tmp_path, download=False)


def test_an_unknown_tfds_name_is_refused_with_the_closest_names(tmp_path):
    with pytest.raises(ValueError, match="tensorflow-datasets has no dataset 'mnistt'.*'mnist'"):
        data.load("tfds:mnistt", task="image-classification", data_dir=tmp_path, download=False)


# Folders in the image_dataset_from_directory / text_dataset_from_directory layouts.


def write_images(folder, classes=("cat", "dog"), per_class=10):
    rng = np.random.default_rng(0)
    for name in classes:
        (folder / name).mkdir(parents=True)
        for index in range(per_class):
            keras.utils.save_img(folder / name / f"{index}.png", rng.integers(0, 255, (12, 10, 3)).astype("uint8"))


def test_an_image_folder_gives_classes_from_its_sub_folders_and_disjoint_splits(tmp_path):
    write_images(tmp_path)
    loaded = data.load(tmp_path, task="image-classification", batch_size=4, image_shape=(16, 16, 3))
    sizes = [len(all_labels(split)) for split in (loaded.train, loaded.validation, loaded.test)]
    assert loaded.class_names == ("cat", "dog") and sum(sizes) == 20 and min(sizes) > 0
    images, _ = first_batch(loaded.train)
    assert images.shape == (4, 16, 16, 3) and float(np.max(images)) <= 1.0


def test_train_and_test_folders_are_used_as_they_are(tmp_path):
    write_images(tmp_path / "train", per_class=10)
    write_images(tmp_path / "test", per_class=3)
    loaded = data.load(tmp_path, task="image-classification", batch_size=4, image_shape=(8, 8, 1))
    assert len(all_labels(loaded.test)) == 6 and loaded.train_size + len(all_labels(loaded.validation)) == 20


def test_a_folder_with_no_class_sub_folders_is_refused(tmp_path):
    keras.utils.save_img(tmp_path / "a.png", np.zeros((4, 4, 3), "uint8"))
    with pytest.raises(ValueError, match="has no class sub-folders"):
        data.load(tmp_path, task="image-classification")


def test_a_text_folder_is_vectorized(tmp_path):
    for label, words in (("neg", "awful dull"), ("pos", "great fun")):
        (tmp_path / label).mkdir()
        for index in range(10):
            (tmp_path / label / f"{index}.txt").write_text(f"{words} film number {index}")
    loaded = data.load(tmp_path, task="text-classification", batch_size=4, sequence_length=6)
    tokens, _ = first_batch(loaded.train)
    assert tokens.shape == (4, 6) and "great" in loaded.vocabulary and loaded.class_names == ("neg", "pos")


def _labels(dataset) -> list:
    return [int(label) for _, label in dataset]


def test_the_training_examples_come_in_the_same_order_at_every_pass(tmp_path):
    write_images(tmp_path)
    loaded = data.load(tmp_path, task="image-classification", batch_size=4, image_shape=(8, 8, 3))
    first, second = (_labels(loaded.train_examples) for _ in range(2))
    assert first == second and len(first) == loaded.train_size


def test_the_same_seed_splits_and_orders_a_folder_the_same_way(tmp_path):
    write_images(tmp_path)
    loads = [
        data.load(tmp_path, task="image-classification", batch_size=4, image_shape=(8, 8, 3), seed=s) for s in (0, 0, 1)
    ]
    images = [np.stack([image for image, _ in loaded.train_examples]) for loaded in loads]
    np.testing.assert_array_equal(images[0], images[1])
    assert not np.array_equal(images[0], images[2])


def test_a_file_that_is_no_image_is_refused_by_its_path_before_training(tmp_path, capsys):
    write_images(tmp_path / "images")
    broken = tmp_path / "images" / "dog" / "broken.jpg"
    broken.write_text("not a picture")
    run = ["train", "lenet5", "--data", str(tmp_path / "images"), "--epochs", "1", "--output", str(tmp_path / "run")]
    assert cli.main(run) == 2
    error = capsys.readouterr().err
    assert f"{broken} is not an image that can be read" in error and len(error.splitlines()) == 1
    assert not (tmp_path / "run" / "checkpoint").exists()


# Word2Vec vectors through the bridge.


@pytest.fixture(scope="module")
def word2vec_run(tmp_path_factory):
    from gensim.test.utils import datapath

    from kerazoo import embeddings
    from kerazoo.embeddings.persistence import MODEL_FILE

    folder = tmp_path_factory.mktemp("word2vec")
    corpus = embeddings.Corpus(datapath("lee_background.cor"))
    model = embeddings.train_word2vec(corpus, vector_size=8, epochs=1, min_count=2, workers=1, seed=0)
    embeddings.save(model, folder / MODEL_FILE)
    return folder, model.wv


def test_text_uses_a_word2vec_runs_vocabulary_and_vectors(word2vec_run):
    folder, vectors = word2vec_run
    loaded = data.load("polarity", task="text-classification", batch_size=8, embeddings=folder)
    assert list(loaded.vocabulary[2:]) == vectors.index_to_key
    word = loaded.vocabulary[5]
    np.testing.assert_allclose(loaded.embedding_matrix[5], vectors[word])
    assert loaded.model_settings({"dim": 0, "embedding_matrix": None})["dim"] == 8


def test_embeddings_are_refused_for_images(word2vec_run):
    with pytest.raises(ValueError, match="`embeddings` are word vectors"):
        data.load("digits", task="image-classification", embeddings=word2vec_run[0])
