"""Arrays to a `tf.data` pipeline whose order depends only on (seed, epoch), so a resumed run sees what an
uninterrupted one would have, and every replica gets an equal share of every batch."""

from __future__ import annotations

import functools
import math

import numpy as np

from kerazoo._validation import require_choice, require_positive_int
from kerazoo.data.splits import cardinality

REMAINDERS = ("keep", "drop", "pad")
# The most examples a dataset of examples is shuffled through at once (tf.data's buffer, in memory).
SHUFFLE_BUFFER = 10_000


def num_examples(*structures) -> int:
    """The shared leading dimension of every array in `structures` (None entries are skipped)."""
    import keras

    lengths = {len(leaf) for structure in structures if structure is not None for leaf in keras.tree.flatten(structure)}
    if len(lengths) != 1:
        raise ValueError(
            f"Every array of `x`, `y` and `sample_weight` must hold the same number of examples. "
            f"Received lengths: {sorted(lengths)}"
        )
    return lengths.pop()


def steps_per_epoch(count: int, batch_size: int, remainder: str) -> int:
    """Batches per epoch: the last partial batch is kept, dropped or padded to a full one."""
    require_choice("remainder", remainder, REMAINDERS)
    if remainder == "drop":
        if batch_size > count:
            raise ValueError(
                f"`batch_size` is larger than the dataset, so dropping the partial batch leaves nothing to train "
                f"on. Received: batch_size={batch_size}, examples={count}"
            )
        return count // batch_size
    return math.ceil(count / batch_size)


def array_dataset(
    x,
    y=None,
    sample_weight=None,
    *,
    batch_size: int,
    epochs: int,
    initial_epoch: int = 0,
    shuffle: bool = True,
    seed: int = 0,
    remainder: str = "keep",
):
    """`(dataset, steps_per_epoch)`: epochs `initial_epoch..epochs-1` of `(x, y, sample_weight)` batches, in one stream.

    Epoch e is ordered by a stateless shuffle keyed on `(seed, e)`, never by iterator state, so starting at
    `initial_epoch` after a restart reproduces the batches an uninterrupted run would have seen. With
    `remainder="pad"` the last batch is filled with copies of the first example given sample weight 0, so
    each replica gets an equal share and every example is trained on; "drop" leaves the partial batch out.
    The stream has exactly `steps_per_epoch` batches per epoch, for `model.fit(..., steps_per_epoch=...)`.
    """
    import tensorflow as tf

    require_positive_int(batch_size=batch_size, epochs=epochs)
    count = num_examples(x, y, sample_weight)
    steps = steps_per_epoch(count, batch_size, remainder)
    if remainder == "pad" and sample_weight is None:
        sample_weight = np.ones(count, "float32")
    data = tuple(part for part in (x, y, sample_weight) if part is not None)
    tensors = tf.nest.map_structure(tf.convert_to_tensor, data)
    kept = min(steps * batch_size, count)  # "drop" leaves out the examples past the last full batch
    padded = steps * batch_size if remainder == "pad" else kept

    def epoch_order(epoch):
        order = tf.range(count, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(order, seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        order = order[:kept]
        if padded > kept:
            order = tf.concat([order, tf.fill([padded - kept], tf.constant(-1, tf.int64))], axis=0)
        # Batched within the epoch, so a partial last batch never borrows examples from the next epoch. With
        # "drop" and "pad" every batch is full; saying so gives the static batch size that sharding needs.
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=remainder != "keep")

    def gather(indices):
        real = indices >= 0
        rows = tf.where(real, indices, tf.zeros_like(indices))
        batch = tf.nest.map_structure(lambda t: tf.gather(t, rows), tensors)
        if padded > kept:  # padding rows weigh nothing
            batch = (*batch[:-1], batch[-1] * tf.cast(real, batch[-1].dtype))
        return batch if len(batch) > 1 else batch[0]

    dataset = (
        tf.data.Dataset.range(initial_epoch, epochs)
        .flat_map(epoch_order)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    )
    return with_data_sharding(dataset.prefetch(tf.data.AUTOTUNE)), steps


def examples_dataset(
    examples,
    *,
    batch_size: int,
    epochs: int,
    initial_epoch: int = 0,
    shuffle: bool = True,
    seed: int = 0,
    remainder: str = "keep",
):
    """`(dataset, steps_per_epoch)` as `array_dataset` gives them, from a `tf.data.Dataset` of single examples
    that yields them in a fixed order (a folder's file list, a tensorflow-datasets split, arrays).

    Epoch e is the examples shuffled through a buffer of up to `SHUFFLE_BUFFER` with a seed drawn from
    `(seed, e)` alone, then batched; the epochs follow one another in one stream. Unlike
    `reshuffle_each_iteration`, whose n-th pass depends on how often the dataset was read before, this
    lets a run resumed at `initial_epoch` see the batches an uninterrupted run would.
    """
    import tensorflow as tf

    require_positive_int(batch_size=batch_size, epochs=epochs)
    require_choice("remainder", remainder, ("keep", "drop"))  # "pad" needs sample weights: arrays only
    count = cardinality(examples)
    steps = steps_per_epoch(count, batch_size, remainder)

    def epoch(number: int):
        ordered = examples
        if shuffle:
            seed_of_epoch = int(np.random.SeedSequence([seed & 0xFFFFFFFF, number]).generate_state(1)[0])
            ordered = examples.shuffle(min(count, SHUFFLE_BUFFER), seed=seed_of_epoch, reshuffle_each_iteration=False)
        return ordered.batch(batch_size, drop_remainder=remainder == "drop")

    stream = functools.reduce(tf.data.Dataset.concatenate, map(epoch, range(initial_epoch, epochs)))
    return with_data_sharding(stream.prefetch(tf.data.AUTOTUNE)), steps


def with_data_sharding(dataset):
    """Shards by batch element (not by file) across workers: the only policy for in-memory data."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
