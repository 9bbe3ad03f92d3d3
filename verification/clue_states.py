"""The clue state machine. Every change of a clue's state, and every other
action on a clue, goes through :func:`advance`, which refuses what the table
does not allow and writes the audit row.

    pending ──claim──▶ claimed ──verify──▶ verified ──file──▶ filed
       ▲                 │  │                 │
       └──release/expire─┘  └──reject──▶ rejected ◀──reject──┘
       └──────────────reopen────────────────┘
    pending | claimed | verified | rejected ──merge──▶ merged
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue
from verification import audit
from verification.errors import TransitionForbidden

PENDING = "pending"
CLAIMED = "claimed"
VERIFIED = "verified"
REJECTED = "rejected"
FILED = "filed"
MERGED = "merged"
STATES = (PENDING, CLAIMED, VERIFIED, REJECTED, FILED, MERGED)

WORKABLE = frozenset({PENDING, CLAIMED, VERIFIED})

# (state, action) -> new state. Actions that keep the state are listed too, so
# that nothing happens to a clue in a state that does not allow it.
TRANSITIONS: dict[tuple[str, str], str] = {
    (PENDING, "claim"): CLAIMED,
    (VERIFIED, "claim"): VERIFIED,
    (CLAIMED, "renew"): CLAIMED,
    (VERIFIED, "renew"): VERIFIED,
    (CLAIMED, "release"): PENDING,
    (VERIFIED, "release"): VERIFIED,
    (CLAIMED, "expire"): PENDING,
    (VERIFIED, "expire"): VERIFIED,
    (CLAIMED, "verify"): VERIFIED,
    (CLAIMED, "reject"): REJECTED,
    (VERIFIED, "reject"): REJECTED,
    (VERIFIED, "file"): FILED,
    (REJECTED, "reopen"): PENDING,
    **{(state, "merge"): MERGED for state in (PENDING, CLAIMED, VERIFIED, REJECTED)},
    **{(state, "absorb"): state for state in (PENDING, CLAIMED, VERIFIED, FILED)},
    **{(state, "edit"): state for state in WORKABLE},
    **{(state, "confirm"): state for state in (*WORKABLE, FILED)},
    **{(state, "split"): state for state in (*WORKABLE, FILED, REJECTED)},
}

# (state, action) -> what to do instead, for the error's hint.
_HINTS: dict[tuple[str, str], str] = {
    (PENDING, "verify"): "claim it first: clues clue claim {id}",
    (PENDING, "reject"): "claim it first: clues clue claim {id}",
    (PENDING, "file"): "claim and verify it first: clues clue claim {id}",
    (CLAIMED, "file"): "verify it first: clues clue verify {id}",
    (PENDING, "release"): "nobody holds it",
}


def _hint(clue: Clue, action: str) -> str:
    hint = _HINTS.get((clue.state, action))
    if hint is None and clue.state == REJECTED:
        hint = "reopen it first: clues clue reopen {id}"
    if hint is None and clue.state == MERGED:
        hint = f"it was merged into clue {clue.merged_into_id}; work on that one"
    if hint is None and clue.state == FILED:
        hint = "it has been filed as an order; see clues clue show {id}"
    if hint is None and clue.state == VERIFIED and action == "verify":
        hint = "it is verified already; file it: clues clue file {id}"
    return (hint or "see clues clue show {id}").format(id=clue.id)


def allowed(state: str, action: str) -> bool:
    return (state, action) in TRANSITIONS


def require(clue: Clue, action: str) -> str:
    """The state ``action`` leads to from the clue's state; else the error."""
    try:
        return TRANSITIONS[(clue.state, action)]
    except KeyError:
        raise TransitionForbidden(
            f"cannot {action} clue {clue.id}: it is {clue.state}; hint: {_hint(clue, action)}"
        ) from None


def advance(
    session: Session,
    clue: Clue,
    action: str,
    *,
    by: str,
    now: datetime,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> str:
    """Do ``action`` to the clue's state and audit it; returns the new state."""
    before = clue.state
    after = require(clue, action)
    clue.state = after
    clue.updated_at = now
    audit.record(
        session,
        clue_id=clue.id,
        action=action,
        from_state=before,
        to_state=after,
        actor=by,
        at=now,
        note=note,
        details=details,
    )
    return after


def created(
    session: Session,
    clue: Clue,
    action: str,
    *,
    by: str,
    now: datetime,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Audit a clue an analyst's action created (split): None -> pending."""
    audit.record(
        session,
        clue_id=clue.id,
        action=action,
        from_state=None,
        to_state=clue.state,
        actor=by,
        at=now,
        note=note,
        details=details,
    )
