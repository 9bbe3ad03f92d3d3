"""Claims: one analyst works a clue at a time, for a lease that every action
of the holder renews. An expired claim may be taken over by anyone, and
``clues supervise`` hands expired claims back to the queue.

``claim_next`` takes the first clue of the queue (urgent first, then by
priority) that nobody holds; on PostgreSQL with ``FOR UPDATE SKIP LOCKED``,
so twenty analysts asking at once get twenty different clues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue, ClueClaim
from verification import clue_states
from verification.clue_states import CLAIMED, PENDING, VERIFIED
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import ClaimConflict, TransitionForbidden
from verification.inputs import actor, moment
from verification.timefmt import local
from verification.transactions import lock_clue, serialise_writes


@dataclass(frozen=True)
class ClaimResult:
    clue: Clue
    claim: ClueClaim
    taken_over_from: str | None = None


def live_claim(session: Session, clue_id: int) -> ClueClaim | None:
    """The unreleased claim on a clue (it may have expired), or None."""
    return session.scalars(
        select(ClueClaim).where(ClueClaim.clue_id == clue_id, ClueClaim.released_at.is_(None))
    ).first()


def held_by_other(claim: ClueClaim | None, by: str, now: datetime) -> bool:
    return claim is not None and claim.analyst != by and claim.expires_at > now


def end_claim(claim: ClueClaim, reason: str, now: datetime) -> None:
    claim.released_at = now
    claim.release_reason = reason


def _conflict(clue: Clue, claim: ClueClaim, config: WorkflowConfig) -> ClaimConflict:
    return ClaimConflict(
        f"clue {clue.id} is claimed by {claim.analyst} until {local(claim.expires_at, config)}; "
        f"hint: wait for the lease to end or ask {claim.analyst} to release it"
    )


def require_free(
    session: Session, clue: Clue, by: str, now: datetime, config: WorkflowConfig
) -> ClueClaim | None:
    """Raise when another analyst holds a live claim; the actor's own claim
    (renewed) or None otherwise."""
    claim = live_claim(session, clue.id)
    if held_by_other(claim, by, now):
        raise _conflict(clue, claim, config)
    if claim is not None and claim.analyst == by:
        claim.expires_at = now + timedelta(minutes=config.claims.lease_minutes)
        return claim
    return None


def require_holder(
    session: Session, clue: Clue, by: str, now: datetime, config: WorkflowConfig, action: str
) -> ClueClaim:
    """The actor's claim on the clue (renewed); else one clear error."""
    clue_states.require(clue, action)
    claim = live_claim(session, clue.id)
    if claim is None:
        raise ClaimConflict(
            f"cannot {action} clue {clue.id}: {by} holds no claim on it; "
            f"hint: claim it first: clues clue claim {clue.id}"
        )
    if claim.analyst != by:
        if claim.expires_at > now:
            raise _conflict(clue, claim, config)
        raise ClaimConflict(
            f"cannot {action} clue {clue.id}: the claim of {claim.analyst} has expired and "
            f"{by} holds none; hint: claim it first: clues clue claim {clue.id}"
        )
    claim.expires_at = now + timedelta(minutes=config.claims.lease_minutes)
    return claim


def _expire(session: Session, clue: Clue, claim: ClueClaim, by: str, now: datetime) -> None:
    end_claim(claim, "expired", now)
    clue_states.advance(
        session,
        clue,
        "expire",
        by=by,
        now=now,
        note=f"the lease of {claim.analyst} ended at {claim.expires_at.isoformat()}",
        details={"analyst": claim.analyst, "expires_at": claim.expires_at.isoformat()},
    )
    session.flush()


def _take(
    session: Session, clue: Clue, by: str, now: datetime, config: WorkflowConfig
) -> ClaimResult:
    existing = live_claim(session, clue.id)
    taken_over = None
    if existing is not None:
        if existing.analyst == by:
            existing.expires_at = now + timedelta(minutes=config.claims.lease_minutes)
            clue_states.advance(session, clue, "renew", by=by, now=now)
            return ClaimResult(clue, existing)
        if existing.expires_at > now:
            raise _conflict(clue, existing, config)
        taken_over = existing.analyst
        _expire(session, clue, existing, by, now)
    clue_states.require(clue, "claim")
    claim = ClueClaim(
        clue_id=clue.id,
        analyst=by,
        claimed_at=now,
        expires_at=now + timedelta(minutes=config.claims.lease_minutes),
    )
    session.add(claim)
    clue_states.advance(
        session,
        clue,
        "claim",
        by=by,
        now=now,
        details={"expires_at": claim.expires_at.isoformat(), "taken_over_from": taken_over},
    )
    session.flush()
    return ClaimResult(clue, claim, taken_over)


def claim(
    session: Session,
    clue_id: int,
    *,
    by: str,
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> ClaimResult:
    """Claim a pending (or verified) clue for ``by``; renew the actor's own
    claim; take over one whose lease has ended."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    clue = lock_clue(session, clue_id)
    if clue.state not in (PENDING, CLAIMED, VERIFIED):
        clue_states.require(clue, "claim")
    return _take(session, clue, by, now, config)


MAX_CANDIDATES = 64


def _free_for(session: Session, clue: Clue, by: str, now: datetime) -> bool:
    """Whether ``by`` may claim the (locked, freshly read) clue now."""
    if clue.merged_into_id is not None or clue.state not in (PENDING, CLAIMED, VERIFIED):
        return False
    claim_row = live_claim(session, clue.id)
    if clue.state == PENDING:
        return claim_row is None
    if claim_row is None:
        return clue.state == VERIFIED
    return claim_row.analyst == by or claim_row.expires_at <= now


def claim_next(
    session: Session,
    *,
    by: str,
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
    category: str | None = None,
    district: str | None = None,
    urgent: bool = False,
) -> ClaimResult | None:
    """Claim the first clue of the queue that nobody holds (pending, or
    claimed or verified with an ended lease); None when the queue is empty.

    Skips clues other transactions hold locked. A row that changed between
    the query's snapshot and its lock is re-checked as it is now (PostgreSQL
    re-evaluates a locked row against the old state of the joined claims),
    and passed over when someone took it meanwhile."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    serialise_writes(session)
    free = or_(
        Clue.state == PENDING,
        and_(Clue.state == CLAIMED, ClueClaim.expires_at <= now),
        # verified but left unfiled: the claim ended or its lease ran out
        and_(Clue.state == VERIFIED, or_(ClueClaim.id.is_(None), ClueClaim.expires_at <= now)),
    )
    query = (
        select(Clue)
        .outerjoin(ClueClaim, and_(ClueClaim.clue_id == Clue.id, ClueClaim.released_at.is_(None)))
        .where(Clue.merged_into_id.is_(None), free)
    )
    if category:
        query = query.where(Clue.category == category)
    if district:
        query = query.where(Clue.district == district)
    if urgent:
        query = query.where(Clue.urgent.is_(True))
    passed: list[int] = []
    for _ in range(MAX_CANDIDATES):
        candidates = query.where(Clue.id.not_in(passed)) if passed else query
        clue = session.scalars(
            candidates.order_by(Clue.urgent.desc(), Clue.priority.desc(), Clue.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=Clue, key_share=True)
            .execution_options(populate_existing=True)
        ).first()
        if clue is None:
            return None
        if _free_for(session, clue, by, now):
            return _take(session, clue, by, now, config)
        passed.append(clue.id)
    return None


def release(
    session: Session,
    clue_id: int,
    *,
    by: str,
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
    note: str = "",
) -> Clue:
    """Give the clue back: a claimed clue returns to the queue."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    clue = lock_clue(session, clue_id)
    if clue.state not in (CLAIMED, VERIFIED):
        raise TransitionForbidden(
            f"cannot release clue {clue.id}: it is {clue.state}; hint: nobody holds it"
        )
    held = require_holder(session, clue, by, now, config, "release")
    end_claim(held, "released", now)
    clue_states.advance(session, clue, "release", by=by, now=now, note=note)
    session.flush()
    return clue


def expire_claims(session: Session, now: datetime, by: str) -> list[int]:
    """End every claim whose lease has passed; claimed clues go back to the
    queue. Returns the clue ids."""
    serialise_writes(session)
    expired = list(
        session.scalars(
            select(ClueClaim.clue_id).where(
                ClueClaim.released_at.is_(None), ClueClaim.expires_at <= now
            )
        )
    )
    done = []
    for clue_id in expired:
        clue = lock_clue(session, clue_id)
        claim_row = live_claim(session, clue_id)
        if claim_row is None or claim_row.expires_at > now:
            continue  # renewed or released meanwhile
        _expire(session, clue, claim_row, by, now)
        done.append(clue_id)
    return done


def end_claim_of(session: Session, clue: Clue, reason: str, now: datetime) -> None:
    """End whatever claim is on the clue (when it is decided, filed, merged)."""
    existing = live_claim(session, clue.id)
    if existing is not None:
        end_claim(existing, reason, now)
