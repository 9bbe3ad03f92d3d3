"""``clues supervise``, the hourly job (跟踪督办): hands expired claims back
to the queue, reopens orders whose problem was posted about again after they
were resolved (recurrence), marks missed dispatch and handling deadlines and
raises overdue orders up the escalation steps. Idempotent: a second run at
the same moment changes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import OrderRecurrence, WorkOrder
from verification import order_states, recurrence
from verification.audit import SYSTEM_ACTOR
from verification.claims import expire_claims
from verification.config import WorkflowConfig, load_workflow_config
from verification.escalation import level_for, step
from verification.inputs import moment
from verification.order_states import OPEN
from verification.orders import add_note, reopen
from verification.recurrence import NewPost
from verification.sla import overdue
from verification.transactions import lock_order, serialise_writes, transaction


@dataclass(frozen=True)
class Escalation:
    order_id: int
    level: int
    to: str
    reason: str


@dataclass(frozen=True)
class Recurred:
    order_id: int
    clue_id: int
    posts: list[NewPost]


@dataclass
class SupervisionReport:
    now: datetime
    orders_checked: int = 0
    claims_expired: list[int] = field(default_factory=list)
    dispatch_overdue: list[int] = field(default_factory=list)
    handle_overdue: list[int] = field(default_factory=list)
    escalated: list[Escalation] = field(default_factory=list)
    recurred: list[Recurred] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return (
            len(self.claims_expired)
            + len(self.dispatch_overdue)
            + len(self.handle_overdue)
            + len(self.escalated)
            + len(self.recurred)
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["now"] = self.now.isoformat()
        for item in data["recurred"]:
            for post in item["posts"]:
                post["published_at"] = (
                    post["published_at"].isoformat() if post["published_at"] else None
                )
        data["changes"] = self.changes
        return data


def supervise(
    engine: Engine | Session,
    *,
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> SupervisionReport:
    """One supervision run over the whole database, in one transaction."""
    if isinstance(engine, Session):
        return supervise_session(engine, now=now, config=config)
    with transaction(engine) as session:
        return supervise_session(session, now=now, config=config)


def supervise_session(
    session: Session, *, now: datetime | None = None, config: WorkflowConfig | None = None
) -> SupervisionReport:
    now, config = moment(now), config or load_workflow_config()
    serialise_writes(session)
    report = SupervisionReport(now=now)
    report.claims_expired = expire_claims(session, now, SYSTEM_ACTOR)
    _recurrences(session, now, config, report)
    _deadlines(session, now, config, report)
    session.flush()
    return report


def _recurrences(
    session: Session, now: datetime, config: WorkflowConfig, report: SupervisionReport
) -> None:
    for candidate in recurrence.candidates(session, now, config):
        posts = recurrence.new_posts(session, candidate)
        if not posts:
            continue
        order = lock_order(session, candidate.id)
        if order.state not in order_states.DONE:
            continue
        episode = order.recurrence_count + 1
        ids = [p.post_id for p in posts]
        details = {"posts": ids, "episode": episode, "was": order.state}
        shown = ", ".join(str(i) for i in ids)
        reopen(
            session,
            order.id,
            by=SYSTEM_ACTOR,
            reason=f"recurred: {len(ids)} new post(s) after it was resolved ({shown})",
            now=now,
            config=config,
            action="recur",
            details=details,
        )
        order.recurrence_count = episode
        for post in posts:
            session.add(
                OrderRecurrence(
                    order_id=order.id, post_id=post.post_id, episode=episode, detected_at=now
                )
            )
        report.recurred.append(Recurred(order.id, order.clue_id, posts))
    session.flush()


def _deadlines(
    session: Session, now: datetime, config: WorkflowConfig, report: SupervisionReport
) -> None:
    open_ids = list(
        session.scalars(
            select(WorkOrder.id).where(WorkOrder.state.in_(OPEN)).order_by(WorkOrder.id)
        )
    )
    report.orders_checked = len(open_ids)
    for order_id in open_ids:
        order = session.get(WorkOrder, order_id)
        missed = overdue(order, now) if order is not None else None
        if missed is None:
            continue
        order = lock_order(session, order_id)
        missed = overdue(order, now)
        if missed is None:
            continue
        reason = missed.describe()
        if missed.kind == "dispatch" and order.dispatch_overdue_at is None:
            order_states.advance(
                session, order, "dispatch_overdue", by=SYSTEM_ACTOR, now=now, note=reason
            )
            order.dispatch_overdue_at = now
            order.dispatch_late = True
            add_note(session, order, "overdue", reason, by=SYSTEM_ACTOR, now=now)
            report.dispatch_overdue.append(order.id)
        if missed.kind == "handle" and order.handle_overdue_at is None:
            order_states.advance(
                session, order, "handle_overdue", by=SYSTEM_ACTOR, now=now, note=reason
            )
            order.handle_overdue_at = now
            order.handle_late = True
            add_note(session, order, "overdue", reason, by=SYSTEM_ACTOR, now=now)
            report.handle_overdue.append(order.id)
        level = level_for(missed.minutes, config)
        if level > order.escalation_level:
            target = step(level, config)
            to = target.to if target else f"level {level}"
            why = f"{reason}: raised to {to} (level {level})"
            order_states.advance(
                session,
                order,
                "escalate",
                by=SYSTEM_ACTOR,
                now=now,
                note=why,
                details={"level": level, "to": to, "from_level": order.escalation_level},
            )
            order.escalation_level = level
            order.escalated_at = now
            order.escalation_reason = why
            add_note(
                session,
                order,
                "escalation",
                why,
                by=SYSTEM_ACTOR,
                now=now,
                details={"level": level, "to": to},
            )
            report.escalated.append(Escalation(order.id, level, to, why))
    session.flush()
