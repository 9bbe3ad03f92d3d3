"""One clue: its posts (authors pseudonymised, numbers masked), why it was
classified and grouped so, duplicates and merge candidates, place, history,
and the actions its state allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from clue_pipeline import settings
from clue_pipeline.errors import ClueError
from verification import claims, clue_states, decisions, filing, membership
from verification.corrections import Correction, edit
from verification.errors import InvalidInput
from verification.similar import merge_candidates, nearest_posts
from verification.views import clue_view, get_clue
from verification.web.auth import Viewer, form_action, need
from verification.web.errors import status_of
from verification.web.filters import choices
from verification.web.pages.common import page, redirect
from verification.web.state import acting, reading, web_state

router = APIRouter()


def clue_context(session: Session, request: Request, clue_id: int) -> dict[str, Any]:
    from clue_pipeline.catalog import load_catalog

    presenter = web_state(request).presenter
    clue = get_clue(session, clue_id)
    view = presenter.clue(clue_view(session, clue))
    catalog = load_catalog(settings.catalog_file())
    items = []
    if clue.category:
        try:
            items = [(i.code, i.name) for i in catalog.category(clue.category).items()]
        except KeyError:
            items = []
    allowed = {
        action: clue_states.allowed(clue.state, action)
        for action in ("claim", "release", "verify", "reject", "reopen", "merge", "absorb")
        + ("edit", "confirm", "split", "file")
    }
    return {
        "clue": view,
        "nearest": presenter.nearest(nearest_posts(session, clue)),
        "candidates": presenter.candidates(merge_candidates(session, clue)),
        "options": choices(session),
        "items": items,
        "allowed": allowed,
    }


@router.get("/clues/{clue_id}", response_class=HTMLResponse)
def show(request: Request, clue_id: int, who: Viewer = Depends(need())) -> HTMLResponse:
    return _render(request, who, clue_id)


def _render(
    request: Request, who: Viewer, clue_id: int, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    try:
        with reading(request) as session:
            context = clue_context(session, request, clue_id)
    except ClueError as exc:
        return page(request, "error.html", who, status=status_of(exc), error=str(exc))
    return page(request, "clue.html", who, status=status, error=error, **context)


def _act(
    request: Request,
    who: Viewer,
    clue_id: int,
    done: str,
    action: Callable[[Session], Any],
) -> Response:
    """Do the action; on success go to the clue it leaves (a merge: the
    survivor, a split: the new clue), on error show the clue with the error."""
    try:
        with acting(request) as session:
            result = action(session)
    except ClueError as exc:
        return _render(request, who, clue_id, error=str(exc), status=status_of(exc))
    target = clue_id
    if done in ("merge", "split") and result is not None:
        target = result.id
    if done == "file":
        return redirect(f"/orders/{result.id}", "file")
    return redirect(f"/clues/{target}", done)


def _ids(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values if str(v).strip()]
    except ValueError:
        raise InvalidInput("post ids must be numbers") from None


@router.post("/clues/{clue_id}/claim")
def claim(request: Request, clue_id: int, who: Viewer = Depends(form_action())) -> Response:
    return _act(request, who, clue_id, "claim", lambda s: claims.claim(s, clue_id, by=who.name))


@router.post("/clues/{clue_id}/release")
def release(request: Request, clue_id: int, who: Viewer = Depends(form_action())) -> Response:
    return _act(request, who, clue_id, "release", lambda s: claims.release(s, clue_id, by=who.name))


@router.post("/clues/{clue_id}/verify")
def verify(
    request: Request, clue_id: int, note: str = Form(""), who: Viewer = Depends(form_action())
) -> Response:
    return _act(
        request,
        who,
        clue_id,
        "verify",
        lambda s: decisions.verify(s, clue_id, by=who.name, note=note),
    )


@router.post("/clues/{clue_id}/reject")
def reject(
    request: Request,
    clue_id: int,
    reason: str = Form(""),
    note: str = Form(""),
    who: Viewer = Depends(form_action()),
) -> Response:
    return _act(
        request,
        who,
        clue_id,
        "reject",
        lambda s: decisions.reject(s, clue_id, by=who.name, reason=reason, note=note),
    )


@router.post("/clues/{clue_id}/reopen")
def reopen(
    request: Request, clue_id: int, note: str = Form(""), who: Viewer = Depends(form_action())
) -> Response:
    return _act(
        request,
        who,
        clue_id,
        "reopen",
        lambda s: decisions.reopen(s, clue_id, by=who.name, note=note),
    )


@router.post("/clues/{clue_id}/merge")
def merge(
    request: Request,
    clue_id: int,
    into: str = Form(""),
    note: str = Form(""),
    who: Viewer = Depends(form_action()),
) -> Response:
    """Merge this clue into ``into``; the page goes on to the survivor."""

    def run(session: Session) -> Any:
        target = _ids([into])
        if not target:
            raise InvalidInput("name the clue to merge into; hint: a clue id, e.g. 12")
        return membership.merge(session, clue_id, target[0], by=who.name, note=note)

    return _act(request, who, clue_id, "merge", run)


@router.post("/clues/{clue_id}/absorb")
def absorb(
    request: Request,
    clue_id: int,
    other: str = Form(""),
    note: str = Form(""),
    who: Viewer = Depends(form_action()),
) -> Response:
    """Merge clue ``other`` into this one."""

    def run(session: Session) -> Any:
        source = _ids([other])
        if not source:
            raise InvalidInput("name the clue to merge into this one; hint: a clue id")
        return membership.merge(session, source[0], clue_id, by=who.name, note=note)

    return _act(request, who, clue_id, "merge", run)


@router.post("/clues/{clue_id}/confirm")
def confirm(
    request: Request,
    clue_id: int,
    posts: list[str] = Form(default_factory=list),
    who: Viewer = Depends(form_action()),
) -> Response:
    return _act(
        request,
        who,
        clue_id,
        "confirm",
        lambda s: membership.confirm_duplicates(s, clue_id, _ids(posts), by=who.name),
    )


@router.post("/clues/{clue_id}/split")
def split(
    request: Request,
    clue_id: int,
    posts: list[str] = Form(default_factory=list),
    note: str = Form(""),
    who: Viewer = Depends(form_action()),
) -> Response:
    return _act(
        request,
        who,
        clue_id,
        "split",
        lambda s: membership.split(s, clue_id, _ids(posts), by=who.name, note=note),
    )


def _given(value: str) -> str | None:
    return value.strip() or None


@router.post("/clues/{clue_id}/edit")
def correct(
    request: Request,
    clue_id: int,
    category: str = Form(""),
    item_code: str = Form(""),
    department: str = Form(""),
    district: str = Form(""),
    street: str = Form(""),
    road: str = Form(""),
    community: str = Form(""),
    landmark: str = Form(""),
    region: str = Form(""),
    urgency: str = Form(""),
    note: str = Form(""),
    who: Viewer = Depends(form_action()),
) -> Response:
    """Only the fields given (and changed) are corrected."""

    def run(session: Session) -> Any:
        clue = get_clue(session, clue_id)
        wanted = {
            "category": _given(category),
            "item_code": _given(item_code),
            "department": _given(department),
            "district": _given(district),
            "street": _given(street),
            "road": _given(road),
            "community": _given(community),
            "landmark": _given(landmark),
            "region": _given(region),
        }
        # a form sends every field: keep those that say what the clue has already
        changed = {k: v for k, v in wanted.items() if v is not None and v != getattr(clue, k)}
        urgent = {"urgent": True, "normal": False}.get(urgency)
        if urgent is not None and urgent != clue.urgent:
            changed["urgent"] = urgent
        return edit(session, clue_id, Correction(**changed), by=who.name, note=note)

    return _act(request, who, clue_id, "edit", run)


@router.post("/clues/{clue_id}/file")
def file_order(
    request: Request, clue_id: int, note: str = Form(""), who: Viewer = Depends(form_action())
) -> Response:
    return _act(
        request,
        who,
        clue_id,
        "file",
        lambda s: filing.file_clue(s, clue_id, by=who.name, note=note),
    )
