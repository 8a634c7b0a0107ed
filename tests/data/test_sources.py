"""The held-out splits of `kerazoo.data.load`, spelled once for every source: arrays, tf.data, folders, text."""

import pytest

from kerazoo.data.sources import split


def test_a_held_out_split_takes_a_tenth_from_the_start_and_train_the_rest():
    assert split(25, ("validation", "train")) == {"validation": slice(0, 2), "train": slice(2, 25)}


def test_validation_and_test_take_a_tenth_each_in_the_order_named():
    assert split(1005, ("train", "validation", "test")) == {
        "train": slice(0, 804),
        "validation": slice(804, 904),
        "test": slice(904, 1005),
    }
    assert split(20, ("validation", "test", "train")) == {
        "validation": slice(0, 2),
        "test": slice(2, 4),
        "train": slice(4, 20),
    }


@pytest.mark.parametrize("count", [3, 5, 9])
def test_every_held_out_split_gets_an_example_however_few_there_are(count):
    parts = split(count, ("validation", "test", "train"))
    assert [parts[p].stop - parts[p].start for p in ("validation", "test")] == [1, 1]
    assert parts["train"] == slice(2, count)
