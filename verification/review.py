"""The weekly review (每周一评): the orders most worth a look this week:
overdue, recurred, returned by departments, escalated, residents not
satisfied, most reported; and the classes of problems (类案) behind them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import (
    AuditEvent,
    Clue,
    OrderRecurrence,
    ReturnVisit,
    WorkOrder,
)
from verification.config import WorkflowConfig, load_workflow_config
from verification.inputs import moment
from verification.order_states import OPEN
from verification.sla import overdue
from verification.transactions import session_of

MANY_REPORTS = 3


@dataclass
class ReviewItem:
    order_id: int
    clue_id: int
    title: str
    state: str
    category: str | None
    item_code: str
    item: str
    department: str
    report_count: int
    return_count: int
    recurrence_count: int
    escalation_level: int
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, weight: float, reason: str) -> None:
        self.score += weight
        self.reasons.append(reason)


@dataclass
class ClassCase:
    """A class of problems (one catalogue item) over the review period."""

    item_code: str
    item: str
    category: str | None
    orders: int = 0
    reports: int = 0
    recurrences: int = 0
    overdue: int = 0
    returns: int = 0


@dataclass
class WeeklyReview:
    since: datetime
    until: datetime
    items: list[ReviewItem]
    classes: list[ClassCase]

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "items": [asdict(i) for i in self.items],
            "classes": [asdict(c) for c in self.classes],
        }


def weekly_review(
    session_or_engine: Session | Engine,
    *,
    now: datetime | None = None,
    days: int | None = None,
    limit: int | None = None,
    config: WorkflowConfig | None = None,
) -> WeeklyReview:
    """The review list for the ``days`` (default: ``review.days``) before ``now``."""
    config = config or load_workflow_config()
    now = moment(now)
    since = now - timedelta(days=days or config.review.days)
    session, owned = session_of(session_or_engine)
    try:
        return _review(session, since, now, limit or config.review.limit)
    finally:
        if owned:
            session.close()


def _count_by_order(session: Session, query) -> dict[int, int]:  # noqa: ANN001
    counts: dict[int, int] = defaultdict(int)
    for (order_id,) in session.execute(query):
        counts[order_id] += 1
    return counts


def _review(session: Session, since: datetime, now: datetime, limit: int) -> WeeklyReview:
    orders = list(
        session.scalars(
            select(WorkOrder)
            .where(
                or_(
                    WorkOrder.state.in_(OPEN),
                    WorkOrder.updated_at >= since,
                    WorkOrder.filed_at >= since,
                )
            )
            .order_by(WorkOrder.id)
        )
    )
    recurred_posts = _count_by_order(
        session, select(OrderRecurrence.order_id).where(OrderRecurrence.detected_at >= since)
    )
    recurred_episodes = _count_by_order(
        session,
        select(AuditEvent.order_id).where(AuditEvent.action == "recur", AuditEvent.at >= since),
    )
    returned = _count_by_order(
        session,
        select(AuditEvent.order_id).where(AuditEvent.action == "return", AuditEvent.at >= since),
    )
    unsatisfied = _count_by_order(
        session,
        select(ReturnVisit.order_id).where(
            ReturnVisit.at >= since, ReturnVisit.satisfied.is_(False)
        ),
    )
    # reports keep coming after filing: count the clue's posts now
    reports = dict(
        session.execute(
            select(Clue.id, Clue.post_count).where(Clue.id.in_([o.clue_id for o in orders]))
        ).all()
    )
    items: list[ReviewItem] = []
    classes: dict[str, ClassCase] = {}
    for order in orders:
        report_count = max(order.report_count, reports.get(order.clue_id, 0))
        item = ReviewItem(
            order_id=order.id,
            clue_id=order.clue_id,
            title=order.title,
            state=order.state,
            category=order.category,
            item_code=order.item_code,
            item=order.item_name,
            department=order.department,
            report_count=report_count,
            return_count=order.return_count,
            recurrence_count=order.recurrence_count,
            escalation_level=order.escalation_level,
        )
        missed = overdue(order, now)
        if missed is not None:
            item.add(3, missed.describe())
        elif (order.dispatch_late or order.handle_late) and order.updated_at >= since:
            item.add(1, "missed a deadline")
        if recurred_episodes.get(order.id):
            item.add(
                4 * recurred_episodes[order.id],
                f"recurred {recurred_episodes[order.id]}× "
                f"({recurred_posts.get(order.id, 0)} new posts after resolution)",
            )
        if returned.get(order.id):
            item.add(2 * returned[order.id], f"returned {returned[order.id]}× by departments")
        if order.escalation_level and order.state in OPEN:
            item.add(order.escalation_level, f"escalated to level {order.escalation_level}")
        if unsatisfied.get(order.id):
            item.add(2, "resident not satisfied at the return visit")
        if report_count >= MANY_REPORTS:
            item.add(min(report_count, 20) / 4, f"{report_count} reports")
        if item.reasons:
            items.append(item)
        if order.filed_at >= since or recurred_episodes.get(order.id):
            case = classes.setdefault(
                order.item_code, ClassCase(order.item_code, order.item_name, order.category)
            )
            case.orders += 1
            case.reports += report_count
            case.recurrences += recurred_episodes.get(order.id, 0)
            case.overdue += missed is not None or order.dispatch_late or order.handle_late
            case.returns += returned.get(order.id, 0)
    items.sort(key=lambda i: (-i.score, -i.report_count, i.order_id))
    ranked = sorted(classes.values(), key=lambda c: (-c.orders, -c.reports, c.item_code))
    return WeeklyReview(since=since, until=now, items=items[:limit], classes=ranked)
