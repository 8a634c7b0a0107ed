"""A small GPT language model on gensim's shortened English Wikipedia dump, then text generation.

Offline, a few minutes on two CPU cores. A byte-level BPE tokenizer is trained on the training text (no
unknown token: the model reads and writes any text); prints the test perplexity per token, per word and
in bits per character (the last two compare with models that use another tokenizer), and a continuation
of each prompt, greedy then sampled (top-p), as text:

    python examples/gpt_wiki.py --epochs 2 --output runs/gpt_wiki
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras

from kerazoo import data, models, training
from kerazoo.plots import plot_history

PROMPTS = ("The history of", "In the United States")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--tokenizer", default="bpe:4000", help="bpe:N, wordpiece:N, unigram:N or a path")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=20)
    parser.add_argument("--output", type=Path, default=Path("runs/gpt_wiki"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    wiki = data.load(
        "wiki",
        task="language-modeling",
        batch_size=32,
        sequence_length=args.sequence_length,
        tokenizer=args.tokenizer,
        seed=args.seed,
    )
    tokenizer = wiki.tokenizer
    model = models.gpt(
        vocab_size=tokenizer.vocab_size,
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
    scores = training.language_model_scores(model, wiki, split="test")
    print(
        f"test perplexity: {scores['perplexity']:.1f} per token, {scores['word_perplexity']:.1f} per word, "
        f"{scores['bits_per_character']:.3f} bits per character (vocabulary of {tokenizer.vocab_size} tokens)"
    )

    greedy = models.generate(model, list(PROMPTS), args.new_tokens, tokenizer=tokenizer)
    sampled = models.generate(
        model, list(PROMPTS), args.new_tokens, tokenizer=tokenizer, temperature=0.8, top_p=0.9, seed=args.seed
    )
    for prompt, greedy_text, sampled_text in zip(PROMPTS, greedy, sampled, strict=True):
        print(f"{prompt!r} -> greedy: {greedy_text!r}")
        print(f"{' ' * len(repr(prompt))}    sampled: {sampled_text!r}")

    training.save_model(model, args.output / "model.keras")
    tokenizer.save(args.output / "tokenizer.json")
    plot_history(history, args.output / "curves.png", title="GPT on the Wikipedia sample", perplexity=True)
    return scores


if __name__ == "__main__":
    main()
