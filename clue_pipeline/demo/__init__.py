"""The demo city 云江市: the project's own demo corpus (``corpus.jsonl``)."""

from clue_pipeline.demo.corpus import DemoPost, corpus_stats, load_corpus

__all__ = ["DemoPost", "corpus_stats", "load_corpus"]
