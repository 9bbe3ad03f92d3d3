"""Relevance filter and category classifier learned from labelled posts.

`train(records)` fits both parts from JSON-lines records with `text` and `label` (a category
name or `noise`), and the category classifier also reads the configured catalogue (the model
keeps the catalogue it was trained with); `ClassifierModel.predict(texts)` returns one
`Prediction` per text.
"""

from clue_pipeline.classify.model import NOISE_LABEL, ClassifierModel, Prediction, train

__all__ = ["NOISE_LABEL", "ClassifierModel", "Prediction", "train"]
