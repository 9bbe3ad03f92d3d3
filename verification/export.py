"""Orders for other systems: Open311 GeoReport v2 JSON and CSV. Phone and ID
numbers in post text are masked (clue_pipeline.privacy.mask_personal)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clue_pipeline import settings
from clue_pipeline.catalog import Catalog, load_catalog
from clue_pipeline.locate import Gazetteer, load_gazetteer
from clue_pipeline.privacy import mask_personal
from clue_pipeline.storage.models import WorkOrder
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import InvalidInput
from verification.order_states import DONE, STATES
from verification.transactions import session_of

GEOREPORT_VERSION = "v2"


def _w3c(value: datetime | None, config: WorkflowConfig) -> str | None:
    """W3C datetime with the offset, as GeoReport v2 wants it."""
    if value is None:
        return None
    return value.astimezone(config.zone).isoformat(timespec="seconds")


def services(catalog: Catalog) -> list[dict[str, Any]]:
    """The GeoReport service list: one service per catalogue item."""
    return [
        {
            "service_code": item.code,
            "service_name": item.name,
            "description": item.description or f"{sub.name}·{item.name}",
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(item.keywords),
            "group": category.name,
        }
        for category, sub, item in catalog.all_items()
    ]


def address_of(order: WorkOrder) -> str | None:
    parts = [order.district, order.street, order.road, order.community, order.landmark]
    text = "".join(p for p in parts if p)
    return text or None


def media_url(order: WorkOrder) -> str | None:
    for post in order.evidence or []:
        for url in post.get("media_urls") or []:
            if url:
                return urljoin(post.get("url") or "", str(url))
    return None


def _status_notes(order: WorkOrder) -> str:
    if order.state in DONE:
        return mask_personal(order.resolution)
    if order.escalation_reason and order.escalation_level:
        return f"{order.state}; {order.escalation_reason}"
    return order.state


def service_request(
    order: WorkOrder, config: WorkflowConfig, gazetteer: Gazetteer | None = None
) -> dict[str, Any]:
    at = (
        gazetteer.coordinates(
            district=order.district,
            street=order.street,
            community=order.community,
            landmark=order.landmark,
        )
        if gazetteer
        else None
    )
    return {
        "service_request_id": str(order.id),
        "status": "closed" if order.state in DONE else "open",
        "status_notes": _status_notes(order),
        "service_name": order.item_name,
        "service_code": order.item_code,
        "description": mask_personal(order.description),
        "agency_responsible": order.department,
        "service_notice": f"handling deadline {order.deadline_days} days",
        "requested_datetime": _w3c(order.filed_at, config),
        "updated_datetime": _w3c(order.updated_at, config),
        "expected_datetime": _w3c(order.handle_due_at, config),
        "address": address_of(order),
        "address_id": None,
        "zipcode": None,
        "lat": at.lat if at else None,
        "long": at.long if at else None,
        "media_url": media_url(order),
    }


def _orders(session: Session, state: str | None) -> list[WorkOrder]:
    if state is not None and state not in STATES:
        known = ", ".join(STATES)
        raise InvalidInput(f"unknown order state {state!r}; expected one of: {known}")
    query = select(WorkOrder).order_by(WorkOrder.id)
    if state:
        query = query.where(WorkOrder.state == state)
    return list(session.scalars(query))


def open311(
    session_or_engine: Session | Engine,
    *,
    state: str | None = None,
    catalog: Catalog | None = None,
    config: WorkflowConfig | None = None,
    gazetteer: Gazetteer | None = None,
) -> dict[str, Any]:
    """``{"services": [...], "requests": [...]}`` in GeoReport v2 fields; ``lat``/``long``
    from the gazetteer's coordinates of each order's most precise place."""
    catalog = catalog or load_catalog(settings.catalog_file())
    config = config or load_workflow_config()
    gazetteer = gazetteer or load_gazetteer(settings.gazetteer_file())
    session, owned = session_of(session_or_engine)
    try:
        requests = [service_request(o, config, gazetteer) for o in _orders(session, state)]
    finally:
        if owned:
            session.close()
    return {
        "georeport_version": GEOREPORT_VERSION,
        "services": services(catalog),
        "requests": requests,
    }


CSV_COLUMNS = (
    "order_id",
    "clue_id",
    "state",
    "status",
    "category",
    "item_code",
    "item",
    "department",
    "first_department",
    "urgent",
    "priority",
    "district",
    "street",
    "road",
    "community",
    "landmark",
    "title",
    "description",
    "report_count",
    "filed_at",
    "dispatch_due_at",
    "dispatched_at",
    "handle_due_at",
    "resolved_at",
    "closed_at",
    "dispatch_late",
    "handle_late",
    "escalation_level",
    "return_count",
    "recurrence_count",
    "satisfied",
    "links",
)


def csv_row(order: WorkOrder, config: WorkflowConfig) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "clue_id": order.clue_id,
        "state": order.state,
        "status": "closed" if order.state in DONE else "open",
        "category": order.category or "",
        "item_code": order.item_code,
        "item": order.item_name,
        "department": order.department,
        "first_department": order.first_department,
        "urgent": int(order.urgent),
        "priority": round(order.priority, 2),
        "district": order.district or "",
        "street": order.street or "",
        "road": order.road or "",
        "community": order.community or "",
        "landmark": order.landmark or "",
        "title": mask_personal(order.title),
        "description": mask_personal(order.description),
        "report_count": order.report_count,
        "filed_at": _w3c(order.filed_at, config),
        "dispatch_due_at": _w3c(order.dispatch_due_at, config),
        "dispatched_at": _w3c(order.dispatched_at, config) or "",
        "handle_due_at": _w3c(order.handle_due_at, config),
        "resolved_at": _w3c(order.resolved_at, config) or "",
        "closed_at": _w3c(order.closed_at, config) or "",
        "dispatch_late": int(order.dispatch_late),
        "handle_late": int(order.handle_late),
        "escalation_level": order.escalation_level,
        "return_count": order.return_count,
        "recurrence_count": order.recurrence_count,
        "satisfied": "" if order.satisfied is None else int(order.satisfied),
        "links": " ".join(p.get("url") or "" for p in order.evidence or []),
    }


def write_csv(rows: Iterable[dict[str, Any]], out: io.TextIOBase) -> int:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def orders_csv(
    session_or_engine: Session | Engine,
    *,
    state: str | None = None,
    config: WorkflowConfig | None = None,
) -> str:
    """Every order (or those in ``state``) as CSV text, one row per order."""
    config = config or load_workflow_config()
    session, owned = session_of(session_or_engine)
    try:
        rows = [csv_row(o, config) for o in _orders(session, state)]
    finally:
        if owned:
            session.close()
    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue()
