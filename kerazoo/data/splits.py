"""How examples in a fixed order are split into train, validation and test, and how many a dataset holds."""

from __future__ import annotations

# The share of the examples each held-out split (validation, test) takes when a dataset has none of its own.
HELD_OUT_FRACTION = 0.1


def split(count: int, order: tuple[str, ...]) -> dict[str, slice]:
    """How `count` examples in a fixed order are split: one slice per split, consecutive, in `order`.

    Each split but "train" takes `HELD_OUT_FRACTION` of the examples (at least one), "train" the rest:
    `("validation", "train")` holds out the first tenth, `("train", "validation", "test")` the last fifth.
    """
    held_out = len(order) - 1
    slices, start, share = {}, 0, 0.0
    for part in order:
        share += HELD_OUT_FRACTION if part != "train" else 1.0 - held_out * HELD_OUT_FRACTION
        end = count if part == order[-1] else int(count * share)
        if part != "train":
            end = max(end, start + 1)
        slices[part], start = slice(start, end), end
    return slices


def cardinality(dataset) -> int:
    """The number of elements (examples, or batches once batched); counted where tf.data does not know it."""
    size = int(dataset.cardinality())
    if size >= 0:
        return size
    return int(dataset.reduce(0, lambda count, _: count + 1))
