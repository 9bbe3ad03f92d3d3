"""The clue queue: filters, counts per state, urgent first, pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clue_pipeline.errors import ClueError
from verification import claims
from verification.queue import queue_page
from verification.web.auth import Viewer, form_action, need
from verification.web.errors import status_of
from verification.web.filters import choices, queue_filter
from verification.web.pages.common import page, redirect
from verification.web.state import acting, reading, web_state

router = APIRouter()


@router.get("/", include_in_schema=False)
def home(who: Viewer = Depends(need())) -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    state: str = "",
    category: str = "",
    district: str = "",
    platform: str = "",
    urgent: bool = False,
    since: str = "",
    until: str = "",
    sort: str = "priority",
    q: str = "",
    page_number: int = Query(1, alias="page", ge=1),
    who: Viewer = Depends(need()),
) -> HTMLResponse:
    web = web_state(request)
    size = web.config.page_size
    params = {
        "state": state,
        "category": category,
        "district": district,
        "platform": platform,
        "urgent": "1" if urgent else "",
        "since": since,
        "until": until,
        "sort": sort,
        "q": q,
    }
    with reading(request) as session:
        options = choices(session)
        try:
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
            result = queue_page(session, flt, limit=size, offset=(max(page_number, 1) - 1) * size)
        except ClueError as exc:
            return page(
                request,
                "queue.html",
                who,
                status=status_of(exc),
                error=str(exc),
                rows=[],
                total=0,
                counts={},
                params=params,
                options=options,
                page_number=1,
                pages=1,
            )
    rows = [web.presenter.queue_row(r) for r in result.rows]
    pages = max(1, -(-result.total // size))
    return page(
        request,
        "queue.html",
        who,
        rows=rows,
        total=result.total,
        counts=result.counts,
        params=params,
        options=options,
        page_number=max(page_number, 1),
        pages=pages,
    )


@router.post("/queue/claim-next")
def claim_next(request: Request, who: Viewer = Depends(form_action())) -> Response:
    try:
        with acting(request) as session:
            result = claims.claim_next(session, by=who.name)
    except ClueError as exc:
        return page(request, "error.html", who, status=status_of(exc), error=str(exc))
    if result is None:
        return redirect("/queue", "none")
    return redirect(f"/clues/{result.clue.id}", "claim")
