"""The one gate every kerazoo block and model passes, shipped so users can run it on their own blocks.

    from kerazoo import blocks, testing
    testing.check_block(blocks.transformer_encoder_block, testing.Spec((6, 16), padded=True),
                        num_heads=2, ffn_dim=32)

A check builds the model, runs it forward (outputs must be finite float32), serializes it (every layer needs
a `get_config`), takes a `jit_compile=True` training step in which every trainable weight must move and stay
finite, saves it to `.keras` and reloads it in a fresh Python process (outputs must match to 1e-5), compares
`mixed_bfloat16` and `mixed_float16` outputs with float32 ones on the same weights and trains a step under
each, and, for padded sequence inputs, checks that appending padding changes no output. A failed check
raises `AssertionError` naming the check and the block or model, then what it measured:

    padding check failed for block 'my_block': appending 3 padding steps changed the outputs at real
    positions by 0.143 (allowed 0.0001)

The fresh process imports kerazoo and the modules that define the model's own registered layers, as a
user's process that loads the file would; layers defined in a script run as `__main__` cannot be reloaded
there, so keep them in a module.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np

from kerazoo._keras_config import dtype_policy

RELOAD_TOLERANCE = 1e-5
PADDING_TOLERANCE = 1e-4
# Largest error allowed relative to the largest float32 output, with float32 weights in both models.
MIXED_TOLERANCE = {"mixed_bfloat16": 0.08, "mixed_float16": 0.02}
MIXED_POLICIES = tuple(MIXED_TOLERANCE)
PADDING_STEPS = 3
BATCH_SIZE = 2


def attention_policies() -> tuple[str, ...]:
    """The mixed policies attention can run under on this machine.

    On JAX's CPU backend float16 attention does not compile: `jax.nn.dot_product_attention` asks for a
    float16 dot with float32 accumulation, which XLA:CPU lacks (GPUs and TPUs have it). Nobody trains in
    float16 on a CPU (`kerazoo.distribute` picks it only on GPUs), so checks of attention models skip that
    one combination; tests/blocks/test_transformer.py pins the limitation with a strict xfail.
    """
    if keras.backend.backend() == "jax":
        import jax

        if jax.default_backend() == "cpu":
            return ("mixed_bfloat16",)
    return MIXED_POLICIES


@dataclass(frozen=True)
class Spec:
    """One input of the model under check, without the batch axis.

    Args:
        shape: the shape of one example, e.g. `(6, 16)` for a sequence of six 16-d vectors.
        dtype: "float32" or an integer dtype for token ids.
        vocab_size: for token inputs, ids are drawn from `[1, vocab_size)`; 0 is padding.
        padded: axis 0 is time and padding must be invisible. A float input is masked with
            `keras.layers.Masking` (padding is an all-zero step); a token input pads with id 0, which
            the model must mask itself (`mask_zero=True`).
        name: the model's input name; when every spec of a multi-input model has one, inputs go in as a dict.
    """

    shape: tuple
    dtype: str = "float32"
    vocab_size: int | None = None
    padded: bool = False
    name: str | None = None

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        if self.vocab_size is not None:
            return rng.integers(1, self.vocab_size, size=(BATCH_SIZE, *self.shape)).astype(self.dtype)
        return rng.standard_normal((BATCH_SIZE, *self.shape)).astype(self.dtype)


@dataclass
class CheckResult:
    """What a passed check measured: the float32 model after its training step, and the errors seen."""

    model: keras.Model
    outputs: np.ndarray
    reload_error: float
    mixed_errors: dict = field(default_factory=dict)
    padding_error: float | None = None


def check_block(
    block: Callable,
    *specs: Spec,
    expected_shape: tuple | None = None,
    policies: Sequence[str] = MIXED_POLICIES,
    **block_kwargs,
) -> CheckResult:
    """Checks `block(*inputs, **block_kwargs)` wrapped in a functional model; see `check_model`."""

    def build():
        inputs, tensors = [], []
        for spec in specs:
            shape = (None, *spec.shape[1:]) if spec.padded else spec.shape
            inputs.append(keras.Input(shape, dtype=spec.dtype))
            padded_floats = spec.padded and spec.vocab_size is None
            tensors.append(keras.layers.Masking(0.0)(inputs[-1]) if padded_floats else inputs[-1])
        return keras.Model(_one_or_list(inputs), block(*tensors, **block_kwargs))

    subject = f"block {getattr(block, '__name__', repr(block))!r}"
    return _run_checks(build, specs, expected_shape, policies, seed=0, subject=subject)


def check_model(
    build: Callable[[], keras.Model],
    *specs: Spec,
    expected_shape: tuple | None = None,
    policies: Sequence[str] = MIXED_POLICIES,
    seed: int = 0,
) -> CheckResult:
    """Runs every check on the model `build()` returns; `specs` describe its inputs in order.

    `build` is called once in float32 and once under each of `policies`, so it must not depend on global
    state other than the dtype policy. `expected_shape` is the output shape without the batch axis.
    """
    return _run_checks(build, specs, expected_shape, policies, seed=seed, subject=None)


def _run_checks(build, specs, expected_shape, policies, *, seed: int, subject: str | None) -> CheckResult:
    rng = np.random.default_rng(seed)
    inputs = _Inputs([spec.name for spec in specs], [spec.sample(rng) for spec in specs])
    model = build()
    gate = _Gate(subject or f"model {model.name!r}")
    outputs = _forward(model, inputs)
    gate.expect(outputs.dtype == np.float32, "output dtype", f"the float32 model returned {outputs.dtype}")
    gate.expect_finite(outputs, "finite outputs", "the float32 forward pass")
    if expected_shape is not None:
        want = (BATCH_SIZE, *expected_shape)
        gate.expect(outputs.shape == want, "output shape", f"the output shape is {outputs.shape}, expected {want}")
    own_objects = _check_get_config(gate, model)

    padding_error = None
    if any(spec.padded for spec in specs):
        padding_error = _check_padding(gate, model, specs, inputs, outputs)

    mixed_models, mixed_errors = {}, {}
    for policy in policies:
        mixed_models[policy], mixed_errors[policy] = _check_mixed_forward(gate, build, model, inputs, outputs, policy)

    _check_training_step(gate, model, inputs, outputs, "float32")
    trained_outputs = _forward(model, inputs)
    reload_error = _check_fresh_process_reload(gate, model, inputs, trained_outputs, own_objects)

    for policy, mixed_model in mixed_models.items():
        with dtype_policy(policy):
            _check_training_step(gate, mixed_model, inputs, outputs, policy)
    return CheckResult(model, trained_outputs, reload_error, mixed_errors, padding_error)


class _Gate:
    """Raises the gate's failures, each naming the check and what was checked."""

    def __init__(self, subject: str):
        self.subject = subject

    def failure(self, check: str, detail: str) -> AssertionError:
        return AssertionError(f"{check} check failed for {self.subject}: {detail}")

    def expect(self, condition: bool, check: str, detail: str) -> None:
        if not condition:
            raise self.failure(check, detail)

    def expect_finite(self, values: np.ndarray, check: str, where: str) -> None:
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        self.expect(not bad, check, f"{where} returned NaN or inf ({bad} of {np.size(values)} values)")


def _max_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)), initial=0.0))


def _one_or_list(items: Sequence):
    """A single-input functional model is built and called with the bare tensor, as Keras expects."""
    return items[0] if len(items) == 1 else list(items)


def _summary(error: BaseException, limit: int = 500) -> str:
    """The exception's type and text on one line, without terminal colours; the chained error has the rest."""
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split())
    return f"{type(error).__name__}: {text if len(text) <= limit else text[:limit] + ' ...'}"


class _Inputs(list):
    """The sample arrays in spec order, fed to the model as a dict when the specs are named."""

    def __init__(self, names, arrays):
        super().__init__(arrays)
        self.names = list(names)

    def for_model(self):
        if len(self) > 1 and all(self.names):
            return dict(zip(self.names, self, strict=True))
        return _one_or_list(self)

    def replaced(self, arrays) -> _Inputs:
        return _Inputs(self.names, arrays)


def _forward(model: keras.Model, inputs: _Inputs) -> np.ndarray:
    outputs = model(inputs.for_model(), training=False)
    return keras.ops.convert_to_numpy(outputs)


def _check_get_config(gate: _Gate, model) -> dict[str, str]:
    """Serializes the model as `model.save` does; returns the module of each of its own registered objects."""
    try:
        config = keras.saving.serialize_keras_object(model)
    except Exception as error:  # Keras's first paragraph names the layer and what its get_config lacks
        first_paragraph = " ".join(str(error).strip().split("\n\n")[0].split())
        raise gate.failure("get_config", f"the model cannot be serialized: {first_paragraph}") from error
    # Keras writes the module of an object defined in __main__ as None; its own objects have no registered name.
    return {
        item["registered_name"]: item.get("module") or "__main__"
        for item in _dicts(config)
        if item.get("registered_name")
    }


def _dicts(value) -> Iterator[dict]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _dicts(item)


def _append_padding(x: np.ndarray) -> np.ndarray:
    """Zeros are padding for both kinds of padded input: token id 0 and an all-zero (masked) step."""
    return np.concatenate([x, np.zeros((x.shape[0], PADDING_STEPS, *x.shape[2:]), x.dtype)], axis=1)


def _check_padding(gate: _Gate, model, specs, inputs, outputs) -> float:
    """Appends padding to every padded input; outputs at the original positions must not move."""
    padded_inputs = inputs.replaced(
        [_append_padding(x) if spec.padded else x for spec, x in zip(specs, inputs, strict=True)]
    )
    padded_outputs = _forward(model, padded_inputs)
    if outputs.ndim >= 3 and padded_outputs.shape[1] != outputs.shape[1]:
        padded_outputs = padded_outputs[:, : outputs.shape[1]]
    return _expect_close(
        gate,
        "padding",
        padded_outputs,
        outputs,
        PADDING_TOLERANCE,
        shape=f"the padded output shape is {padded_outputs.shape}",
        difference=f"appending {PADDING_STEPS} padding steps changed the outputs at real positions by",
    )


def _check_mixed_forward(gate: _Gate, build, model, inputs, outputs, policy):
    with dtype_policy(policy):
        mixed = build()
    mixed.set_weights(model.get_weights())
    mixed_outputs = _forward(mixed, inputs)
    gate.expect_finite(mixed_outputs, "mixed precision", f"under {policy} the forward pass")
    scale = float(np.max(np.abs(outputs))) or 1.0
    error = _max_error(mixed_outputs, outputs) / scale
    gate.expect(
        error < MIXED_TOLERANCE[policy],
        "mixed precision",
        f"under {policy} the outputs differ from float32 by {error:.3g} of the output scale "
        f"(allowed {MIXED_TOLERANCE[policy]})",
    )
    return mixed, error


def _check_training_step(gate: _Gate, model, inputs, outputs, where: str) -> None:
    """XLA-compiled Adam steps on a regression target; every trainable weight must move and stay finite.

    Adam moves a weight exactly when its gradient is non-zero, so a weight that stays put received no
    gradient: a branch cut off by `stop_gradient`, a layer that is built but never used. A non-finite
    gradient leaves non-finite weights. Under mixed_float16 dynamic loss scaling skips every step whose
    scaled gradients overflow; Keras starts the scale at 2**15, which deep models overflow for several
    steps. The check starts it at 2**7 and allows a few steps, so a model fails only if its gradients
    stay non-finite. (Batch normalization over very few values overflows float16 gradients at any scale:
    ResNet-50 at 32x32 normalizes its last stage's 1x1 maps over a batch of 2. Test images must leave the
    last stage a few positions.)
    """
    weights = model.trainable_weights
    before = [keras.ops.convert_to_numpy(w) for w in weights]
    optimizer = keras.optimizers.Adam(1e-3)
    if where == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer, initial_scale=2.0**7)
    with warnings.catch_warnings():
        # Keras warns when a layer makes it turn XLA off; the check below fails instead, naming the layers.
        warnings.filterwarnings("ignore", message="Model doesn't support `jit_compile=True`")
        model.compile(optimizer=optimizer, loss="mse", jit_compile=True)
    refusing = [layer.name for layer in _layers(model) if not layer.supports_jit]
    gate.expect(
        model.jit_compile is True,
        "XLA",
        f"under {where} Keras turned jit_compile off, as it does for layers that set supports_jit=False"
        + (f": {refusing}" if refusing else ""),
    )
    target = np.random.default_rng(1).standard_normal(outputs.shape).astype("float32")
    for _ in range(4 if where == "mixed_float16" else 1):
        with warnings.catch_warnings():
            # Keras warns about weights without gradients; the check below names them and fails.
            warnings.filterwarnings("ignore", message="Gradients do not exist for variables")
            try:
                loss = model.train_on_batch(inputs.for_model(), target)
            except Exception as error:  # the step is where XLA compiles the model, and refuses it
                detail = f"under {where} the training step with jit_compile=True raised {_summary(error)}"
                raise gate.failure("XLA", detail) from error
        after = [keras.ops.convert_to_numpy(w) for w in weights]
        unchanged = [w.path for w, b, a in zip(weights, before, after, strict=True) if np.array_equal(b, a)]
        if not unchanged:
            break
    gate.expect(bool(np.isfinite(loss)), "training step", f"under {where} the loss is {loss}")
    not_finite = [w.path for w, a in zip(weights, after, strict=True) if not np.isfinite(a).all()]
    gate.expect(
        not not_finite, "training step", f"under {where} weights became NaN or inf after a step: {not_finite[:5]}"
    )
    if where == "mixed_float16" and len(unchanged) == len(weights):
        raise gate.failure("training step", f"under {where} no weight moved: every step's scaled gradients overflowed")
    gate.expect(
        not unchanged, "training step", f"under {where} these trainable weights received no gradient: {unchanged[:5]}"
    )


def _layers(model) -> Iterator:
    """The model's layers and, through nested models, theirs (a custom layer's own sublayers are not listed)."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _layers(layer)


def _check_fresh_process_reload(gate: _Gate, model, inputs, outputs, own_objects: dict[str, str]) -> float:
    in_main = sorted(name for name, module in own_objects.items() if module == "__main__")
    gate.expect(
        not in_main,
        "fresh-process reload",
        f"{in_main} are defined in __main__, which a fresh process cannot import; define them in a module",
    )
    modules = sorted({module for module in own_objects.values() if module.split(".")[0] not in ("keras", "builtins")})
    with tempfile.TemporaryDirectory(prefix="kerazoo-check-") as folder:
        model_path = os.path.join(folder, "model.keras")
        model.save(model_path)
        try:
            reloaded = _reload_worker().predict(model_path, inputs, folder, modules)
        except _ReloadError as error:
            raise gate.failure("fresh-process reload", str(error)) from None
    return _expect_close(
        gate,
        "fresh-process reload",
        reloaded,
        outputs,
        RELOAD_TOLERANCE,
        shape=f"the reloaded model's output shape is {reloaded.shape}",
        difference="the outputs of the model reloaded in a fresh process differ by",
    )


def _expect_close(gate: _Gate, check: str, got, expected, tolerance: float, *, shape: str, difference: str) -> float:
    """Fails `check` unless `got` has `expected`'s shape and is within `tolerance` of it; returns the error.
    `shape` and `difference` begin the two messages, which end with what was expected and the error."""
    gate.expect(got.shape == expected.shape, check, f"{shape}, expected {expected.shape}")
    error = _max_error(got, expected)
    gate.expect(error < tolerance, check, f"{difference} {error:.3g} (allowed {tolerance})")
    return error


_REPLY = "KERAZOO_RELOAD "


class _ReloadError(Exception):
    """The fresh process could not load the model or run it; the message says what it saw."""


class _ReloadWorker:
    """One long-lived `python -m kerazoo.testing` process that reloads every saved model of a session.

    Starting Python with Keras and a backend costs seconds; paying that once keeps the fresh-process
    check affordable for hundreds of models. The process imports kerazoo (`-m` imports the package first,
    and it registers kerazoo's layers), then for each model the modules that define its own layers.
    """

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kerazoo.testing"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(self.close)

    def predict(self, model_path: str, inputs: _Inputs, folder: str, modules: Sequence[str]) -> np.ndarray:
        inputs_path = os.path.join(folder, "inputs.npz")
        outputs_path = os.path.join(folder, "outputs.npy")
        keys = [name or f"arr_{i}" for i, name in enumerate(inputs.names)]
        np.savez(inputs_path, **dict(zip(keys, inputs, strict=True)))
        request = {
            "model": model_path,
            "inputs": inputs_path,
            "outputs": outputs_path,
            "modules": list(modules),
            "path": [str(entry) for entry in sys.path],
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(_REPLY):
                reply = json.loads(line[len(_REPLY) :])
                if "error" in reply:
                    raise _ReloadError(f"loading and running the model in a fresh process raised:\n{reply['error']}")
                return np.load(outputs_path)
        raise _ReloadError(f"the fresh process exited with code {self.process.wait()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


_worker: _ReloadWorker | None = None


def _reload_worker() -> _ReloadWorker:
    global _worker
    if _worker is None or _worker.process.poll() is not None:
        _worker = _ReloadWorker()
    return _worker


def _serve_reloads() -> None:
    """The worker's loop: one JSON request a line on stdin, one reply line on stdout."""
    for line in sys.stdin:
        request = json.loads(line)
        try:
            # The parent's module search path, so the modules that define the model's layers are found;
            # appended, so kerazoo and Keras still come from this process's own.
            sys.path.extend([entry for entry in request["path"] if entry not in sys.path])
            for module in request["modules"]:
                importlib.import_module(module)
            model = keras.saving.load_model(request["model"])
            with np.load(request["inputs"]) as data:
                named = not data.files[0].startswith("arr_")
                inputs = _Inputs(data.files if named else [None] * len(data.files), [data[k] for k in data.files])
            np.save(request["outputs"], _forward(model, inputs))
            reply = {"ok": True}
        except Exception:  # reported to the parent, which fails the check with the traceback
            reply = {"error": traceback.format_exc()}
        print(_REPLY + json.dumps(reply), flush=True)


if __name__ == "__main__":
    _serve_reloads()
