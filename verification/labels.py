"""Analysts' decisions as training labels (``clues train --from-decisions``):
the category a verified or corrected clue has, or ``noise`` for a clue
rejected as no public-service issue. One row per post; the latest wins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import AnalystLabel, CluePost, PostAnalysis

NOISE = "noise"


def clue_post_ids(session: Session, clue_id: int, *, include_suggested: bool = False) -> list[int]:
    query = select(CluePost.post_id).where(CluePost.clue_id == clue_id)
    if not include_suggested:
        query = query.where(CluePost.membership != "suggested")
    return list(session.scalars(query.order_by(CluePost.id)))


def label_clue(
    session: Session, clue_id: int, label: str, *, by: str, now: datetime, note: str = ""
) -> int:
    """Label every post of the clue (not the unconfirmed suggestions)."""
    post_ids = clue_post_ids(session, clue_id)
    for post_id in post_ids:
        session.add(AnalystLabel(post_id=post_id, label=label, by=by, note=note, created_at=now))
    return len(post_ids)


def mark_relevance(session: Session, clue_id: int, relevant: bool | None) -> None:
    """Overturn (True/False) or restore (None) the relevance filter's verdict
    on the clue's posts, so that reprocessing keeps the analyst's decision."""
    post_ids = clue_post_ids(session, clue_id)
    for analysis in session.scalars(select(PostAnalysis).where(PostAnalysis.post_id.in_(post_ids))):
        analysis.relevance_override = relevant
