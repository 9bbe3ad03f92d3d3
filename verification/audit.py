"""The audit trail: one row for every action on a clue or an order: who,
when, from which state to which, the note and the details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import AuditEvent

SYSTEM_ACTOR = "supervise"


def record(
    session: Session,
    *,
    action: str,
    actor: str,
    at: datetime,
    clue_id: int | None = None,
    order_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        clue_id=clue_id,
        order_id=order_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        at=at,
        note=note or "",
        details=details or {},
    )
    session.add(event)
    return event


def history(
    session: Session, *, clue_id: int | None = None, order_id: int | None = None
) -> list[AuditEvent]:
    """Audit rows of a clue or an order, oldest first."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if clue_id is not None:
        query = query.where(AuditEvent.clue_id == clue_id)
    if order_id is not None:
        query = query.where(AuditEvent.order_id == order_id)
    return list(session.scalars(query))
