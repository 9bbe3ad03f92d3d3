"""The clue queue analysts work: urgent first, then by priority, with who
holds each clue and the order it became."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.clues import clue_summaries
from clue_pipeline.storage.models import ClueClaim, WorkOrder
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
    return rows
