"""Word2Vec on gensim: streaming corpora, training with per-epoch losses and reproducible seeding.

corpus = embeddings.Corpus("texts/", lowercase=True)
model = embeddings.train_word2vec(corpus, vector_size=100, epochs=5)
model.training_history  # [{'epoch': 1, 'loss': ..., 'words_per_second': ...}, ...]

Early stopping on a score: train_word2vec(corpus, epochs=20, callbacks=[EarlyStopping("simlex999", patience=1)])
"""

from kerazoo.embeddings.keras_layers import embedding_matrix, keras_embedding, text_vectorization_and_embedding
from kerazoo.embeddings.callbacks import EarlyStopping
from kerazoo.embeddings.corpus import MAX_TOKENS_PER_TEXT, Corpus
from kerazoo.embeddings.evaluation import STANDARD_SETS, evaluate, headline_scores, standard_sets
from kerazoo.embeddings.persistence import export, load, plot_words, save
from kerazoo.embeddings.word2vec import default_workers, stable_hash, train_word2vec

__all__ = [
    "MAX_TOKENS_PER_TEXT",
    "STANDARD_SETS",
    "Corpus",
    "EarlyStopping",
    "default_workers",
    "embedding_matrix",
    "evaluate",
    "export",
    "headline_scores",
    "keras_embedding",
    "load",
    "plot_words",
    "save",
    "stable_hash",
    "standard_sets",
    "text_vectorization_and_embedding",
    "train_word2vec",
]
