"""tensorflow-datasets as `load` reads it: `tfds:NAME[:TRAIN_SPLIT]`, as `(inputs, label)` splits.

What a classifier reads of an example is the dataset's `supervised_keys`, or else, for datasets that
declare none (GLUE, SNLI), its one `ClassLabel` and its inputs by kind: one image, or one or two texts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from kerazoo._optional import require
from kerazoo.data.splits import cardinality, split

PREFIX = "tfds:"
# How many first examples of a split must all lack a label (-1) for its labels to count as withheld.
_HIDDEN_LABELS_SEEN = 100


def read(name: str, options) -> tuple[dict, object, Columns]:
    """The train (less a validation tenth), validation and test splits of a tensorflow-datasets dataset, as
    `(inputs, label)` pairs, and its features and `Columns`. `options` are `sources.ReadOptions`."""
    import tensorflow as tf

    tfds = require("tensorflow_datasets", name)
    dataset, _, train_split = name.removeprefix(PREFIX).partition(":")

    def load(splits):
        try:
            return tfds.load(
                dataset, split=splits, with_info=True, data_dir=options.data_dir, download=options.download
            )
        except tfds.core.registered.DatasetNotFoundError:
            close = difflib.get_close_matches(dataset, tfds.list_builders(), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"tensorflow-datasets has no dataset {dataset!r}.{hint}") from None
        except (AssertionError, OSError, ConnectionError) as error:
            where = options.data_dir or "~/tensorflow_datasets (the default data_dir)"
            raise ValueError(
                f"{name} is not available offline: no prepared copy in data_dir={where}"
                + ("" if options.download else " and download=False (kerazoo train --no-download)")
                + f" ({type(error).__name__}). Prepare it where there is network (tfds build {dataset} --data_dir "
                "DIR) and pass that DIR as data_dir (kerazoo train --data-dir DIR)."
            ) from None

    train, info = load(train_split or "train")
    test, _ = load(split_named(info, "test"))
    columns = find_columns(name, info, options.task)
    if columns.unlabelled_possible:
        if _labels_hidden(test, columns.label):  # GLUE keeps its test labels private: score on its dev set
            test, _ = load(split_named(info, "validation"))
        train, test = (part.filter(lambda example: example[columns.label] >= 0) for part in (train, test))
    count = cardinality(train)  # counted once where the filter hid it, then stated for skip and take
    train = train.map(columns.pick).apply(tf.data.experimental.assert_cardinality(count))
    datasets = {
        part: train.skip(s.start).take(s.stop - s.start) for part, s in split(count, ("validation", "train")).items()
    }
    return {**datasets, "test": test.map(columns.pick)}, info.features, columns


def split_named(info, kind: str) -> str:
    """The dataset's split of `kind` ("test", "validation"): the one of that name, or else the first whose
    name starts with it (MNLI has test_matched and test_mismatched, validation_matched and _mismatched)."""
    names = sorted(info.splits) if info.splits else []  # empty where tfds mocks or has not prepared the data
    if kind in names or not names:
        return kind
    found = [name for name in names if name.startswith(kind)]
    if not found:
        raise ValueError(f"{info.full_name} has no {kind} split to score on: its splits are {', '.join(names)}.")
    return found[0]


@dataclass(frozen=True)
class Columns:
    """Which features of a tensorflow-datasets example a classifier reads: `inputs` (one image or text, or
    two texts: a sentence pair) and the `label`."""

    inputs: tuple[str, ...]
    label: str
    unlabelled_possible: bool  # read from the features, where -1 marks an example without a label

    @property
    def paired(self) -> bool:
        return len(self.inputs) == 2

    def pick(self, example):
        inputs = tuple(example[key] for key in self.inputs)
        return (inputs if self.paired else inputs[0]), example[self.label]


def find_columns(name: str, info, task: str) -> Columns:
    """The dataset's `supervised_keys`, or else its one `ClassLabel` and its inputs by kind: one image, or
    one or two texts (GLUE's and SNLI's sentence pairs, in the order the dataset declares them)."""
    tfds = require("tensorflow_datasets", name)
    keys = info.supervised_keys
    if keys is not None and len(keys) == 2 and all(isinstance(key, str) for key in keys):
        return Columns((keys[0],), keys[1], unlabelled_possible=False)
    features = info.features
    labels = [key for key, feature in features.items() if isinstance(feature, tfds.features.ClassLabel)]
    if task == "image-classification":
        kind, counts = "image", (1,)
        inputs = [key for key, feature in features.items() if isinstance(feature, tfds.features.Image)]
    else:
        kind, counts = "text", (1, 2)
        inputs = [key for key, feature in features.items() if isinstance(feature, tfds.features.Text)]
    if len(labels) != 1 or len(inputs) not in counts:
        shown = ", ".join(f"{key} ({type(feature).__name__})" for key, feature in features.items())
        wanted = "one image" if kind == "image" else "one text or a pair of texts"
        raise ValueError(
            f"{name} has no supervised_keys, and its features are not {wanted} and one ClassLabel to classify "
            f"them by: {shown}."
        )
    return Columns(tuple(inputs), labels[0], unlabelled_possible=True)


def _labels_hidden(examples, label: str) -> bool:
    """Whether a split's labels are withheld (-1), as GLUE's test splits' are: its first examples all say so
    (SNLI's test has a few pairs without a label, -1, among labelled ones; a hundred in a row never)."""
    first = [int(example[label]) for example in examples.take(_HIDDEN_LABELS_SEEN)]
    return bool(first) and max(first) < 0
