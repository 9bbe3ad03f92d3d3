"""Due times of an order: dispatch within the tier's minutes of filing (or of
being sent back or reopened), handle within the catalogue item's
``deadline_days`` of dispatch; and whether a due time has passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from clue_pipeline.storage.models import WorkOrder
from verification.config import WorkflowConfig
from verification.order_states import AWAITING_DISPATCH, WITH_DEPARTMENT


def dispatch_due(start: datetime, urgent: bool, config: WorkflowConfig) -> datetime:
    return start + timedelta(minutes=config.dispatch.minutes(urgent))


def handle_due(start: datetime, deadline_days: int) -> datetime:
    return start + timedelta(days=deadline_days)


def set_dispatch_deadlines(order: WorkOrder, start: datetime, config: WorkflowConfig) -> None:
    """New deadlines from ``start`` (filing, return, reopening): dispatch by
    the tier, handling the item's days after that."""
    order.dispatch_due_at = dispatch_due(start, order.urgent, config)
    order.handle_due_at = handle_due(order.dispatch_due_at, order.deadline_days)
    order.dispatch_overdue_at = None
    order.handle_overdue_at = None
    order.escalation_level = 0


@dataclass(frozen=True)
class Overdue:
    kind: str  # dispatch | handle
    due_at: datetime
    minutes: float  # how long past due

    def describe(self) -> str:
        hours = self.minutes / 60
        span = f"{hours:.1f} h" if hours >= 1 else f"{self.minutes:.0f} min"
        what = "dispatch" if self.kind == "dispatch" else "handling"
        return f"{what} overdue by {span} (due {self.due_at.isoformat(timespec='minutes')})"


def overdue(order: WorkOrder, now: datetime) -> Overdue | None:
    """The deadline the order has missed in its present state, if any."""
    if order.state in AWAITING_DISPATCH:
        due, kind = order.dispatch_due_at, "dispatch"
    elif order.state in WITH_DEPARTMENT:
        due, kind = order.handle_due_at, "handle"
    else:
        return None
    if now <= due:
        return None
    return Overdue(kind, due, (now - due).total_seconds() / 60)
