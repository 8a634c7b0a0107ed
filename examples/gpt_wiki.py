"""A small GPT language model on gensim's shortened English Wikipedia dump, then text generation.

Offline, a few minutes on two CPU cores; prints the test perplexity and a continuation of each prompt
(greedy, then sampled with a temperature), decoded back to words through the training vocabulary:

    python examples/gpt_wiki.py --epochs 3 --output runs/gpt_wiki
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import keras
import numpy as np

from kerazoo import data, models
from kerazoo.plots import plot_history
from kerazoo.text import words
from kerazoo.training import save_model

PROMPTS = ("the history of", "in the united states")


def encode(text: str, vocabulary) -> np.ndarray:
    index = {word: i for i, word in enumerate(vocabulary)}
    return np.array([[index.get(word, 1) for word in words(text)]], dtype="int32")


def decode(ids, vocabulary) -> str:
    return " ".join(vocabulary[i] for i in ids if i > 0)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=12)
    parser.add_argument("--output", type=Path, default=Path("runs/gpt_wiki"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    wiki = data.load(
        "wiki",
        task="language-modeling",
        batch_size=32,
        sequence_length=args.sequence_length,
        vocab_size=args.vocab_size,
        seed=args.seed,
    )
    model = models.gpt(
        vocab_size=len(wiki.vocabulary),
        max_length=args.sequence_length + args.new_tokens,
        dim=args.dim,
        num_heads=4,
        ffn_dim=4 * args.dim,
        num_layers=args.num_layers,
        dropout=0.1,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        metrics=[keras.metrics.SparseCategoricalAccuracy("accuracy")],
    )
    history = model.fit(wiki.train, validation_data=wiki.validation, epochs=args.epochs, verbose=2)
    perplexity = math.exp(model.evaluate(wiki.test, verbose=0, return_dict=True)["loss"])
    print(f"test perplexity: {perplexity:.1f} (vocabulary of {len(wiki.vocabulary)} words)")

    for prompt in PROMPTS:
        ids = encode(prompt, wiki.vocabulary)
        greedy = models.generate(model, ids, args.new_tokens)
        sampled = models.generate(model, ids, args.new_tokens, temperature=0.8, top_k=40, seed=args.seed)
        print(f"{prompt!r} -> greedy: {decode(greedy[0, ids.shape[1] :], wiki.vocabulary)}")
        print(f"{' ' * len(repr(prompt))}    sampled: {decode(sampled[0, ids.shape[1] :], wiki.vocabulary)}")

    save_model(model, args.output / "model.keras")
    (args.output / "vocabulary.txt").write_text("\n".join(wiki.vocabulary) + "\n", encoding="utf8")
    plot_history(history, args.output / "curves.png", title="GPT on the Wikipedia sample")
    return perplexity


if __name__ == "__main__":
    main()
