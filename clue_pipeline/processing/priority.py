"""Prioritise: urgency, number of posts, distinct authors and platforms,
engagement, recency."""

from __future__ import annotations

import math
from datetime import datetime

from clue_pipeline.processing.config import PriorityConfig


def clue_priority(
    *,
    urgent: bool,
    posts: int,
    authors: int,
    platforms: int,
    engagement: int,
    last_post_at: datetime | None,
    now: datetime,
    weights: PriorityConfig,
) -> float:
    """A score where higher is more pressing; the parts add up."""
    score = weights.urgent if urgent else 0.0
    score += weights.posts * math.log2(1 + max(posts, 0))
    score += weights.platforms * max(platforms - 1, 0)
    score += weights.authors * math.log2(1 + max(authors, 0))
    score += weights.engagement * math.log10(1 + max(engagement, 0))
    if last_post_at is not None:
        hours = max((now - last_post_at).total_seconds() / 3600.0, 0.0)
        score += weights.recency * 0.5 ** (hours / weights.recency_half_life_hours)
    return round(score, 3)
