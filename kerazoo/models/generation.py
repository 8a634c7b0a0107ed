"""Autoregressive generation for the language and seq2seq models: ids in, ids out; text in, text out."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import keras
import numpy as np

from kerazoo._validation import require_non_negative_int, require_number, require_positive_int, require_seed
from kerazoo.models import _prompts
from kerazoo.models._decoding import Sampling, decoding_for, has_state

# With stop strings, the loop comes back to the host every this many positions to read the text so far: a
# round trip per chunk, not per token, and at most this many positions computed past a stop.
STOP_CHECK_EVERY = 8


def generate(
    model: keras.Model,
    tokens_or_text,
    max_new_tokens: int,
    *,
    tokenizer=None,
    temperature: float = 0.0,
    top_k: int | None = None,
    top_p: float | None = None,
    stop: str | Sequence[str] | None = None,
    num_return_sequences: int = 1,
    seed: int | None = None,
    end_token: int | None = None,
    use_cache: bool | None = None,
):
    """Extends token sequences (or texts) with `model`'s predictions, one token at a time.

    Works for `gpt`, both seq2seq models and models assembled from the decoder block. Ids in, ids out:
    pass `(batch, prompt_length)` ids (for seq2seq models {"source": ids, "target": prefix}, the prefix
    starting with the start token), right-padded with 0, except for a `gpt` built with `mask_zero=False`,
    where 0 is a token and prompts must be whole. Text in, text out: pass a string or a list of strings
    and the `tokenizer` the model was trained with. A string is the prompt, or for a seq2seq model the
    source, whose target then starts with the tokenizer's start id (its end id where it has none, as
    BART's decoder starts from `</s>`); no special tokens are added to it. What comes back is the
    continuation alone, decoded without special tokens and ending before the tokenizer's end id: one string
    for a string, a list for a list, and with `num_return_sequences` > 1 a list per prompt.

    Every token is chosen on the device, sampling included, in one compiled loop (XLA on TensorFlow and
    JAX): by default each decoder carries its state (the Transformer decoders' key/value caches, the LSTM
    decoder's state), the encoder runs once and the prompt positions every row has run as one chunk; with
    `use_cache=False` the whole model runs over one fixed-size buffer for each position. With `stop` the
    loop comes back to the host every few positions to read the text.

    Args:
        model: a model whose output is `(batch, seq, vocab)` logits, step t predicting token t + 1.
        tokens_or_text: ids (`(batch, prompt_length)`, or a dict for seq2seq models), or text.
        max_new_tokens: how many tokens to add at most.
        tokenizer: turns text into ids and back (a `kerazoo.text.Tokenizer`); needed for text and `stop`.
            Its vocabulary must fit the model's, and its padding id must be the model's: 0 where the model
            masks id 0 (kerazoo's models, built with `mask_zero=True`), none where every id is a token.
        temperature: 0 picks the most likely token (greedy); above 0 samples from softmax(logits / T).
        top_k: sample only among the k most likely tokens.
        top_p: sample only among the most likely tokens whose probabilities add up to `top_p` (nucleus
            sampling, Holtzman et al. 2020), in (0, 1].
        stop: a string or strings: a row stops once its text contains one, and its text ends before it
            (its ids end with the token that completed it, then 0).
        num_return_sequences: continuations per prompt, a prompt's rows next to each other.
        seed: seeds the sampling: the same seed, prompts and settings give the same tokens.
        end_token: a row stops growing once it produced this id; the rest of the row stays 0. For text,
            the tokenizer's end id unless given.
        use_cache: decode one position per step with the decoders' state (the default when the model has
            a TransformerDecoder or an LSTM decoder started from a state); False recomputes every position
            at every step.

    Returns:
        For ids, `(batch * num_return_sequences, prompt_length + max_new_tokens)` int32 ids: the prompt (or
        target prefix) and its continuation. For text, the continuations as strings.

    Raises:
        ValueError: an argument out of range (named), a prompt that tokenizes to nothing, a tokenizer whose
            vocabulary is larger than the model's or that disagrees with it on the padding id.
    """
    options = _Options.of(temperature, top_k, top_p, stop, num_return_sequences, seed, end_token, use_cache)
    job = _job(model, tokens_or_text, max_new_tokens, tokenizer, options)
    *_, (buffer, _) = _chunks(job, options, chunk=STOP_CHECK_EVERY if options.stops else None)
    if job.texts is None:
        return job.cut_at_stops(buffer)
    continuations = [job.text(buffer, row) for row in range(len(buffer))]
    n = options.num_return_sequences
    if n > 1:
        continuations = [continuations[i : i + n] for i in range(0, len(continuations), n)]
    return continuations[0] if isinstance(tokens_or_text, str) else continuations


def generate_stream(
    model: keras.Model,
    prompt: str,
    max_new_tokens: int,
    *,
    tokenizer,
    temperature: float = 0.0,
    top_k: int | None = None,
    top_p: float | None = None,
    stop: str | Sequence[str] | None = None,
    seed: int | None = None,
    end_token: int | None = None,
    use_cache: bool | None = None,
) -> Iterator[str]:
    """`generate(model, prompt, ..., tokenizer=tokenizer)`'s text as it grows: yields each new piece, a token's
    worth at a time, so that a terminal can show it.

    The pieces add up to what `generate` returns for the same arguments. Text that may still turn out to
    begin a stop string, or that ends inside a character (byte-level tokens split UTF-8), is held back until
    the next token settles it. Each token is one call of the compiled loop, with a trip to the host.
    """
    if not isinstance(prompt, str):
        raise TypeError(f"`prompt` must be a string. Received: {type(prompt).__name__}")
    options = _Options.of(temperature, top_k, top_p, stop, 1, seed, end_token, use_cache)
    job = _job(model, prompt, max_new_tokens, tokenizer, options)
    shown = ""
    for buffer, t in _chunks(job, options, chunk=1):
        text, stopped = job.text_so_far(buffer, 0, t)
        if not stopped:
            text = text[: len(text) - _unsettled(text, options.stops)]
        if text.startswith(shown) and len(text) > len(shown):
            yield text[len(shown) :]
            shown = text
    final = job.text(buffer, 0)
    if final.startswith(shown) and len(final) > len(shown):
        yield final[len(shown) :]


@dataclasses.dataclass(frozen=True)
class _Options:
    """generate()'s keyword arguments, checked."""

    sampling: Sampling
    stops: tuple[str, ...]
    num_return_sequences: int
    seed: int | None
    end_token: int | None
    use_cache: bool | None

    @classmethod
    def of(
        cls, temperature=0.0, top_k=None, top_p=None, stop=None, num_return_sequences=1, seed=None,
        end_token=None, use_cache=None,
    ):  # fmt: skip
        require_number("temperature", temperature, minimum=0.0)
        if top_k is not None:
            require_positive_int(top_k=top_k)
        if top_p is not None and (
            isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0.0 < top_p <= 1.0
        ):
            raise ValueError(f"`top_p` must be a number in (0, 1]. Received: top_p={top_p!r}")
        if temperature == 0 and (top_k is not None or top_p is not None):
            chosen = "top_k" if top_k is not None else "top_p"
            raise ValueError(
                f"`{chosen}` limits sampling, and temperature=0 is greedy decoding: pass a `temperature` above 0 "
                f"(1.0 samples from the model's own probabilities). Received: temperature={temperature!r}, "
                f"{chosen}={top_k if top_k is not None else top_p!r}"
            )
        require_positive_int(num_return_sequences=num_return_sequences)
        require_seed(seed, optional=True)
        if end_token is not None:
            require_non_negative_int(end_token=end_token)
        stops = (stop,) if isinstance(stop, str) else tuple(stop) if stop is not None else ()
        if isinstance(stop, (bytes, dict)) or not all(isinstance(s, str) and s for s in stops):
            raise ValueError(f"`stop` must be a non-empty string or a list of them. Received: stop={stop!r}")
        if use_cache is not None and not isinstance(use_cache, bool):
            raise TypeError(f"`use_cache` must be True, False or None. Received: use_cache={use_cache!r}")
        sampling = Sampling(float(temperature), top_k, None if top_p is None else float(top_p))
        return cls(sampling, stops, num_return_sequences, seed, end_token, use_cache)


@dataclasses.dataclass
class _Job:
    """One call's rows: the model's inputs with the growing `(batch, total)` buffer, where each row's prompt
    ends (`lengths`) and its generation must (`limits`), and, given a tokenizer, how to read the rows as text.
    """

    model: keras.Model
    inputs: dict | np.ndarray
    buffer: np.ndarray
    lengths: np.ndarray
    limits: np.ndarray
    allowed: np.ndarray
    end_token: int | None
    tokenizer: object = None
    stops: tuple[str, ...] = ()
    texts: list[str] | None = None

    def generated(self, buffer, row: int, t: int) -> np.ndarray:
        """Row `row`'s ids generated up to position t, less its end token and what follows."""
        ids = buffer[row, self.lengths[row] : min(t, self.limits[row] - 1) + 1]
        if self.end_token is not None and np.any(ids == self.end_token):
            ids = ids[: int(np.argmax(ids == self.end_token))]
        return ids

    def text_so_far(self, buffer, row: int, t: int) -> tuple[str, bool]:
        """The row's text generated up to position t, ending before a stop string; and whether it met one."""
        return _cut(self._decoded(buffer, row, self.generated(buffer, row, t)), self.stops)

    def text(self, buffer, row: int) -> str:
        return self.text_so_far(buffer, row, buffer.shape[1] - 1)[0]

    def stopped(self, buffer, t: int) -> np.ndarray:
        """Which rows' text contains a stop string."""
        return np.array([self.text_so_far(buffer, row, t)[1] for row in range(len(buffer))])

    def cut_at_stops(self, buffer) -> np.ndarray:
        """Ids: each row that met a stop string ends with the token that completed it, then 0."""
        if not self.stops:
            return buffer
        buffer = buffer.copy()
        for row in range(len(buffer)):
            ids = self.generated(buffer, row, buffer.shape[1] - 1)
            if _cut(self._decoded(buffer, row, ids), self.stops)[1]:
                met = (_cut(self._decoded(buffer, row, ids[:n]), self.stops)[1] for n in range(len(ids) + 1))
                end = next(n for n, stopped in enumerate(met) if stopped)
                buffer[row, self.lengths[row] + end :] = 0
        return buffer

    def _decoded(self, buffer, row: int, ids) -> str:
        """The text of `ids` as they continue the row's prompt: decoding prompt and continuation together and
        dropping the prompt's text keeps what depends on the tokens before (WordPiece's `##` joins, spaces)."""
        prompt = buffer[row, : self.lengths[row]].tolist()
        whole = self.tokenizer.decode([*prompt, *ids.tolist()], skip_special_tokens=True)
        head = self.tokenizer.decode(prompt, skip_special_tokens=True)
        return whole[len(head) :] if whole.startswith(head) else self.tokenizer.decode(ids.tolist())


def _cut(text: str, stops) -> tuple[str, bool]:
    found = [index for index in (text.find(stop) for stop in stops) if index >= 0]
    return (text[: min(found)], True) if found else (text, False)


def _unsettled(text: str, stops) -> int:
    """How many characters at the end of `text` the next token may still change: a partial character
    (U+FFFD from bytes cut short), or the start of a stop string."""
    if text.endswith("\ufffd"):
        return len(text) - len(text.rstrip("\ufffd"))
    return max((n for stop in stops for n in range(1, len(stop)) if text.endswith(stop[:n])), default=0)


def _job(model, tokens_or_text, max_new_tokens, tokenizer, options: _Options) -> _Job:
    """The rows to generate, checked: ids as given, or text encoded with `tokenizer`."""
    require_positive_int(max_new_tokens=max_new_tokens)
    output_shape = tuple(model.outputs[0].shape)
    if len(output_shape) != 3:
        raise ValueError(
            f"generate() needs a model whose output is (batch, seq, vocab) logits. {model.name} outputs {output_shape}"
        )
    padded = _prompts.pads_with_zero(model)
    texts = _prompts.prompt_texts(tokens_or_text)
    if texts is not None or options.stops or tokenizer is not None:
        _prompts.require_tokenizer(
            model, tokenizer, padded, "Text prompts need" if texts is not None else "`stop` needs"
        )
    if texts is None:
        inputs, key = _prompts.id_inputs(model, tokens_or_text, output_shape[-1])
        prompt = inputs[key]
        # Right-padded prompts end at their last non-zero id; without padding every row is whole.
        lengths = (prompt != 0).sum(axis=1) if padded else np.full(len(prompt), prompt.shape[1])
        if np.any(lengths == 0):
            raise ValueError("Every prompt needs at least one token (a start token for seq2seq models).")
        end_token = options.end_token
    else:
        inputs, key, lengths = _prompts.text_inputs(model, texts, tokenizer)
        end_token = tokenizer.end_id if options.end_token is None else options.end_token
    n = options.num_return_sequences
    inputs = {name: np.repeat(ids, n, axis=0) for name, ids in inputs.items()}
    lengths = np.repeat(lengths, n)
    prompt = inputs[key]
    total = prompt.shape[1] + max_new_tokens
    _prompts.require_fits(model, max(total, *(ids.shape[1] for ids in inputs.values())))
    buffer = np.zeros((prompt.shape[0], total), dtype="int32")
    buffer[:, : prompt.shape[1]] = prompt
    inputs[key] = buffer
    return _Job(
        model=model,
        inputs=inputs if key is not None else buffer,
        buffer=buffer,
        lengths=lengths,
        limits=lengths + max_new_tokens,
        allowed=_prompts.allowed_ids(output_shape[-1], padded, tokenizer, _prompts.source_padding_id(model)),
        end_token=end_token,
        tokenizer=tokenizer,
        stops=options.stops,
        texts=texts,
    )


def _chunks(job: _Job, options: _Options, *, chunk: int | None):
    """Runs the compiled loop `chunk` positions at a time (all at once for None), yielding `(buffer, t)`
    after each: positions up to t are final. Rows whose text meets a stop string are finished between chunks.
    """
    use_cache = has_state(job.model) if options.use_cache is None else options.use_cache
    decoding = decoding_for(job.model, job.buffer.shape[1], cached=use_cache)
    state = decoding.start(job.inputs)
    # Positions before the shortest prompt's last are prompt in every row: their state may come at once.
    state, t = decoding.prefill(keras.ops.convert_to_tensor(job.buffer), state, int(job.lengths.min()) - 1)
    seed = int(np.random.default_rng().integers(2**31)) if options.seed is None else options.seed % 2**31
    end_token = -1 if job.end_token is None else job.end_token
    buffer, finished, last = job.buffer, np.zeros(len(job.buffer), bool), job.buffer.shape[1] - 1
    while True:
        until = last if chunk is None else min(t + chunk, last)
        buffer, finished, t, state = decoding.run(
            buffer, job.lengths, job.limits, finished, t, until, state,
            end_token=end_token, allowed=job.allowed, sampling=options.sampling, seed=seed,
        )  # fmt: skip
        buffer, t = np.array(keras.ops.convert_to_numpy(buffer)), int(keras.ops.convert_to_numpy(t))
        finished = np.array(keras.ops.convert_to_numpy(finished))
        if job.stops:
            finished |= job.stopped(buffer, t)
        yield buffer, t
        if t >= last or np.all(finished | (t + 1 >= job.limits)):
            return
