"""Decoding one position at a time, with each decoder carrying its own state between steps.

A generative model is split, through its functional graph, around the layers that carry state: a chain
of `kerazoo.layers.TransformerDecoder` (their key/value caches) or a recurrent layer started from an
initial state (an LSTM's `h` and `c`). The pieces around them are sub-models of the same graph, sharing
its weights: the prefix embeds the growing sequence, the head turns the decoder's output into logits,
and whatever does not depend on the growing sequence (the encoder, its padding mask) is computed once
per call to `start`. Nothing is found by name and no layer is re-implemented: `gpt`, both seq2seq models
and models users assemble from the blocks decode the same way.
"""

from __future__ import annotations

import abc
import functools
import itertools
import weakref
from typing import NamedTuple

import keras
from keras import ops

from kerazoo.layers import TransformerDecoder
from kerazoo.models._sampling import choose

# Common prompts this long or longer run through the Transformer decoders as one chunk.
PREFILL_FROM = 16

_DECODINGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ANALYSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Analysis(NamedTuple):
    """What the graph says about generating with a model: the growing input (None for a single one, "" when
    no input reaches a decoder) and the layers that carry state (holding layers, not the model)."""

    growing: str | None
    decoders: list
    recurrent: keras.layers.Layer | None


def _analyse(model: keras.Model) -> _Analysis:
    """Found once per model: each probe builds trial sub-models, too slow to repeat at every `generate`."""
    if model not in _ANALYSES:
        inputs = model.input
        candidates = inputs.items() if isinstance(inputs, dict) else [(None, inputs)]
        analysis = _Analysis("", [], None)
        for name, tensor in candidates:
            decoders, recurrent = _stateful_layers(model, tensor)
            if decoders or recurrent or name is None:
                analysis = _Analysis(name, decoders, recurrent)
                break
        _ANALYSES[model] = analysis
    return _ANALYSES[model]


def decoding_for(model: keras.Model, length: int, *, cached: bool = True) -> Decoding:
    """The model's decoding for buffers of `length` positions, built and compiled once per model and length:
    with its decoders' state (`cached`), or the whole model over the whole buffer at every position."""
    by_length = _DECODINGS.setdefault(model, {})
    if (length, cached) not in by_length:
        by_length[length, cached] = _split(model, length) if cached else _FullDecoding(model, length)
    return by_length[length, cached]


def has_state(model: keras.Model) -> bool:
    """Whether the model has decoders that carry state, so that it can decode one position per step."""
    analysis = _analyse(model)
    return bool(analysis.decoders or analysis.recurrent)


def growing_input(model: keras.Model) -> str | None:
    """The name of the input that generation extends (None for a single unnamed input), found from the graph."""
    growing = _analyse(model).growing
    if growing == "":
        raise ValueError(
            f"generate() extends the input that feeds the model's decoder; {model.name} has inputs "
            f"{sorted(model.input)} and none of them reaches a TransformerDecoder or a recurrent layer started "
            "from a state."
        )
    return growing


class Sampling(NamedTuple):
    """How each next token is chosen. `temperature` 0 is greedy (argmax); above 0 a sample from
    softmax(logits / temperature), limited to the `top_k` most likely tokens and to the smallest set of them
    whose probability reaches `top_p` (the nucleus). `top_k` sets a shape, so each value compiles its own loop;
    the temperature and `top_p` are arguments of the compiled loop."""

    temperature: float = 0.0
    top_k: int | None = None
    top_p: float | None = None


class Decoding(abc.ABC):
    """`start(inputs)` -> state `(carried, *fixed)`; `_step(buffer, t, state)` -> (float32 logits for
    position t, state).

    `inputs` is what the model takes; `buffer` is the whole `(batch, length)` id buffer of the growing
    input, of which the step reads position t. `prefill(buffer, state, steps)` gives the state after
    positions `0 .. steps - 1` (prompt tokens every row has) and the position to go on from. `run` chooses
    tokens from a position on, in one compiled loop on the device. A decoding holds the model's layers and variables but
    not the model itself, so the cache of decodings (keyed weakly by model) lets a dropped model go.
    """

    def __init__(self, model: keras.Model, length: int, growing: str | None):
        self.length = length
        self.growing = growing
        self.variables = model.variables
        self._compiled = {}  # prefill per chunk length, the loop per way of choosing
        # Only its variable's slot is used: the loop maps it to (seed, position) at each step, so a draw
        # depends on the seed and the position alone, in every chunk and on every backend.
        self._seeds = keras.random.SeedGenerator(0)

    @abc.abstractmethod
    def start(self, inputs):
        """The state before position 0, from the model's inputs (what does not grow is read here, once)."""

    @abc.abstractmethod
    def _step(self, buffer, t, state):
        """Logits for position t and the state after it."""

    def prefill(self, buffer, state, steps: int):
        """`(state, t)`: the state after positions `0 .. t - 1`, where `t <= steps`. Here none: the loop reads
        the prompt positions one at a time, as it reads a longer prompt's while other rows generate."""
        return state, 0

    def run(self, buffer, lengths, limits, finished, t, until, state, *, end_token, allowed, sampling, seed):
        """Positions `t + 1 .. until` at most, in one compiled call: `(buffer, finished, t, state)` after them.

        A row's position is generated where its prompt has ended (`lengths`), before its `limits`, while it
        is not `finished` (it produced `end_token`, or the caller stopped it); elsewhere the buffer is read as
        it is. Only ids where `allowed` (a `(vocab,)` mask) is true are produced. The loop stops early once
        no row has a position left to generate, and a later call with the returned values goes on where it
        stopped.
        """
        # Greedy decoding and plain sampling share one loop (the temperature picks at run time); top_k sets a
        # shape and top_p adds the nucleus test, so those compile their own.
        key = ("run", sampling.top_k, sampling.top_p is not None)
        if key not in self._compiled:
            loop = functools.partial(self._loop, top_k=sampling.top_k, nucleus=key[2])
            self._compiled[key] = _compile(loop, self.variables)
        int32 = functools.partial(ops.convert_to_tensor, dtype="int32")
        carried, *fixed = state
        buffer, finished, t, carried = self._compiled[key](
            int32(buffer),
            int32(lengths),
            int32(limits),
            ops.convert_to_tensor(finished, "bool"),
            int32(t),
            int32(until),
            int32(end_token),
            ops.convert_to_tensor(allowed, "bool"),
            ops.convert_to_tensor(sampling.temperature, "float32"),
            ops.convert_to_tensor(1.0 if sampling.top_p is None else sampling.top_p, "float32"),
            int32(seed),
            carried,
            fixed,
        )
        return buffer, finished, t, (carried, *fixed)

    def _loop(
        self, buffer, lengths, limits, finished, t, until, end_token, allowed, temperature, top_p, seed, carried,
        fixed, *, top_k, nucleus,
    ):  # fmt: skip
        """The while loop `run` compiles. A state is `(carried, *fixed)`: only its first part (the caches,
        the LSTM's h and c) goes through the loop; the rest (the encoder's keys, values, outputs and masks)
        is read as it is."""
        last = ops.shape(buffer)[1] - 1

        def unfinished(t, buffer, finished, carried):
            return (t < until) & (t < last) & ops.any(~finished & (t + 1 < limits))

        def extend(t, buffer, finished, carried):
            logits, (carried, *_) = self._step(buffer, t, (carried, *fixed))
            logits = ops.where(allowed, logits, float("-inf"))

            def sampled():
                draw = ops.cast(ops.stack([seed, t]), self._seeds.state.dtype)  # a seed per position
                tempered = logits / ops.maximum(temperature, 1e-6)
                return choose(tempered, self._seeds, draw, top_k=top_k, top_p=top_p if nucleus else None)

            chosen = ops.cond(temperature > 0, sampled, lambda: ops.cast(ops.argmax(logits, axis=-1), "int32"))
            growing = (t + 1 >= lengths) & (t + 1 < limits) & ~finished
            column = ops.where(growing, chosen, ops.take(buffer, t + 1, axis=1))
            buffer = ops.slice_update(buffer, (0, t + 1), column[:, None])
            return t + 1, buffer, finished | (growing & (chosen == end_token)), carried

        t, buffer, finished, carried = ops.while_loop(unfinished, extend, (t, buffer, finished, carried))
        return buffer, finished, t, carried


class _TransformerDecoding(Decoding):
    """A chain of TransformerDecoders, each with its self-attention cache and, with a context, its
    cross-attention keys and values. The prompt's common part runs as one chunk (the decoders attend
    causally within it)."""

    def __init__(self, model, length, growing, tokens, decoders):
        self.decoders = decoders
        first = _call_inputs(decoders[0])
        self.prefix = keras.Model(tokens, first[0])
        contexts = [_call_inputs(decoder)[1:] for decoder in decoders]
        self.with_context = any(contexts)
        if self.with_context and not all(contexts):
            raise ValueError(
                f"In {model.name} some TransformerDecoders have a context and some not; pass use_cache=False."
            )
        self.encoder = _frozen(model, [context[0] for context in contexts]) if self.with_context else None
        self.head = keras.Model(decoders[-1].output, model.output)
        super().__init__(model, length, growing)

    def start(self, inputs):
        batch = ops.shape(keras.tree.flatten(inputs)[0])[0]
        caches = [decoder.empty_cache(batch, self.length) for decoder in self.decoders]
        if not self.with_context:
            return caches, None, None
        contexts, masks = self.encoder(inputs)
        cross = [
            decoder.compute_cross_attention_cache(context)
            for decoder, context in zip(self.decoders, contexts, strict=True)
        ]
        return caches, cross, masks

    def _advance(self, buffer, t, state, steps: int):
        """The decoders' output at positions `t .. t + steps - 1` and the state after them."""
        caches, cross, masks = state
        x = _position(self.prefix(buffer), t, steps)
        new_caches = []
        for index, (decoder, cache) in enumerate(zip(self.decoders, caches, strict=True)):
            extra = {"cross_attention_cache": cross[index], "context_mask": masks[index]} if cross else {}
            x, cache = decoder(x, self_attention_cache=cache, cache_index=t, **extra)
            new_caches.append(cache)
        return x, (new_caches, cross, masks)

    def _step(self, buffer, t, state):
        x, state = self._advance(buffer, t, state, 1)
        return ops.cast(self.head(x)[:, 0], "float32"), state

    def prefill(self, buffer, state, steps: int):
        """A long common prompt runs as one chunk; a short one through the loop (a chunk compiles once per
        length, and a few steps of the loop cost less than that)."""
        if steps < PREFILL_FROM:
            return state, 0
        if ("prefill", steps) not in self._compiled:
            chunk = lambda buffer, state: self._advance(buffer, 0, state, steps)[1]  # noqa: E731
            self._compiled["prefill", steps] = _compile(chunk, self.variables)
        return self._compiled["prefill", steps](buffer, state), steps


class _RecurrentDecoding(Decoding):
    """A recurrent layer stepped through its cell from the initial state the rest of the model gives it."""

    def __init__(self, model, length, growing, tokens, recurrent):
        self.cell = recurrent.cell
        first, *initial_state = _call_inputs(recurrent)
        self.prefix = keras.Model(tokens, first)
        self.initial_state = _frozen(model, initial_state)
        self.extras = _head_extras(model, recurrent.output)
        self.head = keras.Model([recurrent.output, *self.extras], model.output)
        self.frozen = _frozen(model, self.extras) if self.extras else None
        super().__init__(model, length, growing)

    def start(self, inputs):
        states, _ = self.initial_state(inputs)
        extras, masks = self.frozen(inputs) if self.frozen else ([], [])
        return states, extras, masks

    def _step(self, buffer, t, state):
        states, extras, masks = state
        x = _position(self.prefix(buffer), t)[:, 0]
        output, states = self.cell(x, states)
        # Functional.call takes the masks of its inputs (the encoder's padding); __call__ would warn.
        logits = self.head.call([output[:, None], *extras], training=False, mask=[None, *masks])
        return ops.cast(logits[:, 0], "float32"), (list(states), extras, masks)


class _FullDecoding(Decoding):
    """No state: each step runs the whole model over the whole buffer and reads position t (any model whose
    output at t depends on the positions up to t, with or without a decoder that could carry state)."""

    def __init__(self, model, length):
        growing = growing_input(model) if isinstance(model.input, dict) else None
        # The same graph and layers, but not the model object, which the cache of decodings must not hold.
        self.forward = keras.Model(model.input, model.output)
        super().__init__(model, length, growing)

    def start(self, inputs):
        if not self.growing:
            return ops.zeros((), "int32"), None
        return ops.zeros((), "int32"), {
            name: ops.convert_to_tensor(value) for name, value in inputs.items() if name != self.growing
        }

    def _step(self, buffer, t, state):
        _, fixed = state
        logits = self.forward({**fixed, self.growing: buffer} if self.growing else buffer, training=False)
        return ops.cast(_position(logits, t)[:, 0], "float32"), state

    def prefill(self, buffer, state, steps: int):
        return state, steps  # nothing is carried: the positions before `steps` are read again at every step


def _split(model, length) -> Decoding:
    growing = growing_input(model)
    tokens = model.input[growing] if growing else model.input
    _, decoders, recurrent = _analyse(model)
    if decoders:
        for previous, decoder in itertools.pairwise(decoders):
            if _call_inputs(decoder)[0] is not previous.output:
                raise ValueError(
                    f"The key/value cache steps through a chain of TransformerDecoders, each fed by the one "
                    f"before; in {model.name}, {decoder.name} is not. Pass use_cache=False."
                )
        return _TransformerDecoding(model, length, growing, tokens, decoders)
    if recurrent:
        return _RecurrentDecoding(model, length, growing, tokens, recurrent)
    raise ValueError(
        f"{model.name} has no TransformerDecoder and no recurrent layer started from a state to decode with a "
        "cache. Pass use_cache=False."
    )


def _stateful_layers(model, tokens):
    """The TransformerDecoders (in graph order), or else the recurrent layer with an initial state, whose
    input is computed from `tokens`."""
    decoders = [layer for layer in model.layers if isinstance(layer, TransformerDecoder)]
    if decoders and _feeds(tokens, _call_inputs(decoders[0])[0]):
        return decoders, None
    for layer in model.layers:
        if isinstance(layer, keras.layers.RNN) and layer.return_sequences:
            inputs = _call_inputs(layer)
            if len(inputs) > 1 and _feeds(tokens, inputs[0]):
                return [], layer
    return [], None


def _call_inputs(layer) -> list:
    """The tensors a layer was called on once in the graph (positional first, then keyword ones), less the
    boolean masks Keras records beside them."""
    inputs = layer.input
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    return [tensor for tensor in inputs if keras.backend.standardize_dtype(tensor.dtype) != "bool"]


def _feeds(tokens, tensor) -> bool:
    """Whether `tensor` (or every tensor of a structure) is computed from `tokens` alone: each path back
    through the graph's history ends at `tokens`, none at another input.

    The walk is explicit because `keras.Model(tokens, tensor)` refuses a graph that needs another input
    only from Keras 3.15 on; Keras 3.13 builds it and fails when it is called, so a seq2seq model's source
    would pass for the input that feeds its decoder.
    """
    seen, pending = set(), list(keras.tree.flatten(tensor))
    while pending:
        current = pending.pop()
        if current is tokens or id(current) in seen:
            continue
        seen.add(id(current))
        operation, node_index, _ = current._keras_history
        node = operation._inbound_nodes[node_index]
        if node.is_input:
            return False
        pending.extend(node.input_tensors)
    return True


class _SplitMask(keras.layers.Layer):
    """A sequence and its Keras mask as two plain tensors (the mask all true where there is none), so that
    sub-models can return the masks of what they compute and hand them to the layers that need them."""

    def call(self, x, mask=None):
        mask = ops.ones(ops.shape(x)[:2], "bool") if mask is None else ops.cast(mask, "bool")
        return ops.copy(x), mask

    def compute_mask(self, x, mask=None):
        return [None, None]


def _frozen(model, tensors):
    """A sub-model from the model's inputs to `tensors` and their masks: the part computed once per `start`."""
    pairs = [_SplitMask()(tensor) for tensor in tensors]
    return keras.Model(model.input, [[pair[0] for pair in pairs], [pair[1] for pair in pairs]])


def _head_extras(model, start) -> list:
    """The tensors besides `start` that the layers after it read (an encoder's output, say)."""
    if _feeds(start, model.output):
        return []
    producers = {}
    for layer in model.layers:
        try:
            outputs = layer.output
        except (AttributeError, ValueError):  # a layer called more than once has no single output
            continue
        for tensor in keras.tree.flatten(outputs):
            producers[id(tensor)] = layer
    known: dict[int, bool] = {}  # residual graphs reach a tensor by many paths: decide each once

    def depends(tensor) -> bool:
        if id(tensor) not in known:
            layer = producers.get(id(tensor))
            known[id(tensor)] = tensor is start or (
                layer is not None and any(depends(parent) for parent in _call_inputs(layer))
            )
        return known[id(tensor)]

    extras = []

    def collect(tensor):
        if tensor is start:
            return
        if not depends(tensor):
            if all(tensor is not extra for extra in extras):
                extras.append(tensor)
            return
        for parent in _call_inputs(producers[id(tensor)]):
            collect(parent)

    collect(model.output)
    return extras


def _position(sequence, t, steps: int = 1):
    """`sequence[:, t : t + steps]` for a traced `t`."""
    shape = ops.shape(sequence)
    return ops.slice(sequence, (0, t, 0), (shape[0], steps, shape[2]))


def _compile(step, variables):
    """XLA-compiles the step on TensorFlow and JAX (on JAX with the weights as arguments, not constants);
    PyTorch runs it eagerly, without recording gradients."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(step, jit_compile=True, reduce_retracing=True)
    if backend == "jax":
        import jax

        def stateless(values, *args):
            with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
                return step(*args)

        compiled = jax.jit(stateless)
        return lambda *args: compiled([variable.value for variable in variables], *args)
    if backend == "torch":
        import torch

        return torch.no_grad()(step)
    return step
