"""Tokenizing inside a `tf.data` pipeline: `encode` run through `tf.numpy_function`.

The Rust tokenizer cannot become a TensorFlow op, so each batch crosses to Python once; `encode_batch`
releases the GIL while it works, so `map(..., num_parallel_calls=tf.data.AUTOTUNE)` overlaps batches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def tf_map(encode_texts: Callable[..., dict], *, pairs: bool = False, **options) -> Callable:
    """See `Tokenizer.tf_map`; `encode_texts` is the tokenizer's `encode`."""
    import tensorflow as tf

    # Validated once, here, on an empty batch, rather than on the first batch inside the pipeline.
    probe = encode_texts([], pairs=[] if pairs else None, **options)
    keys = list(probe)
    fixed_width = options.get("max_length") if options.get("padding") == "max_length" else None

    def encode(*columns):
        texts = [[item.decode("utf8") for item in np.ravel(column)] for column in columns]
        batch = encode_texts(texts[0], pairs=texts[1] if pairs else None, **options)
        return [batch[key] for key in keys]

    def tokenize(x, y=None, sample_weight=None):
        columns = tuple(x) if pairs else (x,)
        scalar = columns[0].shape.rank == 0  # an unbatched dataset: one text per element
        outputs = tf.numpy_function(encode, list(columns), [tf.as_dtype(probe[key].dtype) for key in keys])
        batch = {}
        for key, output in zip(keys, outputs, strict=True):
            output.set_shape([None, fixed_width])  # (batch, length)
            batch[key] = output[0] if scalar else output
        if y is None:
            return batch
        return (batch, y) if sample_weight is None else (batch, y, sample_weight)

    return tokenize
