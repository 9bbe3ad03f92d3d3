"""Text embedders for grouping Chinese posts: character n-grams, sentence-transformers
models (incl. StaticEmbedding models trained locally over characters or pieces), head
views of them (a post's opening), and their weighted combination as one FAISS-indexable
vector."""

from clue_pipeline.embedding.base import TextEmbedder, l2_normalise
from clue_pipeline.embedding.char_ngram import CharNgramEmbedder
from clue_pipeline.embedding.combined import CombinedEmbedder
from clue_pipeline.embedding.head import HeadEmbedder
from clue_pipeline.embedding.loading import load_embedder
from clue_pipeline.embedding.sentence_transformer import SentenceTransformerEmbedder
from clue_pipeline.embedding.static_training import (
    StaticTrainingSettings,
    TrainingPair,
    TrainingText,
    as_training_pairs,
    build_char_tokenizer,
    build_piece_tokenizer,
    train_static_embedder,
)

__all__ = [
    "CharNgramEmbedder",
    "CombinedEmbedder",
    "HeadEmbedder",
    "SentenceTransformerEmbedder",
    "StaticTrainingSettings",
    "TextEmbedder",
    "TrainingPair",
    "TrainingText",
    "as_training_pairs",
    "build_char_tokenizer",
    "build_piece_tokenizer",
    "l2_normalise",
    "load_embedder",
    "train_static_embedder",
]
