"""Orders: SLA countdowns for dispatch and handling, overdue first,
escalation, supervision notes, recurrence; analysts see them, supervisors
act on them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.errors import ClueError
from clue_pipeline.storage.models import WorkOrder
from verification import orders as order_actions
from verification.accounts.roles import SUPERVISOR
from verification.errors import InvalidInput
from verification.inputs import moment
from verification.order_states import STATES, TRANSITIONS
from verification.views import order_summary, order_view
from verification.web.auth import Viewer, form_action, need
from verification.web.errors import status_of
from verification.web.pages.common import page, redirect
from verification.web.state import acting, reading, web_state

router = APIRouter()


@router.get("/orders", response_class=HTMLResponse)
def orders(
    request: Request,
    state: str = "",
    department: str = "",
    overdue: bool = False,
    page_number: int = Query(1, alias="page", ge=1),
    who: Viewer = Depends(need()),
) -> HTMLResponse:
    web = web_state(request)
    size = web.config.page_size
    now = moment(None)
    params = {"state": state, "department": department, "overdue": "1" if overdue else ""}
    with reading(request) as session:
        departments = sorted(session.scalars(select(WorkOrder.department).distinct()))
        try:
            found = order_actions.list_orders(
                session,
                state=state or None,
                department=department or None,
                overdue=overdue,
                now=now,
            )
        except ClueError as exc:
            return page(
                request,
                "orders.html",
                who,
                status=status_of(exc),
                error=str(exc),
                rows=[],
                total=0,
                params=params,
                departments=departments,
                states=STATES,
                page_number=1,
                pages=1,
            )
        total = len(found)
        start = (page_number - 1) * size
        rows = [
            web.presenter.order_summary(order_summary(o, now)) for o in found[start : start + size]
        ]
    return page(
        request,
        "orders.html",
        who,
        rows=rows,
        total=total,
        params=params,
        departments=departments,
        states=STATES,
        page_number=page_number,
        pages=max(1, -(-total // size)),
    )


def _render(
    request: Request, who: Viewer, order_id: int, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    web = web_state(request)
    try:
        with reading(request) as session:
            order = order_actions.get_order(session, order_id)
            view = web.presenter.order(order_view(session, order))
    except ClueError as exc:
        return page(request, "error.html", who, status=status_of(exc), error=str(exc))
    allowed = {action for (state, action) in TRANSITIONS if state == view["state"]}
    return page(
        request,
        "order.html",
        who,
        status=status,
        error=error,
        order=view,
        allowed=allowed,
        can_act=who.allows(SUPERVISOR),
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def show(request: Request, order_id: int, who: Viewer = Depends(need())) -> HTMLResponse:
    return _render(request, who, order_id)


def _act(
    request: Request, who: Viewer, order_id: int, done: str, action: Callable[[Session], Any]
) -> Response:
    try:
        with acting(request) as session:
            action(session)
    except ClueError as exc:
        return _render(request, who, order_id, error=str(exc), status=status_of(exc))
    return redirect(f"/orders/{order_id}", done)


def _satisfied(value: str) -> bool:
    if value not in ("yes", "no"):
        raise InvalidInput("the return visit needs satisfied or not; hint: choose 满意 or 不满意")
    return value == "yes"


@router.post("/orders/{order_id}/dispatch")
def dispatch(
    request: Request,
    order_id: int,
    department: str = Form(""),
    note: str = Form(""),
    who: Viewer = Depends(form_action(SUPERVISOR)),
) -> Response:
    return _act(
        request,
        who,
        order_id,
        "dispatch",
        lambda s: order_actions.dispatch(
            s, order_id, by=who.name, department=department.strip() or None, note=note
        ),
    )


@router.post("/orders/{order_id}/progress")
def progress(
    request: Request,
    order_id: int,
    note: str = Form(""),
    who: Viewer = Depends(form_action(SUPERVISOR)),
) -> Response:
    return _act(
        request,
        who,
        order_id,
        "progress",
        lambda s: order_actions.progress(s, order_id, by=who.name, note=note),
    )


@router.post("/orders/{order_id}/resolve")
def resolve(
    request: Request,
    order_id: int,
    note: str = Form(""),
    who: Viewer = Depends(form_action(SUPERVISOR)),
) -> Response:
    return _act(
        request,
        who,
        order_id,
        "resolve",
        lambda s: order_actions.resolve(s, order_id, by=who.name, note=note),
    )


@router.post("/orders/{order_id}/close")
def close(
    request: Request,
    order_id: int,
    satisfied: str = Form(""),
    note: str = Form(""),
    who: Viewer = Depends(form_action(SUPERVISOR)),
) -> Response:
    return _act(
        request,
        who,
        order_id,
        "close",
        lambda s: order_actions.close(
            s, order_id, by=who.name, satisfied=_satisfied(satisfied), note=note
        ),
    )


@router.post("/orders/{order_id}/reopen")
def reopen(
    request: Request,
    order_id: int,
    reason: str = Form(""),
    who: Viewer = Depends(form_action(SUPERVISOR)),
) -> Response:
    return _act(
        request,
        who,
        order_id,
        "order_reopen",
        lambda s: order_actions.reopen(s, order_id, by=who.name, reason=reason),
    )


@router.post("/orders/{order_id}/return")
def return_order(
    request: Request,
    order_id: int,
    reason: str = Form(""),
    to_department: str = Form(""),
    who: Viewer = Depends(form_action(SUPERVISOR)),
) -> Response:
    return _act(
        request,
        who,
        order_id,
        "return",
        lambda s: order_actions.return_order(
            s, order_id, by=who.name, reason=reason, to_department=to_department.strip() or None
        ),
    )


@router.post("/orders/{order_id}/note")
def note(
    request: Request,
    order_id: int,
    text: str = Form(""),
    who: Viewer = Depends(form_action(SUPERVISOR)),
) -> Response:
    return _act(
        request,
        who,
        order_id,
        "note",
        lambda s: order_actions.supervise_note(s, order_id, by=who.name, text=text),
    )
