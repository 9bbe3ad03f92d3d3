"""Work on orders after filing: dispatch, progress, resolve, close with a
return visit (回访), reopen, send back as wrongly routed (退单), supervision
notes (督办). Every action goes through the order state machine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue, OrderNote, ReturnVisit, WorkOrder
from verification import order_states
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import InvalidInput
from verification.inputs import actor, moment, required_text
from verification.order_states import DONE
from verification.sla import handle_due, set_dispatch_deadlines
from verification.transactions import lock_order


def add_note(
    session: Session,
    order: WorkOrder,
    kind: str,
    text: str,
    *,
    by: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> OrderNote:
    note = OrderNote(order_id=order.id, kind=kind, by=by, at=now, text=text, details=details or {})
    session.add(note)
    return note


def _sync_clue(session: Session, order: WorkOrder, now: datetime) -> None:
    """The clue's ``closed_at`` follows the order: set while the order is
    resolved or closed (processing then keeps attaching posts to it for the
    recurrence window), cleared when it is open again."""
    clue = session.get(Clue, order.clue_id)
    if clue is None:
        return
    clue.closed_at = now if order.state in DONE else None
    clue.updated_at = now


def dispatch(
    session: Session,
    order_id: int,
    *,
    by: str,
    department: str | None = None,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> WorkOrder:
    """Send the order to its department (or to ``department``: re-routing)."""
    by, now = actor(by), moment(now)
    order = lock_order(session, order_id)
    order_states.require(order, "dispatch")
    before = order.department
    if department is not None:
        order.department = required_text(department, "department", "name the department")
    late = now > order.dispatch_due_at
    order_states.advance(
        session,
        order,
        "dispatch",
        by=by,
        now=now,
        note=note,
        details={"department": order.department, "from_department": before, "late": late},
    )
    order.dispatched_at = now
    if order.first_dispatched_at is None:
        order.first_dispatched_at = now
        order.first_department = order.department
    order.dispatch_late = order.dispatch_late or late
    order.dispatch_overdue_at = None
    order.handle_due_at = handle_due(now, order.deadline_days)
    order.handle_overdue_at = None
    order.escalation_level = 0
    session.flush()
    return order


def progress(
    session: Session,
    order_id: int,
    *,
    by: str,
    note: str,
    now: datetime | None = None,
) -> WorkOrder:
    """The department is working on it: record what it reports."""
    by, now = actor(by), moment(now)
    text = required_text(note, "the progress note", "pass --note TEXT")
    order = lock_order(session, order_id)
    order_states.advance(session, order, "progress", by=by, now=now, note=text)
    order.in_progress_at = order.in_progress_at or now
    add_note(session, order, "progress", text, by=by, now=now)
    session.flush()
    return order


def resolve(
    session: Session,
    order_id: int,
    *,
    by: str,
    note: str,
    now: datetime | None = None,
) -> WorkOrder:
    """The department reports the problem solved."""
    by, now = actor(by), moment(now)
    text = required_text(note, "the resolution", "pass --note 'what was done'")
    order = lock_order(session, order_id)
    late = now > order.handle_due_at
    order_states.advance(
        session, order, "resolve", by=by, now=now, note=text, details={"late": late}
    )
    order.resolved_at = now
    order.resolution = text
    order.handle_late = order.handle_late or late
    order.handle_overdue_at = None
    _sync_clue(session, order, now)
    session.flush()
    return order


def close(
    session: Session,
    order_id: int,
    *,
    by: str,
    satisfied: bool,
    note: str = "",
    now: datetime | None = None,
) -> WorkOrder:
    """Close a resolved order with the return visit's result."""
    by, now = actor(by), moment(now)
    if not isinstance(satisfied, bool):
        raise InvalidInput(
            "the return visit needs satisfied or not; hint: --satisfied or --unsatisfied"
        )
    order = lock_order(session, order_id)
    order_states.advance(
        session, order, "close", by=by, now=now, note=note, details={"satisfied": satisfied}
    )
    session.add(ReturnVisit(order_id=order.id, satisfied=satisfied, by=by, at=now, note=note or ""))
    order.closed_at = now
    order.satisfied = satisfied
    _sync_clue(session, order, now)
    session.flush()
    return order


def reopen(
    session: Session,
    order_id: int,
    *,
    by: str,
    reason: str,
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
    action: str = "reopen",
    details: dict[str, Any] | None = None,
) -> WorkOrder:
    """Reopen a resolved or closed order: it must be dispatched again."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    text = required_text(reason, "the reason", "pass --reason TEXT")
    order = lock_order(session, order_id)
    order_states.advance(session, order, action, by=by, now=now, note=text, details=details)
    order.reopened_at = now
    order.satisfied = None
    set_dispatch_deadlines(order, now, config)
    add_note(
        session,
        order,
        "recurrence" if action == "recur" else "reopen",
        text,
        by=by,
        now=now,
        details=details,
    )
    _sync_clue(session, order, now)
    session.flush()
    return order


def return_order(
    session: Session,
    order_id: int,
    *,
    by: str,
    reason: str,
    to_department: str | None = None,
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> WorkOrder:
    """The department sends the order back as not theirs (退单). It is counted
    and waits for dispatch again, to ``to_department`` at once when given."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    text = required_text(reason, "the reason", "pass --reason TEXT")
    order = lock_order(session, order_id)
    department = order.department
    order_states.advance(
        session, order, "return", by=by, now=now, note=text, details={"department": department}
    )
    order.return_count += 1
    set_dispatch_deadlines(order, now, config)
    add_note(session, order, "return", text, by=by, now=now, details={"department": department})
    session.flush()
    if to_department is not None:
        return dispatch(
            session,
            order.id,
            by=by,
            department=to_department,
            note=f"re-routed from {department}",
            now=now,
            config=config,
        )
    return order


def supervise_note(
    session: Session,
    order_id: int,
    *,
    by: str,
    text: str,
    now: datetime | None = None,
) -> OrderNote:
    """A supervision note (督办) on an order, in any state."""
    by, now = actor(by), moment(now)
    body = required_text(text, "the note", "pass --text TEXT")
    order = lock_order(session, order_id)
    order_states.advance(session, order, "note", by=by, now=now, note=body)
    note = add_note(session, order, "supervision", body, by=by, now=now)
    session.flush()
    return note


def get_order(session: Session, order_id: int) -> WorkOrder:
    from verification.errors import NotFound

    order = session.get(WorkOrder, order_id)
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


def order_of_clue(session: Session, clue_id: int) -> WorkOrder | None:
    return session.scalars(select(WorkOrder).where(WorkOrder.clue_id == clue_id)).first()


def list_orders(
    session: Session,
    *,
    state: str | None = None,
    department: str | None = None,
    overdue: bool = False,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[WorkOrder]:
    """Orders, the most urgent and overdue first."""
    from verification.sla import overdue as overdue_of

    now = moment(now)
    if state is not None and state not in order_states.STATES:
        known = ", ".join(order_states.STATES)
        raise InvalidInput(f"unknown order state {state!r}; expected one of: {known}")
    query = select(WorkOrder)
    if state:
        query = query.where(WorkOrder.state == state)
    if department:
        query = query.where(WorkOrder.department == department)
    query = query.order_by(WorkOrder.urgent.desc(), WorkOrder.id)
    orders = list(session.scalars(query))
    if overdue:
        orders = [o for o in orders if overdue_of(o, now) is not None]
    orders.sort(key=lambda o: (overdue_of(o, now) is None, not o.urgent, o.id))
    return orders[:limit] if limit else orders
