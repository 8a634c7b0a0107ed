"""Class folders are read in a fixed order, so a resumed run sees what an uninterrupted one saw, and a file
that is no image is refused by its path before training."""

import keras
import numpy as np
import pytest

from kerazoo import cli, data

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")


def write_images(folder, classes=("cat", "dog"), per_class=10):
    rng = np.random.default_rng(0)
    for name in classes:
        (folder / name).mkdir(parents=True)
        for index in range(per_class):
            keras.utils.save_img(folder / name / f"{index}.png", rng.integers(0, 255, (12, 10, 3)).astype("uint8"))


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
