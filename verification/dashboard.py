"""The supervisors' picture of the city: clues by state, orders by state and
overdue, the workflow figures (SLA compliance, first-dispatch success, ...),
each platform's crawl health (silent collectors) and reports per week by
category."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clue_pipeline.errors import ConfigError
from clue_pipeline.storage.models import Clue, WorkOrder
from verification.clue_states import MERGED, STATES
from verification.inputs import moment
from verification.order_states import OPEN
from verification.order_states import STATES as ORDER_STATES
from verification.reports.class_cases import class_case_report
from verification.sla import overdue
from verification.stats import compute_stats

TREND_WEEKS = 8


def crawl_health(session: Session, now: datetime) -> tuple[list[dict[str, Any]], str | None]:
    """Each configured platform's health, and a note when the platforms file
    cannot be read."""
    from clue_pipeline.platforms.health import health_of
    from clue_pipeline.platforms.loader import load_platforms

    try:
        platforms = load_platforms()
    except ConfigError as exc:
        return [], str(exc)
    return [asdict(row) for row in health_of(session, platforms, now)], None


def dashboard(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    now = moment(now)
    clue_counts = dict(
        session.execute(
            select(Clue.state, func.count()).where(Clue.state != MERGED).group_by(Clue.state)
        ).all()
    )
    order_counts = dict(
        session.execute(select(WorkOrder.state, func.count()).group_by(WorkOrder.state)).all()
    )
    open_orders = list(session.scalars(select(WorkOrder).where(WorkOrder.state.in_(OPEN))))
    health, note = crawl_health(session, now)
    trend = class_case_report(session, now=now, weeks=TREND_WEEKS, with_review=False)
    return {
        "now": now.isoformat(),
        "clues": {s: clue_counts.get(s, 0) for s in STATES if s != MERGED},
        "orders": {s: order_counts.get(s, 0) for s in ORDER_STATES},
        "orders_overdue": sum(1 for o in open_orders if overdue(o, now) is not None),
        "orders_escalated": sum(1 for o in open_orders if o.escalation_level),
        "urgent_waiting": session.scalar(
            select(func.count()).where(
                Clue.urgent.is_(True), Clue.state.in_(("pending", "claimed", "verified"))
            )
        ),
        "stats": compute_stats(session, now=now).to_dict(),
        "platforms": health,
        "platforms_note": note,
        "silent": [p["name"] for p in health if p["silent"]],
        "trend": {
            "weeks": [w.label for w in trend.weeks],
            "categories": trend.category_trend,
        },
    }
