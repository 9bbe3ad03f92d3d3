"""Everything processing needs loaded once: the embedder, the classifier (when
one was trained), the catalogue and its matcher, urgency rules, the gazetteer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from clue_pipeline import settings
from clue_pipeline.catalog import CatalogMatcher, Item, ItemMatch, UrgencyRules, load_catalog
from clue_pipeline.catalog.matcher import ExampleRow
from clue_pipeline.locate import Locator, load_gazetteer
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.judgement import Judgement

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clue_pipeline.classify.model import Prediction

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

    def learn_routed_examples(self, session: Session) -> int:
        """Take the posts analysts routed by hand as examples of their items (see
        ``routed_examples``) for the judging that follows; how many there are."""
        from clue_pipeline.processing.routed_examples import routed_examples

        routed = routed_examples(session)
        if routed != self.__dict__.get("_routed", {}):
            self.__dict__["matcher"] = self.matcher.with_routed_examples(routed)
            self.__dict__["_routed"] = routed
        return sum(len(texts) for texts in routed.values())

    def item(self, code: str | None) -> Item | None:
        if not code:
            return None
        try:
            return self.catalog.item(code)
        except KeyError:
            return None

    def judge(self, texts: Sequence[str]) -> list[Judgement]:
        """Relevance, category, item, department and urgency of each text."""
        rows = self.matcher.example_similarities(texts)
        examples = list(rows) if rows is not None else [None] * len(texts)
        if self.classifier is not None:
            return self._judge_with_model(texts, examples)
        return [
            self._judge_from_catalogue(text, row) for text, row in zip(texts, examples, strict=True)
        ]

    def _judge_with_model(
        self, texts: Sequence[str], examples: list[ExampleRow | None]
    ) -> list[Judgement]:
        judgements = []
        predictions = self.classifier.predict(list(texts))
        for text, prediction, row in zip(texts, predictions, examples, strict=True):
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
                found = self.matcher.find_terms(text)
                inside = self.matcher.match_within(text, prediction.category, found, row)
                unseen = self._unseen_category(text, prediction, inside, found, row)
                if unseen is not None:
                    _take_unseen_category(judgement, unseen, prediction)
                self._fill_item(judgement, text, judgement.category, unseen or inside)
            else:
                self._fill_item(judgement, text, None, examples=row)
            judgements.append(_urgent_is_never_noise(judgement))
        return judgements

    @cached_property
    def _trained_categories(self) -> frozenset[str]:
        return frozenset(self.classifier.labels) if self.classifier is not None else frozenset()

    def _unseen_category(
        self,
        text: str,
        prediction: Prediction,
        inside: ItemMatch,
        found: dict[str, int],
        examples: ExampleRow | None,
    ) -> ItemMatch | None:
        """The catalogue's item when it names a category the model was never trained on, and
        names it far more strongly than anything in the model's category, and the model is
        not sure (``relevance.unseen_category``); else None: the model's category stands."""
        rule = self.config.relevance.unseen_category
        if rule is None or not prediction.relevant:
            return None
        if prediction.confidence >= rule.below_confidence:
            return None
        best = self.matcher.match(text, top_k=1, found=found, examples=examples)
        if not best or best[0].category in self._trained_categories:
            return None
        score = best[0].score
        if score < rule.min_score or score < rule.ratio * inside.score:
            return None
        return best[0]

    def catalog_has(self, category: str) -> bool:
        try:
            self.catalog.category(category)
        except KeyError:
            return False
        return True

    def _judge_from_catalogue(self, text: str, examples: ExampleRow | None) -> Judgement:
        matches = self.matcher.match(text, top_k=1, examples=examples)
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

    def _fill_item(
        self,
        judgement: Judgement,
        text: str,
        category: str | None,
        match: ItemMatch | None = None,
        examples: ExampleRow | None = None,
    ) -> None:
        if match is None:
            if category is not None:
                match = self.matcher.match_within(text, category, examples=examples)
            else:
                found = self.matcher.match(text, top_k=1, examples=examples)
                match = found[0] if found else None
        hint = None
        if match is not None:
            judgement.item_code = match.code
            judgement.item_name = match.item.name
            judgement.department = match.department
            judgement.item_terms = list(match.matched_terms)
            judgement.item_example = match.example
            judgement.item_example_similarity = match.example_similarity
            hint = match.item.urgency
        urgency = self.urgency.assess(text, hint=hint)
        judgement.urgent = urgency.urgent
        judgement.urgency_reasons = list(urgency.reasons)
        judgement.urgency_terms = list(urgency.matched)


def _take_unseen_category(judgement: Judgement, match: ItemMatch, prediction: Prediction) -> None:
    judgement.category = match.category
    judgement.category_confidence = min(1.0, match.score / 10.0)
    judgement.category_terms = list(match.matched_terms)
    judgement.category_reason = (
        f"catalogue: {', '.join(match.matched_terms[:5])} point at {match.category} · "
        f"{match.item.name} (score {match.score:.1f}), a category the model was not trained "
        f"on; the model said {prediction.category} ({prediction.confidence:.2f})"
    )


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
