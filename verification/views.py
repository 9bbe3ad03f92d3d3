"""Clues, orders and their history as plain dicts (JSON-ready): what the CLI
prints with ``--json`` and what the API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import (
    AuditEvent,
    Clue,
    ClueClaim,
    CluePost,
    OrderNote,
    OrderRecurrence,
    Post,
    ReturnVisit,
    WorkOrder,
)
from verification.audit import history
from verification.claims import live_claim
from verification.errors import NotFound
from verification.inputs import moment
from verification.sla import overdue


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def claim_view(claim: ClueClaim | None, now: datetime) -> dict[str, Any] | None:
    if claim is None:
        return None
    return {
        "analyst": claim.analyst,
        "claimed_at": iso(claim.claimed_at),
        "expires_at": iso(claim.expires_at),
        "expired": claim.expires_at <= now,
    }


def audit_view(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "clue_id": event.clue_id,
        "order_id": event.order_id,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "by": event.actor,
        "at": iso(event.at),
        "note": event.note,
        "details": event.details,
    }


def clue_view(session: Session, clue: Clue, *, now: datetime | None = None) -> dict[str, Any]:
    """The clue with its claim, posts, order and history."""
    now = moment(now)
    rows = session.execute(
        select(CluePost, Post)
        .join(Post, Post.id == CluePost.post_id)
        .where(CluePost.clue_id == clue.id)
        .order_by(Post.published_at.is_(None), Post.published_at, Post.id)
    )
    posts = [
        {
            "post_id": post.id,
            "platform": post.platform,
            "external_id": post.external_id,
            "url": post.url,
            "title": post.title,
            "text": post.text,
            "author": post.author,
            "published_at": iso(post.published_at),
            "membership": member.membership,
            "similarity": member.similarity,
            "added_at": iso(member.added_at),
        }
        for member, post in rows
    ]
    order = session.scalars(select(WorkOrder.id).where(WorkOrder.clue_id == clue.id)).first()
    return {
        "id": clue.id,
        "state": clue.state,
        "title": clue.title,
        "category": clue.category,
        "item_code": clue.item_code,
        "item": clue.item_name,
        "department": clue.department,
        "urgent": clue.urgent,
        "urgency": "urgent" if clue.urgent else "normal",
        "dispatch_tier": clue.dispatch_tier,
        "priority": clue.priority,
        "district": clue.district,
        "street": clue.street,
        "road": clue.road,
        "community": clue.community,
        "landmark": clue.landmark,
        "region": clue.region,
        "post_count": clue.post_count,
        "platform_count": clue.platform_count,
        "first_post_at": iso(clue.first_post_at),
        "last_post_at": iso(clue.last_post_at),
        "merged_into": clue.merged_into_id,
        "reject_reason": clue.reject_reason,
        "reject_note": clue.reject_note,
        "corrections": clue.corrections or {},
        "claim": claim_view(live_claim(session, clue.id), now),
        "order_id": order,
        "why": clue.why,
        "posts": posts,
        "suggested": [p["post_id"] for p in posts if p["membership"] == "suggested"],
        "history": [audit_view(e) for e in history(session, clue_id=clue.id)],
    }


def get_clue(session: Session, clue_id: int) -> Clue:
    clue = session.get(Clue, clue_id)
    if clue is None:
        raise NotFound(f"clue {clue_id} does not exist")
    return clue


def order_summary(order: WorkOrder, now: datetime) -> dict[str, Any]:
    missed = overdue(order, now)
    return {
        "id": order.id,
        "clue_id": order.clue_id,
        "state": order.state,
        "title": order.title,
        "category": order.category,
        "item_code": order.item_code,
        "item": order.item_name,
        "department": order.department,
        "first_department": order.first_department,
        "urgent": order.urgent,
        "dispatch_tier": order.dispatch_tier,
        "priority": order.priority,
        "district": order.district,
        "street": order.street,
        "road": order.road,
        "report_count": order.report_count,
        "filed_by": order.filed_by,
        "filed_at": iso(order.filed_at),
        "dispatch_due_at": iso(order.dispatch_due_at),
        "dispatched_at": iso(order.dispatched_at),
        "handle_due_at": iso(order.handle_due_at),
        "resolved_at": iso(order.resolved_at),
        "closed_at": iso(order.closed_at),
        "overdue": missed.describe() if missed else None,
        "dispatch_late": order.dispatch_late,
        "handle_late": order.handle_late,
        "escalation_level": order.escalation_level,
        "escalation_reason": order.escalation_reason,
        "return_count": order.return_count,
        "recurrence_count": order.recurrence_count,
        "satisfied": order.satisfied,
    }


def order_view(
    session: Session, order: WorkOrder, *, now: datetime | None = None
) -> dict[str, Any]:
    """The order with its evidence, notes, return visits, recurrences and history."""
    now = moment(now)
    notes = session.scalars(
        select(OrderNote).where(OrderNote.order_id == order.id).order_by(OrderNote.id)
    )
    visits = session.scalars(
        select(ReturnVisit).where(ReturnVisit.order_id == order.id).order_by(ReturnVisit.id)
    )
    recurrences = session.scalars(
        select(OrderRecurrence)
        .where(OrderRecurrence.order_id == order.id)
        .order_by(OrderRecurrence.id)
    )
    return {
        **order_summary(order, now),
        "description": order.description,
        "community": order.community,
        "landmark": order.landmark,
        "deadline_days": order.deadline_days,
        "first_dispatched_at": iso(order.first_dispatched_at),
        "in_progress_at": iso(order.in_progress_at),
        "reopened_at": iso(order.reopened_at),
        "resolution": order.resolution,
        "evidence": order.evidence,
        "notes": [
            {"kind": n.kind, "by": n.by, "at": iso(n.at), "text": n.text, "details": n.details}
            for n in notes
        ],
        "return_visits": [
            {"satisfied": v.satisfied, "by": v.by, "at": iso(v.at), "note": v.note} for v in visits
        ],
        "recurrences": [
            {"post_id": r.post_id, "episode": r.episode, "detected_at": iso(r.detected_at)}
            for r in recurrences
        ],
        "history": [audit_view(e) for e in history(session, order_id=order.id)],
    }
