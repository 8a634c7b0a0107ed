"""A language model's scores that compare across tokenizers: perplexity per token, per word, bits per character."""

from __future__ import annotations

import math

import keras
import numpy as np

# exp() of a larger mean negative log-likelihood overflows float64; such a model has learned nothing anyway.
_MAX_MEAN_NLL = 700.0


def language_model_scores(model: keras.Model, data, *, split: str = "test") -> dict[str, float]:
    """Perplexity per token and per word, and bits per character, of `model` on a split of `data`.

    The total negative log-likelihood (natural log) of every target but padding (`data.padding_id`, which
    the loss ignores too) is summed over the split, then divided by the split's tokens, by the words of the text
    those targets cover, and by its characters times ln 2. Per-token perplexity depends on the tokenizer;
    per-word perplexity and bits per character do not, so runs with different tokenizers compare on them
    (bits per character exactly between subword tokenizers, which read the same text; the word path
    reads its words only, lowercased, without punctuation, so its characters are those of its words).

    Args:
        model: a language model whose output is `(batch, seq, vocab)` logits.
        data: a `kerazoo.data.TaskData` for language modeling (it knows the words and characters of each
            split's text).
        split: "train", "validation" or "test".

    Returns:
        {"perplexity": per token, "word_perplexity": ..., "bits_per_character": ...}.
    """
    if not data.text_sizes or split not in data.text_sizes:
        raise ValueError(
            f"`data` must be language-modeling data from kerazoo.data.load (it counts each split's words and "
            f"characters). Received: task={data.task!r}, split={split!r}"
        )
    total, tokens = _total_nll(model, getattr(data, split), data.padding_id)
    size = data.text_sizes[split]
    return {
        "perplexity": math.exp(min(total / max(tokens, 1), _MAX_MEAN_NLL)),
        "word_perplexity": math.exp(min(total / max(size["words"], 1), _MAX_MEAN_NLL)),
        "bits_per_character": total / (math.log(2) * max(size["characters"], 1)),
    }


def _total_nll(model: keras.Model, batches, padding_id: int | None) -> tuple[float, int]:
    """The summed negative log-likelihood of the targets that are not padding, and their number."""
    total, count = 0.0, 0
    for x, y in batches:
        x, y = keras.tree.map_structure(np.asarray, x), np.asarray(y)
        logits = keras.ops.cast(model(x, training=False), "float32")  # mixed precision: score in float32
        nll = keras.ops.convert_to_numpy(keras.ops.sparse_categorical_crossentropy(y, logits, from_logits=True))
        real = y != padding_id if padding_id is not None else np.ones(y.shape, bool)
        total += float(np.sum(nll[real], dtype=np.float64))
        count += int(real.sum())
    return total, count
