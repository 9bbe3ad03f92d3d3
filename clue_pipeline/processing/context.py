"""Everything processing needs loaded once: the embedder, the classifier (when
one was trained), the catalogue and its matcher, urgency rules, the gazetteer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from clue_pipeline import settings
from clue_pipeline.catalog import CatalogMatcher, Item, UrgencyRules, load_catalog
from clue_pipeline.locate import Locator, load_gazetteer
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.judgement import Judgement

log = logging.getLogger(__name__)


@dataclass
class ProcessingContext:
    config: ProcessingConfig

    @classmethod
    def load(cls, config: ProcessingConfig) -> ProcessingContext:
        return cls(config)

    @cached_property
    def catalog(self):  # noqa: ANN201
        return load_catalog(settings.catalog_file())

    @cached_property
    def matcher(self) -> CatalogMatcher:
        return CatalogMatcher(self.catalog)

    @cached_property
    def urgency(self) -> UrgencyRules:
        return UrgencyRules.load(settings.urgency_file())

    @cached_property
    def locator(self) -> Locator:
        return Locator(load_gazetteer(settings.gazetteer_file()))

    @cached_property
    def embedder(self):  # noqa: ANN201
        from clue_pipeline.embedding import load_embedder

        return load_embedder(self.config.embedder, where=f"{settings.processing_file()}: embedder")

    @cached_property
    def classifier(self) -> Any | None:
        """The trained model under var/models, or None: then the catalogue alone decides."""
        path = settings.resolve_path(self.config.relevance.model)
        if not (path / "metadata.json").exists():
            log.info("no trained classifier at %s: classifying from the catalogue alone", path)
            return None
        from clue_pipeline.classify.model import ClassifierModel

        return ClassifierModel.load(path)

    def check_files(self) -> None:
        """Load the catalogue, the urgency rules, the gazetteer and the trained classifier
        now, so that a missing or broken one is said (``ConfigError`` / ``ClueError``, one
        line) before any work: not after the embedder was trained or the index rebuilt."""
        self.matcher  # noqa: B018 - loads and validates the catalogue
        self.urgency  # noqa: B018
        self.locator  # noqa: B018
        self.classifier  # noqa: B018

    def item(self, code: str | None) -> Item | None:
        if not code:
            return None
        try:
            return self.catalog.item(code)
        except KeyError:
            return None

    def judge(self, texts: Sequence[str]) -> list[Judgement]:
        """Relevance, category, item, department and urgency of each text."""
        if self.classifier is not None:
            return self._judge_with_model(texts)
        return [self._judge_from_catalogue(text) for text in texts]

    def _judge_with_model(self, texts: Sequence[str]) -> list[Judgement]:
        judgements = []
        for text, prediction in zip(texts, self.classifier.predict(list(texts)), strict=True):
            judgement = Judgement(
                relevant=prediction.relevant,
                relevance_score=float(prediction.relevance_score),
                relevance_reason=(
                    f"model: public-service score {prediction.relevance_score:.2f}"
                    if prediction.relevant
                    else f"model: noise (public-service score {prediction.relevance_score:.2f})"
                ),
                category=prediction.category,
                category_confidence=float(prediction.confidence),
                category_terms=list(prediction.terms),
            )
            if prediction.category and self.catalog_has(prediction.category):
                self._fill_item(judgement, text, prediction.category)
            else:
                self._fill_item(judgement, text, None)
            judgements.append(_urgent_is_never_noise(judgement))
        return judgements

    def catalog_has(self, category: str) -> bool:
        try:
            self.catalog.category(category)
        except KeyError:
            return False
        return True

    def _judge_from_catalogue(self, text: str) -> Judgement:
        matches = self.matcher.match(text, top_k=1)
        best = matches[0] if matches else None
        score = best.score if best else 0.0
        relevant = score >= self.config.relevance.catalogue_min_score
        reason = (
            f"catalogue: matched {', '.join(best.matched_terms[:5])} (score {score:.2f})"
            if best and best.matched_terms
            else "catalogue: no matter of the catalogue is mentioned"
        )
        judgement = Judgement(
            relevant=relevant,
            relevance_score=score,
            relevance_reason=reason,
            category=best.category if best else None,
            category_confidence=min(1.0, score / 10.0) if best else None,
            category_terms=list(best.matched_terms) if best else [],
        )
        self._fill_item(judgement, text, judgement.category, best)
        return _urgent_is_never_noise(judgement)

    def _fill_item(self, judgement: Judgement, text: str, category: str | None, match=None) -> None:  # noqa: ANN001
        if match is None:
            if category is not None:
                match = self.matcher.match_within(text, category)
            else:
                found = self.matcher.match(text, top_k=1)
                match = found[0] if found else None
        hint = None
        if match is not None:
            judgement.item_code = match.code
            judgement.item_name = match.item.name
            judgement.department = match.department
            judgement.item_terms = list(match.matched_terms)
            hint = match.item.urgency
        urgency = self.urgency.assess(text, hint=hint)
        judgement.urgent = urgency.urgent
        judgement.urgency_reasons = list(urgency.reasons)
        judgement.urgency_terms = list(urgency.matched)


def _urgent_is_never_noise(judgement: Judgement) -> Judgement:
    """A post that reads as a safety hazard or a basic-living emergency (the urgency rules)
    reaches the queue even when the relevance filter called it noise: a missed emergency
    costs far more than a noisy post. The filter's own verdict stays in the reason."""
    if judgement.relevant or not judgement.urgent:
        return judgement
    judgement.relevant = True
    judgement.relevance_reason = (
        f"urgency: {', '.join(judgement.urgency_reasons)} overrides the filter "
        f"({judgement.relevance_reason})"
    )
    return judgement
