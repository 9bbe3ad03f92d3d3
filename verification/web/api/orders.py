"""``/api/v1/orders``: orders, their supervision, and exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import WorkOrder
from verification import orders as order_actions
from verification.accounts.roles import SUPERVISOR
from verification.errors import InvalidInput
from verification.inputs import moment
from verification.views import order_summary, order_view
from verification.web.api.paging import paged
from verification.web.api.schemas import (
    CloseBody,
    DispatchBody,
    ReasonBody,
    RequiredNoteBody,
    ReturnBody,
    SupervisionNoteBody,
)
from verification.web.auth import Viewer, api_action, need
from verification.web.state import acting, reading, web_state

router = APIRouter(tags=["orders"])


@router.get("/orders")
def list_orders(
    request: Request,
    state: str | None = None,
    department: str | None = None,
    overdue: bool = False,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    who: Viewer = Depends(need()),
) -> dict[str, Any]:
    """Orders, overdue first, then urgent; paged."""
    now = moment(None)
    with reading(request) as session:
        found = order_actions.list_orders(
            session, state=state, department=department, overdue=overdue, now=now
        )
        presenter = web_state(request).presenter
        items = [
            presenter.order_summary(order_summary(o, now)) for o in found[offset : offset + limit]
        ]
    return paged(request, items, total=len(found), limit=limit, offset=offset)


@router.get("/orders/export")
def export(
    request: Request,
    format: str = Query("open311", description="open311 or csv"),  # noqa: A002
    state: str | None = None,
    who: Viewer = Depends(need(SUPERVISOR)),
) -> Response:
    """Every order as Open311 GeoReport v2 JSON or CSV (numbers masked)."""
    from verification.export import open311, orders_csv

    engine = web_state(request).engine
    if format == "open311":
        return JSONResponse(open311(engine, state=state))
    if format == "csv":
        return Response(
            orders_csv(engine, state=state),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="orders.csv"'},
        )
    raise InvalidInput(f"unknown export format {format!r}; expected open311 or csv")


@router.get("/orders/{order_id}")
def show_order(request: Request, order_id: int, who: Viewer = Depends(need())) -> dict[str, Any]:
    """The order with its evidence, notes, return visits, recurrences and history."""
    with reading(request) as session:
        order = order_actions.get_order(session, order_id)
        return web_state(request).presenter.order(order_view(session, order))


def _act(
    request: Request, who: Viewer, order_id: int, action: Callable[[Session], Any]
) -> dict[str, Any]:
    with acting(request) as session:
        action(session)
        order = session.get(WorkOrder, order_id)
        return web_state(request).presenter.order(order_view(session, order))


@router.post("/orders/{order_id}/dispatch")
def dispatch(
    request: Request,
    order_id: int,
    body: DispatchBody | None = None,
    who: Viewer = Depends(api_action(SUPERVISOR)),
) -> dict[str, Any]:
    body = body or DispatchBody()
    return _act(
        request,
        who,
        order_id,
        lambda s: order_actions.dispatch(
            s, order_id, by=who.name, department=body.department, note=body.note
        ),
    )


@router.post("/orders/{order_id}/progress")
def progress(
    request: Request,
    order_id: int,
    body: RequiredNoteBody,
    who: Viewer = Depends(api_action(SUPERVISOR)),
) -> dict[str, Any]:
    return _act(
        request,
        who,
        order_id,
        lambda s: order_actions.progress(s, order_id, by=who.name, note=body.note),
    )


@router.post("/orders/{order_id}/resolve")
def resolve(
    request: Request,
    order_id: int,
    body: RequiredNoteBody,
    who: Viewer = Depends(api_action(SUPERVISOR)),
) -> dict[str, Any]:
    return _act(
        request,
        who,
        order_id,
        lambda s: order_actions.resolve(s, order_id, by=who.name, note=body.note),
    )


@router.post("/orders/{order_id}/close")
def close(
    request: Request, order_id: int, body: CloseBody, who: Viewer = Depends(api_action(SUPERVISOR))
) -> dict[str, Any]:
    """Close a resolved order with the return visit's result (回访)."""
    return _act(
        request,
        who,
        order_id,
        lambda s: order_actions.close(
            s, order_id, by=who.name, satisfied=body.satisfied, note=body.note
        ),
    )


@router.post("/orders/{order_id}/reopen")
def reopen(
    request: Request, order_id: int, body: ReasonBody, who: Viewer = Depends(api_action(SUPERVISOR))
) -> dict[str, Any]:
    return _act(
        request,
        who,
        order_id,
        lambda s: order_actions.reopen(s, order_id, by=who.name, reason=body.reason),
    )


@router.post("/orders/{order_id}/return")
def return_order(
    request: Request, order_id: int, body: ReturnBody, who: Viewer = Depends(api_action(SUPERVISOR))
) -> dict[str, Any]:
    """The department sends it back as wrongly routed (退单)."""
    return _act(
        request,
        who,
        order_id,
        lambda s: order_actions.return_order(
            s, order_id, by=who.name, reason=body.reason, to_department=body.to_department
        ),
    )


@router.post("/orders/{order_id}/notes")
def note(
    request: Request,
    order_id: int,
    body: SupervisionNoteBody,
    who: Viewer = Depends(api_action(SUPERVISOR)),
) -> dict[str, Any]:
    """A supervision note (督办)."""
    return _act(
        request,
        who,
        order_id,
        lambda s: order_actions.supervise_note(s, order_id, by=who.name, text=body.text),
    )
