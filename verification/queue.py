"""The clue queue analysts work: urgent first, then by priority, with who
holds each clue and the order it became."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.clues import clue_summaries, summaries_of
from clue_pipeline.storage.models import Clue, ClueClaim, CluePost, Post, WorkOrder
from verification.clue_states import CLAIMED, MERGED, PENDING, STATES, VERIFIED
from verification.errors import InvalidInput
from verification.inputs import moment
from verification.views import iso

WORK_STATES = (PENDING, CLAIMED, VERIFIED)
ALL = "all"


def queue_states(state: str | None) -> tuple[str, ...]:
    """The states a listing shows: the work still to do unless asked."""
    if state is None:
        return WORK_STATES
    if state == ALL:
        return tuple(s for s in STATES if s != MERGED)
    if state not in STATES or state == MERGED:
        known = ", ".join([*(s for s in STATES if s != MERGED), ALL])
        raise InvalidInput(f"unknown clue state {state!r}; expected one of: {known}")
    return (state,)


def list_queue(
    session: Session,
    *,
    state: str | None = None,
    category: str | None = None,
    district: str | None = None,
    urgent: bool = False,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Clues of the queue with their posts, claim and order."""
    now = moment(now)
    rows = clue_summaries(
        session,
        state=queue_states(state),
        category=category,
        district=district,
        urgent=urgent,
        limit=limit,
    )
    _annotate(session, rows, now)
    return rows


def _annotate(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """Who holds each clue, its order and how many suggested duplicates wait."""
    ids = [r["id"] for r in rows]
    claims = {
        c.clue_id: c
        for c in session.scalars(
            select(ClueClaim).where(ClueClaim.clue_id.in_(ids), ClueClaim.released_at.is_(None))
        )
    }
    orders = dict(
        session.execute(
            select(WorkOrder.clue_id, WorkOrder.id).where(WorkOrder.clue_id.in_(ids))
        ).all()
    )
    for row in rows:
        claim = claims.get(row["id"])
        live = claim is not None and claim.expires_at > now
        row["claimed_by"] = claim.analyst if live else None
        row["claim_expires_at"] = iso(claim.expires_at) if live else None
        row["order_id"] = orders.get(row["id"])
        row["suggested"] = sum(1 for p in row["posts"] if p["membership"] == "suggested")


SORTS = {
    "priority": "urgent first, then priority",
    "newest": "the latest post first",
    "posts": "the most reported first",
}


@dataclass(frozen=True)
class QueueFilter:
    """What the queue page and ``GET /api/v1/clues`` filter on. ``since`` and
    ``until`` bound the clue's latest post (``until`` exclusive)."""

    state: str | None = None
    category: str | None = None
    district: str | None = None
    platform: str | None = None
    urgent: bool = False
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "priority"
    query: str | None = None


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    counts: dict[str, int]  # clues per state, under the other filters


def _conditions(flt: QueueFilter) -> list[Any]:
    conditions: list[Any] = [Clue.merged_into_id.is_(None)]
    if flt.category:
        conditions.append(Clue.category == flt.category)
    if flt.district:
        conditions.append(Clue.district == flt.district)
    if flt.urgent:
        conditions.append(Clue.urgent.is_(True))
    if flt.since is not None:
        conditions.append(Clue.last_post_at >= moment(flt.since))
    if flt.until is not None:
        conditions.append(Clue.last_post_at < moment(flt.until))
    if flt.platform:
        conditions.append(
            exists(
                select(CluePost.id)
                .join(Post, Post.id == CluePost.post_id)
                .where(CluePost.clue_id == Clue.id, Post.platform == flt.platform)
            )
        )
    if flt.query:
        words = flt.query.strip()
        if words:
            pattern = (
                "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            conditions.append(Clue.title.ilike(pattern, escape="\\"))
    return conditions


def _order(sort: str) -> list[Any]:
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; expected one of: {', '.join(SORTS)}")
    if sort == "newest":
        return [Clue.last_post_at.desc(), Clue.id.desc()]
    if sort == "posts":
        return [Clue.post_count.desc(), Clue.priority.desc(), Clue.id]
    return [Clue.urgent.desc(), Clue.priority.desc(), Clue.id]


def queue_page(
    session: Session,
    flt: QueueFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue with the total and the counts per state."""
    if limit < 1 or limit > 500:
        raise InvalidInput(f"limit must be 1 to 500, got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more, got {offset}")
    now = moment(now)
    states = queue_states(flt.state)
    conditions = _conditions(flt)
    counts = dict(
        session.execute(
            select(Clue.state, func.count()).where(*conditions).group_by(Clue.state)
        ).all()
    )
    total = sum(counts.get(s, 0) for s in states)
    clues = list(
        session.scalars(
            select(Clue)
            .where(*conditions, Clue.state.in_(states))
            .order_by(*_order(flt.sort))
            .limit(limit)
            .offset(offset)
        )
    )
    rows = summaries_of(session, clues)
    _annotate(session, rows, now)
    return QueuePage(
        rows, total, limit, offset, {s: counts.get(s, 0) for s in STATES if s != MERGED}
    )
