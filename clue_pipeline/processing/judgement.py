"""What the judging stages conclude about one post's text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Judgement:
    relevant: bool
    relevance_score: float
    relevance_reason: str
    category: str | None = None
    category_confidence: float | None = None
    category_terms: list[str] = field(default_factory=list)
    category_reason: str | None = None  # set when the catalogue, not the model, decided
    item_code: str | None = None
    item_name: str | None = None
    department: str | None = None
    item_terms: list[str] = field(default_factory=list)
    item_example: str | None = None  # the item's catalogue example nearest the post
    item_example_similarity: float | None = None
    urgent: bool = False
    urgency_reasons: list[str] = field(default_factory=list)
    urgency_terms: list[str] = field(default_factory=list)

    def why(self) -> dict[str, Any]:
        return {
            "relevance": {"score": round(self.relevance_score, 4), "reason": self.relevance_reason},
            "category": {
                "label": self.category,
                "confidence": None
                if self.category_confidence is None
                else round(self.category_confidence, 4),
                "terms": self.category_terms,
                **({"reason": self.category_reason} if self.category_reason else {}),
            },
            "item": {
                "code": self.item_code,
                "name": self.item_name,
                "department": self.department,
                "terms": self.item_terms,
                **(
                    {"example": self.item_example, "similarity": self.item_example_similarity}
                    if self.item_example
                    else {}
                ),
            },
            "urgency": {"urgent": self.urgent, "reasons": self.urgency_reasons},
            "urgency_terms": self.urgency_terms,
        }
