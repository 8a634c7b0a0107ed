"""Writes a tiny random MarianMT checkpoint with its tokenizers, and transformers' outputs, in a process of
its own (PyTorch and TensorFlow each load their own LLVM; see hugging_face_reference.py):

    python marian_reference.py FOLDER

FOLDER receives what `MarianMTModel.save_pretrained` and `MarianTokenizer.save_pretrained` write (config.json,
model.safetensors, source.spm, target.spm, vocab.json, tokenizer_config.json) and `reference.npz`: the
tokenizer's ids of held-out texts, logits for a padded batch, and greedy `generate` output.
"""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import sentencepiece
import transformers  # MarianTokenizer needs sentencepiece only; the model needs PyTorch, imported in main

SOURCE_TEXTS = [
    "the cat sat on the mat.", "a dog runs in the park.", "the weather is nice today.", "we read a book together.",
    "she writes letters to her friends.", "the train leaves at noon.", "he drinks coffee every morning.",
    "children play in the garden.", "the house is near the river.", "birds sing in the trees.",
    "my brother cooks dinner tonight.", "the teacher opens the window.", "they walk to the station.",
]  # fmt: skip
TARGET_TEXTS = [
    "die katze sitzt auf der matte.", "ein hund rennt im park.", "das wetter ist heute schön.",
    "wir lesen zusammen ein buch.", "sie schreibt briefe an ihre freunde.", "der zug fährt mittags ab.",
    "er trinkt jeden morgen kaffee.", "kinder spielen im garten.", "das haus ist nahe am fluss.",
]  # fmt: skip
HELD_OUT = ["the dog reads the letters in the garden.", "Coffee, trains; and rivers!", "zebra quiz 42"]
VOCAB_SIZE = 40  # of each SentencePiece model; vocab.json joins them


def train_spm(texts, prefix: Path) -> Path:
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_prefix=str(prefix), vocab_size=VOCAB_SIZE, model_type="unigram",
        character_coverage=1.0, minloglevel=2,
    )  # fmt: skip
    return prefix.with_suffix(".model")


def tokenizer(folder: Path):
    """Two SentencePiece models and the vocab.json joining them, saved by MarianTokenizer into `folder`."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        source, target = train_spm(SOURCE_TEXTS, scratch / "source"), train_spm(TARGET_TEXTS, scratch / "target")
        pieces = {}
        for model in (source, target):
            processor = sentencepiece.SentencePieceProcessor(model_file=str(model))
            for index in range(processor.get_piece_size()):
                if not (processor.is_control(index) or processor.is_unknown(index)):
                    pieces.setdefault(processor.id_to_piece(index), None)
        vocab = {"</s>": 0, "<unk>": 1, **{piece: 2 + i for i, piece in enumerate(pieces)}}
        vocab["<pad>"] = len(vocab)
        (scratch / "vocab.json").write_text(json.dumps(vocab))
        tok = transformers.MarianTokenizer(str(source), str(target), str(scratch / "vocab.json"))
        tok.save_pretrained(folder)
    return tok


def main(folder: str) -> None:
    import torch

    folder = Path(folder)
    tok = tokenizer(folder)
    vocab_size, pad = len(tok.get_vocab()), tok.pad_token_id
    torch.manual_seed(0)
    config = transformers.MarianConfig(
        vocab_size=vocab_size, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
        pad_token_id=pad, eos_token_id=0, decoder_start_token_id=pad, forced_eos_token_id=None,
        activation_function="swish", scale_embedding=True, dropout=0.0,
    )  # fmt: skip
    model = transformers.MarianMTModel(config)
    with torch.no_grad():  # larger than the default initialisation, so every weight shows in the outputs
        for name, parameter in model.named_parameters():
            if "layer_norm.weight" in name:  # near 1, so that no token wins at every position
                parameter.normal_(1.0, 0.1)
            elif "embed_positions" not in name:
                parameter.normal_(0, 1.0 if name.endswith("shared.weight") else 0.3)
        model.final_logits_bias.normal_(0, 0.1)
    model.eval()
    model.save_pretrained(folder)
    held_out = [tok(text)["input_ids"] for text in HELD_OUT]
    batch = tok([*SOURCE_TEXTS[:2], "a cat."], padding=True, return_tensors="pt")
    rng = np.random.default_rng(1)
    decoder_ids = np.concatenate([np.full((3, 1), pad), rng.integers(0, vocab_size - 1, (3, 6))], axis=1)
    with torch.no_grad():
        logits = model(**batch, decoder_input_ids=torch.tensor(decoder_ids)).logits.numpy()
        generated = model.generate(**batch, num_beams=1, do_sample=False, max_new_tokens=10).numpy()
    lengths = np.array([len(ids) for ids in held_out])
    flat = np.concatenate([np.array(ids) for ids in held_out])
    np.savez(
        folder / "reference.npz", held_out_ids=flat, held_out_lengths=lengths, source=batch["input_ids"].numpy(),
        attention_mask=batch["attention_mask"].numpy(), decoder_ids=decoder_ids, logits=logits, generated=generated,
        decoded=np.array(tok.batch_decode(generated, skip_special_tokens=True)),
    )  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:])
