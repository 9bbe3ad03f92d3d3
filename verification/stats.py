"""``clues stats``: how the loop performs. Clues found, the share verified,
orders filed, the time from a problem's first post to its order, SLA
compliance for dispatch and handling, first-dispatch success (orders never
sent back by a department), recurrences and return-visit satisfaction."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue, ReturnVisit, WorkOrder
from verification.clue_states import FILED, MERGED, REJECTED, VERIFIED
from verification.inputs import moment
from verification.order_states import AWAITING_DISPATCH, OPEN, WITH_DEPARTMENT
from verification.sla import overdue
from verification.transactions import session_of


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole``; ``rate`` is None when there is nothing to count."""

    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "whole": self.whole, "rate": self.rate}

    def __str__(self) -> str:
        if not self.whole:
            return "-"
        return f"{self.rate:.1%} ({self.part}/{self.whole})"


@dataclass(frozen=True)
class WorkflowStats:
    since: datetime | None
    until: datetime
    clues_found: int
    clues_pending: int
    clues_decided: int
    clues_verified: int
    clues_rejected: int
    verified_rate: Share
    orders_filed: int
    orders_open: int
    orders_overdue_now: int
    median_minutes_first_post_to_filing: float | None
    dispatch_sla: Share
    handling_sla: Share
    first_dispatch_success: Share
    returns: int
    recurrences: int
    orders_recurred: int
    satisfaction: Share

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in list(data):
            value = getattr(self, key)
            if isinstance(value, Share):
                data[key] = value.to_dict()
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat()
        return data


def compute_stats(
    session_or_engine: Session | Engine,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
) -> WorkflowStats:
    """Figures over clues created and orders filed since ``since`` (default:
    all), as they stand at ``now``."""
    session, owned = session_of(session_or_engine)
    try:
        return _compute(session, since, moment(now))
    finally:
        if owned:
            session.close()


def _compute(session: Session, since: datetime | None, now: datetime) -> WorkflowStats:
    clue_query = select(Clue.state, func.count()).where(Clue.state != MERGED)
    if since is not None:
        clue_query = clue_query.where(Clue.created_at >= since)
    by_state = dict(session.execute(clue_query.group_by(Clue.state)).all())
    verified = by_state.get(VERIFIED, 0) + by_state.get(FILED, 0)
    rejected = by_state.get(REJECTED, 0)

    order_query = select(WorkOrder, Clue.first_post_at).join(Clue, Clue.id == WorkOrder.clue_id)
    if since is not None:
        order_query = order_query.where(WorkOrder.filed_at >= since)
    rows = session.execute(order_query.order_by(WorkOrder.id)).all()
    orders = [order for order, _ in rows]
    lead_minutes = [
        (order.filed_at - first).total_seconds() / 60 for order, first in rows if first is not None
    ]

    dispatch_due = dispatch_met = handle_due = handle_met = 0
    overdue_now = 0
    for order in orders:
        missed = overdue(order, now)
        overdue_now += missed is not None
        if (
            order.first_dispatched_at is not None
            or order.dispatch_late
            or (order.state in AWAITING_DISPATCH and now > order.dispatch_due_at)
        ):
            dispatch_due += 1
            late_now = missed is not None and missed.kind == "dispatch"
            dispatch_met += not (order.dispatch_late or late_now)
        if (
            order.resolved_at is not None
            or order.handle_late
            or (order.state in WITH_DEPARTMENT and now > order.handle_due_at)
        ):
            handle_due += 1
            late_now = missed is not None and missed.kind == "handle"
            handle_met += not (order.handle_late or late_now)
    dispatched = [o for o in orders if o.first_dispatched_at is not None]
    visit_query = select(ReturnVisit.satisfied).join(
        WorkOrder, WorkOrder.id == ReturnVisit.order_id
    )
    if since is not None:
        visit_query = visit_query.where(WorkOrder.filed_at >= since)
    visits = session.execute(visit_query).all()

    return WorkflowStats(
        since=since,
        until=now,
        clues_found=sum(by_state.values()),
        clues_pending=sum(by_state.get(s, 0) for s in ("pending", "claimed")),
        clues_decided=verified + rejected,
        clues_verified=verified,
        clues_rejected=rejected,
        verified_rate=Share(verified, verified + rejected),
        orders_filed=len(orders),
        orders_open=sum(o.state in OPEN for o in orders),
        orders_overdue_now=overdue_now,
        median_minutes_first_post_to_filing=(
            statistics.median(lead_minutes) if lead_minutes else None
        ),
        dispatch_sla=Share(dispatch_met, dispatch_due),
        handling_sla=Share(handle_met, handle_due),
        first_dispatch_success=Share(sum(o.return_count == 0 for o in dispatched), len(dispatched)),
        returns=sum(o.return_count for o in orders),
        recurrences=sum(o.recurrence_count for o in orders),
        orders_recurred=sum(o.recurrence_count > 0 for o in orders),
        satisfaction=Share(sum(1 for (s,) in visits if s), len(visits)),
    )
