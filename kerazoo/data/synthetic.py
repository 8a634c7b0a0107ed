"""Small synthetic sequence tasks whose answer is known, for learning-sanity checks and benchmarks."""

from __future__ import annotations

import numpy as np


def word_order_task(n: int = 4000, *, length: int = 10, vocab_size: int = 30, seed: int = 0):
    """Sequences holding markers 1 and 2 once each among random words (ids 3..vocab_size-1).

    The label is 1 when marker 1 comes first. Both markers appear in every sequence, so a bag of words is
    at chance (50%); a model must read word order.

    Returns:
        `(tokens, labels)`: int32 arrays of shapes `(n, length)` and `(n,)`.
    """
    rng = np.random.default_rng(seed)
    tokens = rng.integers(3, vocab_size, (n, length))
    first = rng.integers(0, length, n)
    second = (first + rng.integers(1, length, n)) % length
    tokens[np.arange(n), first], tokens[np.arange(n), second] = 1, 2
    return tokens.astype("int32"), (first < second).astype("int32")


def copy_task(n: int = 3000, *, length: int = 8, vocab_size: int = 12, seed: int = 0):
    """Copy a random sequence (ids 3..vocab_size-1): start token 1 opens the target, end token 2 closes it.

    Returns:
        `(source, target_in, target_out)` int32 arrays: the decoder reads `target_in` (teacher forcing)
        and predicts `target_out`, the same sequence shifted by one.
    """
    source = np.random.default_rng(seed).integers(3, vocab_size, (n, length)).astype("int32")
    target_in = np.concatenate([np.ones((n, 1), "int32"), source], axis=1)
    target_out = np.concatenate([source, np.full((n, 1), 2, "int32")], axis=1)
    return source, target_in, target_out
