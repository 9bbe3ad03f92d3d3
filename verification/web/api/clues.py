"""``/api/v1/clues``: the queue and the work on one clue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue
from verification import claims, decisions, filing, membership
from verification.corrections import Correction, edit
from verification.queue import queue_page
from verification.similar import merge_candidates, nearest_posts
from verification.views import clue_view, get_clue, order_summary
from verification.web.api.paging import paged
from verification.web.api.schemas import (
    ClaimNextBody,
    EditBody,
    MergeBody,
    NoteBody,
    PostsBody,
    RejectBody,
)
from verification.web.auth import Viewer, api_action, need
from verification.web.filters import queue_filter
from verification.web.state import acting, reading, web_state

router = APIRouter(tags=["clues"])


def _shown(request: Request, session: Session, clue: Clue) -> dict[str, Any]:
    presenter = web_state(request).presenter
    view = presenter.clue(clue_view(session, clue))
    view["nearest"] = presenter.nearest(nearest_posts(session, clue))
    view["merge_candidates"] = presenter.candidates(merge_candidates(session, clue))
    return view


@router.get("/clues")
def list_clues(
    request: Request,
    state: str | None = Query(None, description="a clue state, or all; default: the work to do"),
    category: str | None = None,
    district: str | None = None,
    platform: str | None = None,
    urgent: bool = False,
    since: str | None = Query(None, description="first day (YYYY-MM-DD) of the latest post"),
    until: str | None = Query(None, description="last day (YYYY-MM-DD) of the latest post"),
    sort: str = Query("priority", description="priority, newest or posts"),
    q: str | None = Query(None, description="words of the title"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    who: Viewer = Depends(need()),
) -> dict[str, Any]:
    """The clue queue, urgent first then by priority (or ``sort``), paged,
    with the counts per state under the same filters."""
    flt = queue_filter(
        state=state,
        category=category,
        district=district,
        platform=platform,
        urgent=urgent,
        since=since,
        until=until,
        sort=sort,
        q=q,
    )
    with reading(request) as session:
        page = queue_page(session, flt, limit=limit, offset=offset)
    presenter = web_state(request).presenter
    return paged(
        request,
        [presenter.queue_row(r) for r in page.rows],
        total=page.total,
        limit=limit,
        offset=offset,
        counts=page.counts,
    )


@router.get("/clues/{clue_id}")
def show_clue(request: Request, clue_id: int, who: Viewer = Depends(need())) -> dict[str, Any]:
    """The clue with its posts, why, nearest posts, merge candidates and history."""
    with reading(request) as session:
        return _shown(request, session, get_clue(session, clue_id))


def _act(request: Request, clue_id: int, action: Callable[[Session], Any]) -> dict[str, Any]:
    with acting(request) as session:
        result = action(session)
        clue = result if isinstance(result, Clue) else get_clue(session, clue_id)
        return _shown(request, session, clue)


@router.post("/clues/claim-next")
def claim_next(
    request: Request, body: ClaimNextBody | None = None, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    """Claim the first clue of the queue nobody holds; ``{"clue": null}`` when none."""
    body = body or ClaimNextBody()
    with acting(request) as session:
        result = claims.claim_next(
            session,
            by=who.name,
            category=body.category,
            district=body.district,
            urgent=body.urgent,
        )
        return {"clue": _shown(request, session, result.clue) if result else None}


@router.post("/clues/{clue_id}/claim")
def claim(request: Request, clue_id: int, who: Viewer = Depends(api_action())) -> dict[str, Any]:
    return _act(request, clue_id, lambda s: claims.claim(s, clue_id, by=who.name).clue)


@router.post("/clues/{clue_id}/release")
def release(request: Request, clue_id: int, who: Viewer = Depends(api_action())) -> dict[str, Any]:
    return _act(request, clue_id, lambda s: claims.release(s, clue_id, by=who.name))


@router.post("/clues/{clue_id}/verify")
def verify(
    request: Request,
    clue_id: int,
    body: NoteBody | None = None,
    who: Viewer = Depends(api_action()),
) -> dict[str, Any]:
    note = body.note if body else ""
    return _act(request, clue_id, lambda s: decisions.verify(s, clue_id, by=who.name, note=note))


@router.post("/clues/{clue_id}/reject")
def reject(
    request: Request, clue_id: int, body: RejectBody, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    return _act(
        request,
        clue_id,
        lambda s: decisions.reject(s, clue_id, by=who.name, reason=body.reason, note=body.note),
    )


@router.post("/clues/{clue_id}/reopen")
def reopen(
    request: Request,
    clue_id: int,
    body: NoteBody | None = None,
    who: Viewer = Depends(api_action()),
) -> dict[str, Any]:
    note = body.note if body else ""
    return _act(request, clue_id, lambda s: decisions.reopen(s, clue_id, by=who.name, note=note))


@router.post("/clues/{clue_id}/merge")
def merge(
    request: Request, clue_id: int, body: MergeBody, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    """Merge this clue into ``into``; answers the survivor."""
    return _act(
        request,
        clue_id,
        lambda s: membership.merge(s, clue_id, body.into, by=who.name, note=body.note),
    )


@router.post("/clues/{clue_id}/confirm")
def confirm(
    request: Request, clue_id: int, body: PostsBody, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    """Suggested duplicates become members of the clue."""
    return _act(
        request,
        clue_id,
        lambda s: membership.confirm_duplicates(s, clue_id, body.posts, by=who.name),
    )


@router.post("/clues/{clue_id}/split")
def split(
    request: Request, clue_id: int, body: PostsBody, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    """Move posts into a new clue (rejects suggested duplicates); answers the new clue."""
    return _act(
        request,
        clue_id,
        lambda s: membership.split(s, clue_id, body.posts, by=who.name, note=body.note),
    )


@router.post("/clues/{clue_id}/edit")
def correct(
    request: Request, clue_id: int, body: EditBody, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    """Correct category, item, department, place or urgency (fields left out stay)."""
    change = Correction(**body.model_dump(exclude={"note"}))
    return _act(request, clue_id, lambda s: edit(s, clue_id, change, by=who.name, note=body.note))


@router.post("/clues/{clue_id}/file")
def file_order(
    request: Request,
    clue_id: int,
    body: NoteBody | None = None,
    who: Viewer = Depends(api_action()),
) -> dict[str, Any]:
    """File the verified clue as a work order; answers the order."""
    note = body.note if body else ""
    with acting(request) as session:
        order = filing.file_clue(session, clue_id, by=who.name, note=note)
        return web_state(request).presenter.order_summary(order_summary(order, order.filed_at))
