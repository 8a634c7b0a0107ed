"""Choosing the next token inside the compiled decoding loop: greedy, temperature, top_k and nucleus
(top_p) sampling, exact and on the device, with no sort of the vocabulary (`choose`)."""

from __future__ import annotations

import keras
from keras import ops

# The running sums of a draw are taken over blocks of this many tokens, then within one block.
_BLOCK = 128
# Nucleus draws are first tried by rejection: this many candidates per row, drawn from the whole distribution.
NUCLEUS_TRIES = 4


def choose(logits, generator: keras.random.SeedGenerator, seed, *, top_k: int | None = None, top_p=None):
    """One token per row, drawn from softmax(`logits`) limited to the `top_k` most likely and then, with
    `top_p`, to the nucleus: the most likely tokens, in order, until their probability reaches `top_p` (the
    first one always). Tokens as likely as the last one kept are kept too. `logits` are already divided by
    the temperature. The draw is `generator`'s with its state set to `seed` (a tensor, so that it can
    change inside a compiled loop): the same seed, the same draw.

    A nucleus draw is exact without finding the nucleus first: a token is in it exactly when the tokens
    more likely than it are not enough, one masked sum, so candidates drawn from the whole distribution are
    kept or rejected on their own, and the first kept one is a draw from the nucleus (rejection sampling).
    Each candidate is kept with probability at least `top_p`; a row that rejects all its candidates draws
    from the nucleus found by `_most_likely`, which the compiled loop then runs for that step only.
    """
    probabilities = ops.softmax(logits, axis=-1)  # (batch, vocab)
    if top_k is not None and top_k < ops.shape(logits)[-1]:
        kept = _most_likely(probabilities, lambda mask: ops.sum(ops.cast(mask, "int32"), axis=-1) >= top_k)
        probabilities = ops.softmax(ops.where(kept, logits, float("-inf")), axis=-1)
    tries = 1 if top_p is None else NUCLEUS_TRIES + 1
    with keras.StatelessScope(state_mapping=[(generator.state, seed)]):
        uniform = keras.random.uniform((ops.shape(logits)[0], tries), seed=generator)
    if top_p is None:
        return _inverse_cdf(probabilities, uniform)[:, 0]
    candidates = _inverse_cdf(probabilities, uniform[:, :-1])  # (batch, tries)
    bits = ops.view(probabilities, "int32")  # non-negative floats order as their bits do
    ahead = bits[:, None, :] > ops.take_along_axis(bits, candidates, axis=1)[:, :, None]  # (batch, tries, vocab)
    # The same test as `_most_likely`'s: the tokens more likely than a candidate are not enough.
    accepted = ops.sum(ops.where(ahead, probabilities[:, None, :], 0.0), axis=-1) < top_p
    first = ops.take_along_axis(candidates, ops.argmax(ops.cast(accepted, "int32"), axis=1)[:, None], axis=1)[:, 0]
    settled = ops.any(accepted, axis=1)

    def from_the_nucleus():
        kept = _most_likely(probabilities, lambda mask: ops.sum(ops.where(mask, probabilities, 0.0), axis=-1) >= top_p)
        drawn = _inverse_cdf(ops.where(kept, probabilities, 0.0), uniform[:, -1:])[:, 0]
        return ops.where(settled, first, drawn)

    return ops.cond(ops.all(settled), lambda: first, from_the_nucleus)


def _inverse_cdf(weights, uniform):
    """For each of `uniform`'s draws in [0, 1) (`(batch, draws)`), the token whose span of the running sum
    of `weights` (non-negative, `(batch, vocab)`) holds the draw times their total: draws with probabilities
    proportional to the weights, from one random number each.

    keras.random.categorical draws a random number per token instead (Gumbel-max, with two logarithms per
    token), which at the cpu benchmark's size cost more than the rest of a decoding step (TensorFlow, XLA on
    CPU). The running sum is taken in two levels, over blocks of `_BLOCK` tokens and then within the block
    drawn, as XLA on CPU is slow to sum a whole vocabulary cumulatively (a reduce-window).
    """
    vocab = ops.shape(weights)[-1]
    blocks = -(-vocab // _BLOCK)
    tokens = ops.reshape(ops.pad(weights, [[0, 0], [0, blocks * _BLOCK - vocab]]), (-1, blocks, _BLOCK))
    mass = ops.sum(tokens, axis=-1)  # (batch, blocks)
    running = ops.cumsum(mass, axis=-1)
    total = running[:, -1:]
    target = uniform * total  # (batch, draws)
    block = _first_above(running[:, None, :], target[:, :, None], ops.argmax(running >= total, axis=-1)[:, None])
    before = ops.take_along_axis(ops.pad(running[:, :-1], [[0, 0], [1, 0]]), block, axis=1)
    inside = ops.cumsum(ops.take_along_axis(tokens, block[:, :, None], axis=1), axis=-1)  # (batch, draws, block)
    within = _first_above(inside, (target - before)[:, :, None], ops.argmax(inside >= inside[:, :, -1:], axis=-1))
    return block * _BLOCK + within


def _first_above(running, target, last):
    """The first position where `running` (non-decreasing along its last axis) exceeds `target`, or `last`
    (the first to reach the total, so the last with weight) where rounding leaves the target at the total."""
    return ops.minimum(ops.sum(ops.cast(running <= target, "int32"), axis=-1), ops.cast(last, "int32"))


def _most_likely(probabilities, enough):
    """Each row's smallest set of most likely tokens that is `enough` (`enough(mask)`: a boolean per row,
    true for a large enough set): the tokens at least as likely as p*, the largest probability for which
    that set is enough.

    Found by bisection over the bit patterns of p* (non-negative floats order as their bits do): 31 masked
    sums over the vocabulary at each step, for top_k and for the nucleus rows that rejection sampling leaves
    (`choose`). Narrowing the range to the tokens' own bits at each step (a min or max beside each sum)
    halves the steps but not the time on CPU. Sorting instead (`ops.top_k` over the whole vocabulary, then a
    running sum for top_p) costs more: XLA sorts 50,000 tokens slowly on CPU and lowers a cumulative sum
    to a reduce-window whose cost grows with the square of its length; at GPT-2's size on CPU, top_p
    sampling ran at 0.45x greedy decoding's speed that way, 0.84x this way. The result is the sorted
    definition's (keep a token while the tokens ahead of it are not enough), ties at p* aside.
    """
    bits = ops.view(probabilities, "int32")  # (batch, vocab)
    batch = ops.shape(probabilities)[:1]
    # Invariant: the tokens at least as likely as `low` are enough, those from `high` on are not.
    low = ops.zeros(batch, "int32")
    high = ops.full(batch, 0x40000000, "int32")  # the bits of 2.0, above every probability

    def halve(_, bounds):
        low, high = bounds
        middle = low + (high - low) // 2
        sufficient = enough(bits >= middle[:, None])
        return ops.where(sufficient, middle, low), ops.where(sufficient, high, middle)

    low, _ = ops.fori_loop(0, 31, halve, (low, high))
    return bits >= low[:, None]
