"""Writes a random Hugging Face checkpoint and its outputs, in a process of its own.

PyTorch's Triton and TensorFlow (or JAX) each load their own LLVM, and one process cannot hold both, so
the converter tests run this script to build the reference:

    python hugging_face_reference.py KIND FOLDER

KIND is gpt2, bert or bert-classifier. FOLDER receives `config.json`, `model.safetensors` and
`reference.npz` (the ids, segment ids and outputs for a padded batch).
"""

import sys

import numpy as np
import torch
import transformers


def build(kind: str):
    if kind == "gpt2":
        config = transformers.GPT2Config(vocab_size=50, n_positions=16, n_embd=16, n_layer=2, n_head=2)
        return transformers.GPT2LMHeadModel(config)
    sizes = {"vocab_size": 50, "max_position_embeddings": 16, "hidden_size": 16, "num_hidden_layers": 2}
    config = transformers.BertConfig(**sizes, num_attention_heads=2, intermediate_size=32, num_labels=3)
    return (transformers.BertForSequenceClassification if kind == "bert-classifier" else transformers.BertModel)(config)


def main(kind: str, folder: str) -> None:
    torch.manual_seed(0)
    model = build(kind)
    with torch.no_grad():  # larger than the default initialisation, so every weight shows in the outputs
        for parameter in model.parameters():
            parameter.normal_(0, 0.3)
    model.eval()
    model.save_pretrained(folder)
    rng = np.random.default_rng(1)
    ids = rng.integers(1, 50, (2, 9))
    ids[1, 6:] = 0  # the second row is padded
    segments = rng.integers(0, 2, ids.shape) if kind == "bert" else np.zeros_like(ids)
    inputs = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(ids != 0)}
    if kind != "gpt2":
        inputs["token_type_ids"] = torch.tensor(segments)
    with torch.no_grad():
        outputs = model(**inputs)
    arrays = {"ids": ids, "segments": segments}
    if kind == "bert":
        arrays.update(sequence=outputs.last_hidden_state.numpy(), pooled=outputs.pooler_output.numpy())
    else:
        arrays["logits"] = outputs.logits.numpy()
    np.savez(f"{folder}/reference.npz", **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])
