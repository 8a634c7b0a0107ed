"""Word2Vec on a corpus, then a sentiment classifier whose embedding starts from those vectors.

Trains skip-gram vectors on gensim's shortened English Wikipedia dump, then the same LSTM classifier on
gensim's labelled movie-review sentences (`polarity`) three ways: vectors frozen, vectors fine-tuned, and a
random embedding, prints their test accuracies side by side and draws their validation accuracy and loss
per epoch in one figure (`curves.png`, one line per embedding). Offline, about half a minute on two CPU cores:

    python examples/word2vec_polarity.py --output runs/word2vec_polarity

The polarity set is small (200 sentences), so the accuracies move with the seed; the point is the pipeline:
a corpus of your own goes where the Wikipedia dump is.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import keras

from kerazoo import data, embeddings, models
from kerazoo.plots import plot_comparison

VARIANTS = {"frozen": dict(trainable_embeddings=False), "fine-tuned": {}, "random": None}


def train_vectors(output: Path, *, vector_size: int, epochs: int, seed: int) -> Path:
    from gensim.test.utils import datapath

    corpus = embeddings.Corpus(datapath(data.CORPORA["wiki"]))
    report = embeddings.TrainingReport()
    model = embeddings.train_word2vec(
        corpus, vector_size=vector_size, epochs=epochs, min_count=3, seed=seed, callbacks=[report]
    )
    print(f"word2vec: {len(model.wv)} words; last epoch loss {report.training_history[-1]['loss']:.0f}")
    embeddings.save(model, output / "word2vec" / embeddings.persistence.MODEL_FILE)
    return output / "word2vec"


def classify(polarity, variant: str, *, epochs: int, seed: int):
    """The LSTM classifier on `polarity`, its embedding as `variant` says; returns (test accuracy, history)."""
    keras.utils.set_random_seed(seed)
    settings = polarity.model_settings(models.info("lstm_classifier").defaults)
    if VARIANTS[variant] is None:
        settings.pop("embedding_matrix")
    else:
        settings.update(VARIANTS[variant])
    model = models.build("lstm_classifier", **settings, units=32, num_layers=1, name=f"polarity_{variant}")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(polarity.train, validation_data=polarity.validation, epochs=epochs, verbose=0)
    return model.evaluate(polarity.test, verbose=0, return_dict=True)["accuracy"], history


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vector-size", type=int, default=64)
    parser.add_argument("--word2vec-epochs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20, help="classifier epochs")
    parser.add_argument("--output", type=Path, default=Path("runs/word2vec_polarity"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    vectors = train_vectors(args.output, vector_size=args.vector_size, epochs=args.word2vec_epochs, seed=args.seed)
    polarity = data.load("polarity", task="text-classification", batch_size=16, embeddings=vectors, seed=args.seed)
    accuracies, histories = {}, {}
    for variant in VARIANTS:
        accuracies[variant], history = classify(polarity, variant, epochs=args.epochs, seed=args.seed)
        histories[f"{variant} (test accuracy {accuracies[variant]:.2f})"] = history
    plot_comparison(
        histories,
        args.output / "curves.png",
        metrics=("val_accuracy", "val_loss"),
        title="polarity: the LSTM classifier with three embeddings",
    )
    print("test accuracy by embedding: " + ", ".join(f"{v}: {a:.3f}" for v, a in accuracies.items()))
    (args.output / "accuracies.json").write_text(json.dumps(accuracies, indent=2), encoding="utf8")
    return accuracies


if __name__ == "__main__":
    main()
