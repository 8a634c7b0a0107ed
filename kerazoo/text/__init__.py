"""Text in, text out: the word splitter shared by the Word2Vec pipeline, and subword tokenizers.

words("Don't panic!")                                   # ["don't", "panic"]: kerazoo's one definition of a word
tok = Tokenizer.train("corpus/", kind="bpe", vocab_size=8000)   # any embeddings.Corpus source, streamed
tok = Tokenizer.train(texts, kind="bpe", vocab_size=8000)       # or a list or generator of strings
tok = Tokenizer.load("gpt2/")                          # tokenizer.json, vocab.json + merges.txt, vocab.txt, .model
batch = tok.encode(["a text", "another"], max_length=128)   # {"tokens": int32 (2, n)}: model(batch) works
tok.decode(batch["tokens"])                            # ["a text", "another"]

`Tokenizer` loads Hugging Face `tokenizers` when first touched, so `import kerazoo.text` (which the
gensim-only commands do, for `words`) stays pure Python.
"""

from kerazoo import _lazy
from kerazoo.text.word_split import CURLY_APOSTROPHE, _mark_patterns, words  # noqa: F401 (_mark_patterns: tests)

__all__ = ["CURLY_APOSTROPHE", "Tokenizer", "words"]

__getattr__, __dir__ = _lazy.exports(__name__, {"Tokenizer": "tokenizer"})
