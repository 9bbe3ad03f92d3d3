"""Filing a verified clue as a work order (主动立案): routing from the
catalogue, the evidence as it stood, due times by tier and item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline import settings
from clue_pipeline.catalog import load_catalog
from clue_pipeline.storage.models import Clue, CluePost, Post, WorkOrder
from verification import audit, clue_states
from verification.claims import end_claim_of, require_free
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import InvalidInput
from verification.inputs import actor, moment
from verification.membership import require_no_suggestions
from verification.order_states import FILED
from verification.sla import set_dispatch_deadlines
from verification.transactions import lock_clue

DESCRIPTION_CHARS = 2000


def evidence_of(session: Session, clue_id: int) -> list[dict[str, Any]]:
    """Snapshots of the clue's posts: text, link, times, media, provenance."""
    rows = session.execute(
        select(CluePost, Post)
        .join(Post, Post.id == CluePost.post_id)
        .where(CluePost.clue_id == clue_id)
        .order_by(Post.published_at.is_(None), Post.published_at, Post.id)
    )
    return [
        {
            "post_id": post.id,
            "platform": post.platform,
            "external_id": post.external_id,
            "url": post.url,
            "title": post.title,
            "text": post.text,
            "author": post.author,
            "published_at": post.published_at.isoformat() if post.published_at else None,
            "fetched_at": post.fetched_at.isoformat() if post.fetched_at else None,
            "content_hash": post.content_hash,
            "media_urls": list(post.media_urls or []),
            "location_text": post.location_text,
            "membership": member.membership,
        }
        for member, post in rows
    ]


def _description(clue: Clue, evidence: list[dict[str, Any]]) -> str:
    parts = [clue.title or ""]
    if evidence:
        first = evidence[0]
        body = first["text"] or ""
        if body and body not in parts[0]:
            parts.append(body)
    return "\n".join(p for p in parts if p)[:DESCRIPTION_CHARS]


def file_clue(
    session: Session,
    clue_id: int,
    *,
    by: str,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> WorkOrder:
    """Create the work order of a verified clue; the clue becomes ``filed``."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    clue = lock_clue(session, clue_id)
    clue_states.require(clue, "file")
    require_free(session, clue, by, now, config)
    require_no_suggestions(session, clue, "file")
    catalog = load_catalog(settings.catalog_file())
    try:
        item = catalog.item(clue.item_code or "")
    except KeyError:
        shown = (
            f"item {clue.item_code!r}, which the catalogue does not know"
            if clue.item_code
            else "no catalogue item"
        )
        raise InvalidInput(
            f"cannot file clue {clue.id}: it has {shown}; "
            f"hint: clues clue edit {clue.id} --item CODE"
        ) from None
    evidence = evidence_of(session, clue.id)
    order = WorkOrder(
        clue_id=clue.id,
        state=FILED,
        category=clue.category,
        item_code=item.code,
        item_name=item.name,
        department=clue.department or item.department,
        first_department=clue.department or item.department,
        urgent=clue.urgent,
        dispatch_tier="urgent" if clue.urgent else "normal",
        priority=clue.priority,
        title=clue.title or "",
        description=_description(clue, evidence),
        district=clue.district,
        street=clue.street,
        road=clue.road,
        community=clue.community,
        landmark=clue.landmark,
        evidence=evidence,
        report_count=len(evidence),
        filed_by=by,
        filed_at=now,
        deadline_days=item.deadline_days,
        updated_at=now,
    )
    set_dispatch_deadlines(order, now, config)
    session.add(order)
    session.flush()
    end_claim_of(session, clue, "filed", now)
    clue_states.advance(
        session, clue, "file", by=by, now=now, note=note, details={"order_id": order.id}
    )
    audit.record(
        session,
        clue_id=clue.id,
        order_id=order.id,
        action="create",
        from_state=None,
        to_state=FILED,
        actor=by,
        at=now,
        note=note,
        details={
            "department": order.department,
            "item_code": order.item_code,
            "dispatch_due_at": order.dispatch_due_at.isoformat(),
            "handle_due_at": order.handle_due_at.isoformat(),
        },
    )
    session.flush()
    return order
