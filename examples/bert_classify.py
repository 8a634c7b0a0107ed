"""BERT classifies a sentence: Hugging Face's everyday snippet, in kerazoo.

    tokenizer = BertTokenizer.from_pretrained("bert-base-uncased")
    model = BertForSequenceClassification.from_pretrained("bert-base-uncased")
    inputs = tokenizer("Hello, my dog is cute", return_tensors="pt")
    predicted_class_id = model(**inputs).logits.argmax().item()

bert-base-uncased has no classifier head. Like BertForSequenceClassification, kerazoo then puts a fresh,
untrained head (2 classes) on BERT's [CLS] pooler, so the predicted class means nothing until the model is
fine-tuned; a checkpoint with its own head (a folder or a Hub repository fine-tuned for a task, given with
--model) predicts with it. The first run downloads about 440 MB into huggingface_hub's cache:

    python examples/bert_classify.py
    python examples/bert_classify.py "A wonderful film" "A dull film" --model path/to/checkpoint
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

from kerazoo import models, text

TEXT = "Hello, my dog is cute"


def main(argv=None) -> np.ndarray:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("texts", nargs="*", default=[TEXT], help=f"the sentences to classify (default: {TEXT!r})")
    parser.add_argument("--model", default="hf:bert-base-uncased", help="hf:ORG/NAME[@REVISION] or a folder")
    parser.add_argument("--tokenizer", help="another source of the tokenizer (default: the model's)")
    parser.add_argument("--num-classes", type=int, default=2, help="the fresh head's classes, on a checkpoint without")
    parser.add_argument("--seed", type=int, default=0, help="seeds the fresh head's weights")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    tokenizer = text.Tokenizer.load(args.tokenizer or args.model)
    # tokenizer= checks that the two share one vocabulary before anything is converted.
    model = models.from_pretrained(args.model, tokenizer=tokenizer)
    fresh = isinstance(model.output, dict)  # BERT's outputs alone: the checkpoint has no classifier head
    if fresh:  # (a Hub download's conversion is cached: this second call converts nothing)
        model = models.from_pretrained(
            args.model, tokenizer=tokenizer, num_classes=args.num_classes, classifier_activation=None
        )

    # BERT takes segment ids beside the tokens; for single sentences they are all segment 0.
    inputs = tokenizer.encode(args.texts, return_segment_ids=True)
    logits = np.asarray(model(inputs))
    predicted = logits.argmax(axis=-1)
    for sentence, row, label in zip(args.texts, logits, predicted, strict=True):
        print(f"{sentence!r}: logits [{', '.join(f'{value:.4f}' for value in row)}] -> class {label}")
    if fresh:
        print(
            f"({args.model} has no classifier head: these come from a fresh, untrained {args.num_classes}-class "
            "head, as BertForSequenceClassification.from_pretrained gives one; fine-tune before trusting them)"
        )
    print(f"predicted class: {predicted[0]}" if len(predicted) == 1 else f"predicted classes: {predicted.tolist()}")
    return logits


if __name__ == "__main__":
    main()
