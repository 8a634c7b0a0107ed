"""Word2Vec on gensim: streaming corpora, training with per-epoch losses and reproducible seeding.

corpus = embeddings.Corpus("texts/", lowercase=True)
report = embeddings.TrainingReport()
model = embeddings.train_word2vec(corpus, vector_size=100, epochs=5, callbacks=[report])  # gensim's Word2Vec
report.training_history  # [{'epoch': 1, 'loss': ..., 'words_per_second': ...}, ...]

Early stopping on a score: train_word2vec(corpus, epochs=20, callbacks=[EarlyStopping("simlex999", patience=1)])
A whole run, written to a folder as `kerazoo word2vec train` writes it: run_word2vec(corpus, output="runs/w2v")
"""

from kerazoo.embeddings.callbacks import EarlyStopping, TrainingReport
from kerazoo.embeddings.evaluation import STANDARD_SETS, evaluate, headline_scores, standard_sets
from kerazoo.embeddings.job import run_word2vec
from kerazoo.embeddings.keras_layers import embedding_matrix, keras_embedding, text_vectorization_and_embedding
from kerazoo.embeddings.persistence import VECTOR_FORMATS, export, load, plot_words, save
from kerazoo.embeddings.word2vec import default_workers, stable_hash, train_word2vec
from kerazoo.text.corpus import MAX_TOKENS_PER_TEXT, Corpus

__all__ = [
    "MAX_TOKENS_PER_TEXT",
    "STANDARD_SETS",
    "VECTOR_FORMATS",
    "Corpus",
    "EarlyStopping",
    "TrainingReport",
    "default_workers",
    "embedding_matrix",
    "evaluate",
    "export",
    "headline_scores",
    "keras_embedding",
    "load",
    "plot_words",
    "run_word2vec",
    "save",
    "stable_hash",
    "standard_sets",
    "text_vectorization_and_embedding",
    "train_word2vec",
]
