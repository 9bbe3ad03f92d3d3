"""The zero-training classifier: relevance and category from the matter
catalogue's keywords alone (what runs before anyone has trained a model)."""

from __future__ import annotations

from collections.abc import Sequence

from clue_pipeline.catalog import CatalogMatcher
from clue_pipeline.classify.model import Prediction


class CatalogueClassifier:
    """Same ``predict`` as a trained ClassifierModel, from catalogue keywords."""

    def __init__(self, matcher: CatalogMatcher, min_score: float) -> None:
        self.matcher = matcher
        self.min_score = min_score

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        predictions = []
        rows = self.matcher.example_similarities(texts)
        names = self.matcher.category_names
        for number, (text, by_category) in enumerate(
            zip(texts, self.matcher.category_scores(texts), strict=True)
        ):
            row = rows[number] if rows is not None else None
            # best first (among ties the first category of the catalogue)
            ranked = sorted(
                (
                    (name, round(float(score), 4))
                    for name, score in zip(names, by_category, strict=True)
                    if score > 0
                ),
                key=lambda pair: -pair[1],
            )
            scores = dict(ranked)
            best_name, best_score = ranked[0] if ranked else (None, 0.0)
            total = sum(scores.values()) or 1.0
            relevant = best_score >= self.min_score
            top = self.matcher.match(text, top_k=1, examples=row)
            predictions.append(
                Prediction(
                    relevant=relevant,
                    relevance_score=float(best_score),
                    category=best_name if relevant else None,
                    confidence=float(best_score / total) if ranked else 0.0,
                    scores=scores,
                    terms=list(top[0].matched_terms) if top else [],
                )
            )
        return predictions
