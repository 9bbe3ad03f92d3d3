"""``config/processing.yaml``: validated when loaded, one clear line when wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clue_pipeline import settings
from clue_pipeline.settings_file import read_yaml, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupingConfig(_Strict):
    auto_merge: float = Field(0.24, gt=0, le=1.5)
    suggest: float = Field(0.16, gt=0, le=1.5)
    neighbours: int = Field(10, ge=1, le=200)
    window_days: int = Field(
        30, ge=1, description="open clues last posted within this many days before a post"
    )
    recurrence_days: int = Field(
        90, ge=0, description="clues closed within this many days before a post"
    )
    same_landmark: float = 0.03
    same_community: float = 0.03
    same_road: float = 0.02
    same_street: float = 0.02
    same_district: float = 0.0
    same_region: float = 0.0
    other_landmark: float = -0.1
    other_community: float = -0.2
    other_road: float = -0.2
    other_street: float = -0.3
    other_district: float = -0.3
    #: two other cities or counties named outside the gazetteer ("K6县", "K7县"): a smaller
    #: step than two districts of the gazetteer, whose names are known for certain
    other_region: float = -0.1
    #: a neighbour by the post's own author (one account of one platform): a follow-up
    same_author: float = 0.05

    @model_validator(mode="after")
    def _ordered(self) -> GroupingConfig:
        if self.suggest > self.auto_merge:
            raise ValueError("suggest must not be above auto_merge")
        return self


class IndexConfig(_Strict):
    approximate_above: int = Field(200_000, ge=1)
    hnsw_m: int = Field(32, ge=4, le=128)
    ef_construction: int = Field(80, ge=8)
    ef_search: int = Field(256, ge=8)


class UnseenCategoryConfig(_Strict):
    """When the catalogue, not the trained model, names a post's category: the model knows
    only the categories it was trained on (a board's 7 where the catalogue has 15), so a post
    about a matter of another category (a household registration, a bank, minimum living
    allowance) would be forced into one of them and routed to the wrong department."""

    min_score: float = Field(8.0, ge=0, description="keyword score of the catalogue's item")
    ratio: float = Field(3.0, ge=1, description="times the best item in the model's category")
    below_confidence: float = Field(
        0.9, gt=0, le=1, description="only when the model's own confidence is under this"
    )


class RelevanceConfig(_Strict):
    model: str = "var/models/classifier"
    catalogue_min_score: float = Field(3.0, ge=0, description="without a model: keyword score")
    unseen_category: UnseenCategoryConfig | None = UnseenCategoryConfig()


class PriorityConfig(_Strict):
    urgent: float = 50.0
    posts: float = 10.0
    platforms: float = 6.0
    authors: float = 3.0
    engagement: float = 4.0
    recency: float = 20.0
    recency_half_life_hours: float = Field(48.0, gt=0)


class ProcessingConfig(_Strict):
    embedder: dict[str, Any] | str = {"kind": "char_ngram", "path": "var/models/char_ngram"}
    grouping: GroupingConfig = GroupingConfig()
    index: IndexConfig = IndexConfig()
    relevance: RelevanceConfig = RelevanceConfig()
    priority: PriorityConfig = PriorityConfig()
    batch_size: int = Field(2048, ge=1, le=100_000)


def parse_processing_config(data: Any, source: str) -> ProcessingConfig:
    return validate(ProcessingConfig, data, source, "config/processing.yaml")


def load_processing_config(path: Path | None = None) -> ProcessingConfig:
    """The processing settings; defaults when the file does not exist."""
    path = path or settings.processing_file()
    if not path.exists():
        return ProcessingConfig()
    data = read_yaml(path)
    return parse_processing_config(data, str(path))
