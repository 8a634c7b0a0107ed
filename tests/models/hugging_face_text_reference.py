"""Writes a tiny random Hugging Face checkpoint *with its tokenizer*, and what transformers makes of text.

PyTorch and TensorFlow (or JAX) cannot share a process (each loads its own LLVM), so the tests run this
script to build the reference:

    python hugging_face_text_reference.py KIND FOLDER

KIND is gpt2, bert (a BertModel: no classifier head, as bert-base-uncased) or bert-classifier (a 2-class
BertForSequenceClassification). FOLDER receives what `save_pretrained` writes for the tokenizer and the
model (tokenizer.json, tokenizer_config.json, config.json, model.safetensors) and `reference.npz`, which
holds the inputs (texts, pairs, prompt, new_tokens) and what transformers made of them:

    gpt2             logits (one row per text: TEXTS[i]'s ids through GPT2LMHeadModel), continuation
                     (`generate(do_sample=False)` on PROMPT, NEW_TOKENS tokens, the prompt left out)
    bert-classifier  logits of TEXTS as one padded batch, pair_logits of PAIRS
    bert             sequence and pooled outputs of TEXTS

The tokenizers are trained with `tokenizers` on a few sentences, then wrapped by transformers' own
tokenizer classes, so the files are laid out as on the Hub.
"""

import sys

import numpy as np
import tokenizers
import torch
import transformers

TEXTS = ["Hello, my dog is cute", "The cat sat on the mat, and the dog ran after it."]
PAIRS = [("Hello, my dog is cute", "Is it?"), ("The cat sat.", "The dog ran after the cat on the mat.")]
PROMPT = "Hello, my dog is"
NEW_TOKENS = 12
CORPUS = [
    "Hello, my dog is cute and my cat is cuter.",
    "The cat sat on the mat, and the dog ran after it.",
    "Is it a dog or a cat? It is a cute dog.",
    "Dogs and cats live in the house; the mat is theirs.",
] * 4


def gpt2_tokenizer():
    end = "<|endoftext|>"
    backend = tokenizers.Tokenizer(tokenizers.models.BPE())
    backend.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=[end],
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS, trainer)
    return transformers.GPT2TokenizerFast(tokenizer_object=backend, bos_token=end, eos_token=end, unk_token=end)


def bert_tokenizer():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    backend = tokenizers.Tokenizer(tokenizers.models.WordPiece(unk_token="[UNK]"))
    backend.normalizer = tokenizers.normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    backend.decoder = tokenizers.decoders.WordPiece()
    trainer = tokenizers.trainers.WordPieceTrainer(vocab_size=120, special_tokens=specials, show_progress=False)
    backend.train_from_iterator(CORPUS, trainer)
    backend.post_processor = tokenizers.processors.BertProcessing(
        ("[SEP]", backend.token_to_id("[SEP]")), ("[CLS]", backend.token_to_id("[CLS]"))
    )
    return transformers.BertTokenizerFast(tokenizer_object=backend, do_lower_case=True)


def randomize(model, std: float):
    """Weights far larger than the default initialisation, so every one shows in the outputs (and, for
    GPT-2 at std 1, greedy decoding does not repeat one token, and its choices win by clear margins)."""
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, std)
    return model.eval()


def gpt2(folder: str) -> dict:
    tokenizer = gpt2_tokenizer()
    end = tokenizer.eos_token_id
    config = transformers.GPT2Config(
        vocab_size=len(tokenizer), n_positions=32, n_embd=16, n_layer=2, n_head=2, bos_token_id=end, eos_token_id=end
    )
    model = randomize(transformers.GPT2LMHeadModel(config), 1.0)
    tokenizer.save_pretrained(folder)
    model.save_pretrained(folder)
    with torch.no_grad():
        rows = [model(**tokenizer(text, return_tensors="pt")).logits[0].numpy() for text in TEXTS]
        prompt = tokenizer(PROMPT, return_tensors="pt")
        generated = model.generate(
            **prompt, max_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=end, eos_token_id=end
        )[0, prompt["input_ids"].shape[1] :]
    width = max(len(row) for row in rows)
    logits = np.full((len(rows), width, len(tokenizer)), np.nan, "float32")
    for index, row in enumerate(rows):
        logits[index, : len(row)] = row
    return {"logits": logits, "continuation": generated.numpy(), "text": tokenizer.decode(generated)}


def bert(folder: str, *, head: bool) -> dict:
    tokenizer = bert_tokenizer()
    config = transformers.BertConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=32,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=2,
    )
    model = randomize((transformers.BertForSequenceClassification if head else transformers.BertModel)(config), 0.3)
    tokenizer.save_pretrained(folder)
    model.save_pretrained(folder)
    with torch.no_grad():
        outputs = model(**tokenizer(TEXTS, padding=True, return_tensors="pt"))
        if not head:
            return {"sequence": outputs.last_hidden_state.numpy(), "pooled": outputs.pooler_output.numpy()}
        first, second = zip(*PAIRS, strict=True)
        paired = model(**tokenizer(list(first), list(second), padding=True, return_tensors="pt"))
    return {"logits": outputs.logits.numpy(), "pair_logits": paired.logits.numpy()}


def main(kind: str, folder: str) -> None:
    arrays = gpt2(folder) if kind == "gpt2" else bert(folder, head=kind == "bert-classifier")
    inputs = {"texts": np.array(TEXTS), "pairs": np.array(PAIRS), "prompt": PROMPT, "new_tokens": NEW_TOKENS}
    np.savez(f"{folder}/reference.npz", **inputs, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])
