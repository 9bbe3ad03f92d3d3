"""Deciding a claimed clue: verify it, reject it with a reason, or reopen a
rejected one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue
from verification import clue_states, labels
from verification.claims import end_claim_of, require_free, require_holder
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import InvalidInput
from verification.inputs import actor, moment
from verification.membership import require_no_suggestions
from verification.transactions import lock_clue

REJECT_REASONS = {
    "not_public_service": "not a public-service issue",
    "duplicate": "a duplicate of a matter already known",
    "cannot_verify": "cannot be verified",
    "already_handled": "already being handled",
    "other": "other (see the note)",
}


def verify(
    session: Session,
    clue_id: int,
    *,
    by: str,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> Clue:
    """The holder confirms the clue describes a real public-service problem.
    Its category becomes a training label of its posts."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    clue = lock_clue(session, clue_id)
    require_holder(session, clue, by, now, config, "verify")
    require_no_suggestions(session, clue, "verify")
    clue_states.advance(
        session, clue, "verify", by=by, now=now, note=note, details={"category": clue.category}
    )
    if clue.category:
        labels.label_clue(session, clue.id, clue.category, by=by, now=now, note="verified")
    session.flush()
    return clue


def reject(
    session: Session,
    clue_id: int,
    *,
    by: str,
    reason: str,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> Clue:
    """The holder rejects the clue. ``not_public_service`` labels its posts
    ``noise`` and keeps reprocessing from queueing them again."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    if reason not in REJECT_REASONS:
        known = ", ".join(REJECT_REASONS)
        raise InvalidInput(f"unknown reject reason {reason!r}; expected one of: {known}")
    note = (note or "").strip()
    if reason == "other" and not note:
        raise InvalidInput("reason 'other' needs a note; hint: pass --note TEXT")
    clue = lock_clue(session, clue_id)
    require_holder(session, clue, by, now, config, "reject")
    end_claim_of(session, clue, "rejected", now)
    clue_states.advance(
        session, clue, "reject", by=by, now=now, note=note, details={"reason": reason}
    )
    clue.reject_reason = reason
    clue.reject_note = note
    if reason == "not_public_service":
        labels.label_clue(session, clue.id, labels.NOISE, by=by, now=now, note="rejected")
        labels.mark_relevance(session, clue.id, False)
    session.flush()
    return clue


def reopen(
    session: Session,
    clue_id: int,
    *,
    by: str,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> Clue:
    """A rejected clue goes back to the queue."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    clue = lock_clue(session, clue_id)
    clue_states.require(clue, "reopen")
    require_free(session, clue, by, now, config)
    clue_states.advance(
        session,
        clue,
        "reopen",
        by=by,
        now=now,
        note=note,
        details={"was": clue.reject_reason},
    )
    if clue.reject_reason == "not_public_service":
        labels.mark_relevance(session, clue.id, None)
    clue.reject_reason = None
    clue.reject_note = None
    session.flush()
    return clue
