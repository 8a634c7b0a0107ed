"""Word2Vec on gensim: streaming corpora, training with per-epoch losses and reproducible seeding.

corpus = embeddings.Corpus("texts/", lowercase=True)
model = embeddings.train_word2vec(corpus, vector_size=100, epochs=5)
model.training_history  # [{'epoch': 1, 'loss': ..., 'words_per_second': ...}, ...]
"""

from kerazoo.embeddings.bridge import embedding_matrix, keras_embedding, text_vectorization_and_embedding
from kerazoo.embeddings.corpus import MAX_TOKENS_PER_TEXT, Corpus
from kerazoo.embeddings.evaluation import evaluate, standard_sets
from kerazoo.embeddings.persistence import export, load, plot_words, save
from kerazoo.embeddings.training import stable_hash, train_word2vec

__all__ = [
    "MAX_TOKENS_PER_TEXT",
    "Corpus",
    "embedding_matrix",
    "evaluate",
    "export",
    "keras_embedding",
    "load",
    "plot_words",
    "save",
    "stable_hash",
    "standard_sets",
    "text_vectorization_and_embedding",
    "train_word2vec",
]
