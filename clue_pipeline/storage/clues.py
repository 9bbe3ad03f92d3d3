"""The clue queue as plain rows: clues with their posts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue, CluePost, Post


def clue_summaries(
    session: Session,
    *,
    state: str | Sequence[str] | None = None,
    category: str | None = None,
    district: str | None = None,
    urgent: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Clues of the queue (never merged ones), urgent first then by priority,
    with their posts. ``state``: one state or several."""
    query = select(Clue).where(Clue.merged_into_id.is_(None))
    if isinstance(state, str):
        query = query.where(Clue.state == state)
    elif state:
        query = query.where(Clue.state.in_(list(state)))
    if category:
        query = query.where(Clue.category == category)
    if district:
        query = query.where(Clue.district == district)
    if urgent:
        query = query.where(Clue.urgent.is_(True))
    query = query.order_by(Clue.urgent.desc(), Clue.priority.desc(), Clue.id)
    if limit:
        query = query.limit(limit)
    return summaries_of(session, list(session.scalars(query)))


def summaries_of(session: Session, clues: Sequence[Clue]) -> list[dict[str, Any]]:
    """The queue rows of these clues, in their order, with their posts."""
    posts: dict[int, list[dict[str, Any]]] = {c.id: [] for c in clues}
    if clues:
        rows = session.execute(
            select(CluePost, Post)
            .join(Post, Post.id == CluePost.post_id)
            .where(CluePost.clue_id.in_(list(posts)))
            .order_by(CluePost.id)
        )
        for member, post in rows:
            posts[member.clue_id].append(
                {
                    "post_id": post.id,
                    "platform": post.platform,
                    "external_id": post.external_id,
                    "url": post.url,
                    "membership": member.membership,
                    "similarity": member.similarity,
                }
            )
    return [
        {
            "id": c.id,
            "state": c.state,
            "title": c.title,
            "category": c.category,
            "item": c.item_name,
            "item_code": c.item_code,
            "department": c.department,
            "urgency": "urgent" if c.urgent else "normal",
            "urgent": c.urgent,
            "dispatch_tier": c.dispatch_tier,
            "priority": c.priority,
            "district": c.district,
            "street": c.street,
            "road": c.road,
            "region": c.region,
            "post_count": c.post_count,
            "platform_count": c.platform_count,
            "first_post_at": c.first_post_at.isoformat() if c.first_post_at else None,
            "last_post_at": c.last_post_at.isoformat() if c.last_post_at else None,
            "why": c.why,
            "posts": posts[c.id],
        }
        for c in clues
    ]
