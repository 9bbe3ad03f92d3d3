"""Recurrence: a problem posted about again after its order was resolved or
closed (a problem "closed on paper" is not resolved). Processing attaches the
new posts to the order's clue (the clue's ``closed_at`` keeps it eligible);
supervision finds them here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import CluePost, OrderRecurrence, Post, WorkOrder
from verification.config import WorkflowConfig
from verification.order_states import DONE


@dataclass(frozen=True)
class NewPost:
    post_id: int
    platform: str
    url: str
    published_at: datetime | None
    membership: str
    text: str


def done_at(order: WorkOrder) -> datetime | None:
    """When the order was last declared solved (resolved, else closed)."""
    return order.resolved_at or order.closed_at


def last_done(order: WorkOrder) -> datetime | None:
    """The later of its resolution and its closing: the window counts from it."""
    times = [t for t in (order.resolved_at, order.closed_at) if t is not None]
    return max(times) if times else None


def new_posts(session: Session, order: WorkOrder) -> list[NewPost]:
    """Posts of the order's clue published after its resolution and not yet
    counted as a recurrence of it."""
    since = done_at(order)
    if since is None:
        return []
    seen = select(OrderRecurrence.post_id).where(OrderRecurrence.order_id == order.id)
    posted = func.coalesce(Post.published_at, Post.first_seen_at)
    rows = session.execute(
        select(Post, CluePost.membership)
        .join(CluePost, CluePost.post_id == Post.id)
        .where(CluePost.clue_id == order.clue_id, posted > since, Post.id.not_in(seen))
        .order_by(posted, Post.id)
    )
    return [
        NewPost(
            post.id,
            post.platform,
            post.url,
            post.published_at,
            membership,
            (post.title + " — " if post.title else "") + (post.text or ""),
        )
        for post, membership in rows
    ]


def candidates(session: Session, now: datetime, config: WorkflowConfig) -> list[WorkOrder]:
    """Resolved or closed orders inside the recurrence window."""
    since = now - timedelta(days=config.recurrence.window_days)
    orders = session.scalars(
        select(WorkOrder).where(WorkOrder.state.in_(DONE)).order_by(WorkOrder.id)
    )
    return [o for o in orders if (last_done(o) or since) >= since]
