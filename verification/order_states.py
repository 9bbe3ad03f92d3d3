"""The order state machine: every change of an order's state, and every
note, goes through :func:`advance`, which refuses what the table does not
allow and writes the audit row.

    filed ──dispatch──▶ dispatched ──progress──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
    dispatched ──resolve──▶ resolved
    dispatched | in_progress ──return (退单: wrongly routed)──▶ filed
    resolved | closed ──reopen | recur──▶ reopened ──dispatch──▶ dispatched
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clue_pipeline.storage.models import WorkOrder
from verification import audit
from verification.errors import TransitionForbidden

FILED = "filed"
DISPATCHED = "dispatched"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
CLOSED = "closed"
REOPENED = "reopened"
STATES = (FILED, DISPATCHED, IN_PROGRESS, RESOLVED, CLOSED, REOPENED)

AWAITING_DISPATCH = frozenset({FILED, REOPENED})
WITH_DEPARTMENT = frozenset({DISPATCHED, IN_PROGRESS})
DONE = frozenset({RESOLVED, CLOSED})
OPEN = frozenset({FILED, DISPATCHED, IN_PROGRESS, REOPENED})

TRANSITIONS: dict[tuple[str, str], str] = {
    (FILED, "dispatch"): DISPATCHED,
    (REOPENED, "dispatch"): DISPATCHED,
    (DISPATCHED, "progress"): IN_PROGRESS,
    (IN_PROGRESS, "progress"): IN_PROGRESS,
    (DISPATCHED, "resolve"): RESOLVED,
    (IN_PROGRESS, "resolve"): RESOLVED,
    (RESOLVED, "close"): CLOSED,
    (RESOLVED, "reopen"): REOPENED,
    (CLOSED, "reopen"): REOPENED,
    (RESOLVED, "recur"): REOPENED,
    (CLOSED, "recur"): REOPENED,
    (DISPATCHED, "return"): FILED,
    (IN_PROGRESS, "return"): FILED,
    **{(state, "note"): state for state in STATES},
    **{(state, "dispatch_overdue"): state for state in AWAITING_DISPATCH},
    **{(state, "handle_overdue"): state for state in WITH_DEPARTMENT},
    **{(state, "escalate"): state for state in OPEN},
}

_HINTS = {
    "dispatch": "only filed or reopened orders are dispatched",
    "progress": "dispatch it first: clues orders dispatch {id}",
    "resolve": "dispatch it first: clues orders dispatch {id}",
    "close": "resolve it first: clues orders resolve {id} --note TEXT",
    "reopen": "only resolved or closed orders are reopened",
    "return": "only a dispatched order can be sent back by its department",
}


def require(order: WorkOrder, action: str) -> str:
    try:
        return TRANSITIONS[(order.state, action)]
    except KeyError:
        hint = _HINTS.get(action, "see clues orders show {id}").format(id=order.id)
        raise TransitionForbidden(
            f"cannot {action} order {order.id}: it is {order.state}; hint: {hint}"
        ) from None


def advance(
    session: Session,
    order: WorkOrder,
    action: str,
    *,
    by: str,
    now: datetime,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> str:
    """Do ``action`` to the order's state and audit it; returns the new state."""
    before = order.state
    after = require(order, action)
    order.state = after
    order.updated_at = now
    audit.record(
        session,
        clue_id=order.clue_id,
        order_id=order.id,
        action=action,
        from_state=before,
        to_state=after,
        actor=by,
        at=now,
        note=note,
        details=details,
    )
    return after
