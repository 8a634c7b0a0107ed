"""Autoregressive generation for the language and seq2seq models."""

from __future__ import annotations

import keras
import numpy as np

from kerazoo import names
from kerazoo._validation import require_number, require_positive_int, require_seed
from kerazoo.layers import PositionEmbedding
from kerazoo.models._common import require_token_ids
from kerazoo.models._decoding import decoding_for, growing_input, has_state


def generate(
    model: keras.Model,
    tokens,
    max_new_tokens: int,
    *,
    temperature: float = 0.0,
    top_k: int | None = None,
    seed: int | None = None,
    end_token: int | None = None,
    use_cache: bool | None = None,
) -> np.ndarray:
    """Extends token sequences with `model`'s predictions, one token at a time.

    Works for `gpt` (pass the prompt ids), both seq2seq models (pass {"source": ids, "target": prefix},
    the prefix starting with the start token) and models assembled from the decoder block. Prompts may
    have different lengths, right-padded with 0, except for a `gpt` built with `mask_zero=False`, where 0
    is a token and prompts must be whole. Shapes are static, so each path compiles once per model and
    length and runs under XLA: by default one position per step, each decoder carrying its state (the
    Transformer decoders' key/value caches, the LSTM decoder's state) and the encoder run once; with
    `use_cache=False` the model's predict function on one fixed-size buffer, a full forward pass per token.
    Greedy decoding runs as one compiled loop on the device, with no trip to the host per token, and with
    Transformer decoders the prompt positions every row has run as one chunk.

    Args:
        model: a model whose output is `(batch, seq, vocab)` logits, step t predicting token t + 1.
        tokens: `(batch, prompt_length)` ids, or a dict with "source" and "target" for seq2seq models.
        max_new_tokens: how many tokens to add.
        temperature: 0 picks the most likely token (greedy); above 0 samples from softmax(logits / T).
        top_k: sample only among the k most likely tokens.
        seed: seeds the sampling, so the same seed gives the same tokens.
        end_token: a row stops growing once it produced this id; the rest of the row stays 0.
        use_cache: decode one position per step with the decoders' state (the default when the model has
            a TransformerDecoder or an LSTM decoder started from a state); False recomputes every position
            at every step.

    Returns:
        `(batch, prompt_length + max_new_tokens)` int32 ids: the prompt (or target prefix) and its continuation.
    """
    require_positive_int(max_new_tokens=max_new_tokens)
    require_number("temperature", temperature, minimum=0.0)
    require_seed(seed, optional=True)
    if top_k is not None:
        require_positive_int(top_k=top_k)
    output_shape = tuple(model.outputs[0].shape)
    if len(output_shape) != 3:
        raise ValueError(
            f"generate() needs a model whose output is (batch, seq, vocab) logits. {model.name} outputs {output_shape}"
        )
    inputs, key = _split_inputs(model, tokens)
    for name, ids in inputs.items():
        inputs[name] = _ids(name or names.TOKENS, ids, vocab_size=output_shape[-1] if name == key else None)
    require_token_ids(model, inputs if key is not None else inputs[None])
    prompt = inputs[key]
    if prompt.ndim != 2:
        raise ValueError(f"The prompt must be a (batch, length) array of ids. Received shape {prompt.shape}")
    padded = _pads_with_zero(model)
    # Right-padded prompts end at their last non-zero id; without padding every row is whole.
    lengths = (prompt != 0).sum(axis=1) if padded else np.full(len(prompt), prompt.shape[1])
    if np.any(lengths == 0):
        raise ValueError("Every prompt needs at least one token (a start token for seq2seq models).")
    total = prompt.shape[1] + max_new_tokens
    _require_fits(model, total)

    buffer = np.zeros((prompt.shape[0], total), dtype="int32")
    buffer[:, : prompt.shape[1]] = prompt
    # One stream per row, so a row's draws do not depend on when other rows draw (cached or not).
    rngs = [np.random.default_rng(stream) for stream in np.random.SeedSequence(seed).spawn(len(buffer))]
    inputs[key] = buffer
    model_inputs = inputs if key is not None else buffer
    if use_cache is None:
        use_cache = has_state(model)
    if use_cache:
        decoding = decoding_for(model, total)
        return _generate_cached(
            decoding, model_inputs, lengths, max_new_tokens, temperature, top_k, rngs, end_token, padded
        )
    rows = np.arange(len(buffer))
    finished = np.zeros(len(buffer), dtype=bool)
    for _ in range(max_new_tokens):
        logits = np.asarray(model.predict_on_batch(model_inputs), dtype="float64")
        next_tokens = _choose(logits[rows, lengths - 1], temperature, top_k, rngs, padded)
        active = ~finished & (lengths < total)
        buffer[rows[active], lengths[active]] = next_tokens[active]
        lengths = lengths + active
        if end_token is not None:
            finished |= active & (next_tokens == end_token)
        if finished.all():
            break
    return buffer


def _generate_cached(decoding, inputs, lengths, max_new_tokens, temperature, top_k, rngs, end_token, padded):
    """The cached path: every position once, the prompts' common part in one call, the rest teacher-forced
    where a prompt goes on and generated where it has ended; greedy decoding in one compiled loop."""
    buffer = inputs[decoding.growing] if decoding.growing is not None else inputs
    state = decoding.start(inputs)
    first = int(lengths.min()) - 1  # positions before it are prompt in every row: their state comes at once
    if first:
        state = decoding.prefill(keras.ops.convert_to_tensor(buffer), state, first)
    limits = lengths + max_new_tokens
    if temperature == 0:
        end = -1 if end_token is None else end_token
        return keras.ops.convert_to_numpy(decoding.greedy(buffer, lengths, limits, end, first, state, padded=padded))
    rows = np.arange(len(buffer))
    finished = np.zeros(len(buffer), dtype=bool)
    for t in range(first, buffer.shape[1] - 1):
        logits, state = decoding.step(
            keras.ops.convert_to_tensor(buffer), keras.ops.convert_to_tensor(t, "int32"), state
        )
        # Position t + 1 is generated in rows whose prompt ended and which still have tokens to add.
        growing = (t + 1 >= lengths) & (t + 1 < limits) & ~finished
        if growing.any():
            next_tokens = _choose(
                keras.ops.convert_to_numpy(logits).astype("float64")[growing],
                temperature,
                top_k,
                [rngs[r] for r in rows[growing]],
                padded,
            )
            buffer[rows[growing], t + 1] = next_tokens
            if end_token is not None:
                finished[rows[growing]] |= next_tokens == end_token
        if np.all(finished | (t + 1 >= limits - 1)):
            break
    return buffer


def _ids(name: str, ids, *, vocab_size: int | None) -> np.ndarray:
    """`ids` as int32, refused when they are not integers (floats would be truncated) or out of range."""
    array = np.asarray(ids)
    if array.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must hold integer token ids. Received dtype {array.dtype}")
    if array.size and (array.min() < 0 or (vocab_size is not None and array.max() >= vocab_size)):
        allowed = f"0..{vocab_size - 1}" if vocab_size is not None else ">= 0"
        raise ValueError(f"`{name}` ids must be in {allowed}. Received ids from {array.min()} to {array.max()}")
    return array.astype("int32")


def _split_inputs(model, tokens):
    """The model's inputs as a dict, and the key of the sequence that grows (None for a single input)."""
    if not isinstance(model.input, dict):
        if len(model.inputs) != 1:
            raise ValueError(
                f"generate() takes a model with one input or a dict of inputs. {model.name} has {len(model.inputs)}"
            )
        return {None: tokens}, None
    key = growing_input(model)
    names = set(model.input)
    if not isinstance(tokens, dict) or set(tokens) != names:
        received = sorted(tokens) if isinstance(tokens, dict) else type(tokens).__name__
        raise ValueError(
            f"{model.name} takes inputs {sorted(names)}: pass tokens as a dict of them, {key!r} holding the prefix "
            f"to extend (for seq2seq models, starting with the start token). Received: {received}"
        )
    return dict(tokens), key


def _require_fits(model, total: int) -> None:
    for layer in model.layers:
        if isinstance(layer, PositionEmbedding) and total > layer.max_length:
            raise ValueError(
                f"The prompt plus `max_new_tokens` ({total} tokens) is longer than the model's position table "
                f"(max_length={layer.max_length})."
            )


def _pads_with_zero(model) -> bool:
    """Whether id 0 is padding: true for every kerazoo model unless built with `mask_zero=False` (GPT-2's
    vocabulary uses id 0 for a real token)."""
    embeddings = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    return not embeddings or any(layer.mask_zero for layer in embeddings)


def _choose(logits: np.ndarray, temperature: float, top_k: int | None, rngs, padded: bool = True) -> np.ndarray:
    """The next token of each row: argmax, or a sample from row i's own generator `rngs[i]`.

    Where id 0 is padding it is never produced.
    """
    logits = logits.copy()
    if padded:
        logits[:, 0] = -np.inf
    if temperature == 0:
        return logits.argmax(axis=-1)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = np.partition(logits, -top_k, axis=-1)[:, -top_k][:, None]
        logits = np.where(logits < kth, -np.inf, logits)
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    return np.array([rng.choice(len(p), p=p) for rng, p in zip(rngs, probabilities, strict=True)])
