"""The model zoo table: parameters, training step time and learning sanity of every registered model.

    python -m benchmarks.models                 # everything, about 10 minutes on 2 CPU cores
    python -m benchmarks.models --skip-learning # parameters and step times only

For each registered model: parameters at its defaults, parameters and ms per XLA-compiled training step
(batch 32) at the benchmark config below, and the figure its learning task reaches on offline data. The
races against reference implementations are `python -m benchmarks`.
"""

from __future__ import annotations

import argparse
import platform
import statistics

import keras
import numpy as np

from benchmarks._timing import interleaved
from kerazoo import models
from kerazoo.data import copy_task, load_digits, load_language_modeling, word_order_task

BATCH = 32
TEXT = {"vocab_size": 30, "dim": 32, "dropout": 0.0}
TRANSFORMER = {"max_length": 16, "num_heads": 2, "ffn_dim": 64, "num_layers": 2}

# name: (benchmark config, learning task)
CONFIGS = {
    "simple_cnn": ({"input_shape": (28, 28, 1), "classes": 10}, "digits"),
    "lenet5": ({"input_shape": (32, 32, 1), "classes": 10}, "digits"),
    "resnet18": ({"input_shape": (32, 32, 1), "classes": 10, "width": 16}, "digits"),
    "resnet34": ({"input_shape": (32, 32, 1), "classes": 10, "width": 16}, "digits"),
    "resnet50": ({"input_shape": (32, 32, 1), "classes": 10, "width": 16}, "digits"),
    "lstm_classifier": ({**TEXT, "num_classes": 2, "units": 32}, "word order"),
    "bilstm_attention_classifier": ({**TEXT, "num_classes": 2, "units": 32}, "word order"),
    "transformer_classifier": ({**TEXT, **TRANSFORMER, "num_classes": 2}, "word order"),
    "lstm_seq2seq": ({"vocab_size": 12, "dim": 32, "dropout": 0.0, "units": 64}, "copy"),
    "transformer_seq2seq": ({"vocab_size": 12, "dim": 32, "dropout": 0.0, **TRANSFORMER}, "copy"),
    "gpt": ({"dim": 64, "num_heads": 4, "ffn_dim": 128, "num_layers": 2, "max_length": 32}, "lee"),
}
EPOCHS = {"digits": 12, "word order": 6, "copy": 15, "lee": 10}


def _logits_loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _digits_data(config):
    size = config["input_shape"][:2]
    return load_digits(image_size=size)


def _lee(config):
    (x, y), (x_val, y_val), vocabulary = load_language_modeling("lee", sequence_length=config["max_length"])
    return (x, y), (x_val, y_val), vocabulary


def _sample_batch(name, config):
    """One batch of the model's learning data, for timing."""
    task = CONFIGS[name][1]
    if task == "digits":
        (x, y), _ = _digits_data(config)
        return x[:BATCH], y[:BATCH]
    if task == "word order":
        x, y = word_order_task(BATCH)
        return x, y
    if task == "copy":
        source, target_in, target_out = copy_task(BATCH)
        return {"source": source, "target": target_in}, target_out
    (x, y), _, _ = _lee(config)
    return x[:BATCH], y[:BATCH]


def _build(name, config):
    if name == "gpt":
        vocabulary = _lee(config)[2]
        return models.gpt(vocab_size=len(vocabulary), **config)
    return models.build(name, **config)


def _compile(model, logits: bool, learning_rate=3e-3):
    loss = _logits_loss() if logits else "sparse_categorical_crossentropy"
    model.compile(keras.optimizers.Adam(learning_rate), loss, metrics=["accuracy"], jit_compile=True)


def step_time(name, config) -> float:
    model = _build(name, config)
    inputs, targets = _sample_batch(name, config)
    _compile(model, models.info(name).outputs == "logits")
    model.train_on_batch(inputs, targets)

    def step():
        model.train_on_batch(inputs, targets)

    return 1e3 * statistics.median(interleaved({name: step}, rounds=5, steps_per_round=5)[name])


def learning_figure(name, config) -> str:
    keras.utils.set_random_seed(0)
    task = CONFIGS[name][1]
    model = _build(name, config)
    logits = models.info(name).outputs == "logits"
    if task == "digits":
        (x, y), (x_test, y_test) = _digits_data(config)
        _compile(model, logits, 3e-3 if name == "lenet5" else 1e-3)
        model.fit(x, y, epochs=EPOCHS[task], batch_size=BATCH, verbose=0)
        return f"digits test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.3f}"
    if task == "word order":
        x, y = word_order_task()
        _compile(model, logits)
        model.fit(x[:3500], y[:3500], epochs=EPOCHS[task], batch_size=64, verbose=0)
        return f"word-order accuracy {model.evaluate(x[3500:], y[3500:], verbose=0)[1]:.3f} (chance 0.5)"
    if task == "copy":
        source, target_in, target_out = copy_task()
        _compile(model, logits)
        model.fit(
            {"source": source[:2700], "target": target_in[:2700]}, target_out[:2700], epochs=EPOCHS[task], verbose=0
        )
        held_out = source[2700:2764]
        start = np.ones((len(held_out), 1), "int32")
        generated = models.generate(model, {"source": held_out, "target": start}, max_new_tokens=held_out.shape[1])
        return f"copy token accuracy {np.mean(generated[:, 1:] == held_out):.3f} (greedy decoding)"
    (x, y), (x_val, y_val), vocabulary = _lee(config)
    counts = np.bincount(x.ravel(), minlength=len(vocabulary)) + 1.0
    unigram = np.exp(-np.mean(np.log((counts / counts.sum())[y_val.ravel()])))
    model.compile(keras.optimizers.Adam(3e-3), _logits_loss(), jit_compile=True)
    model.fit(x, y, epochs=EPOCHS[task], batch_size=BATCH, verbose=0)
    perplexity = np.exp(model.evaluate(x_val, y_val, verbose=0))
    return f"Lee validation perplexity {perplexity:.0f} (unigram {unigram:.0f})"


def main(argv=None):
    parser = argparse.ArgumentParser(description="kerazoo model zoo table")
    parser.add_argument("--skip-learning", action="store_true", help="leave out the learning-sanity runs")
    parser.add_argument("--only", nargs="*", help="model names to include")
    args = parser.parse_args(argv)
    print(f"backend {keras.backend.backend()}, keras {keras.__version__}, {platform.machine()}, batch {BATCH}")
    print("| model | params (defaults) | params (bench) | ms/step | learning sanity |\n|---|---:|---:|---:|---|")
    for name in args.only or models.list_models():
        config = CONFIGS[name][0]
        bench_params = _build(name, config).count_params()
        ms = step_time(name, config)
        figure = "" if args.skip_learning else learning_figure(name, config)
        print(f"| {name} | {models.info(name).parameters:,} | {bench_params:,} | {ms:.1f} | {figure} |", flush=True)


if __name__ == "__main__":
    main()
