"""One's own account: personal API tokens, and changing one's password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from clue_pipeline.errors import ClueError
from clue_pipeline.storage.models import User
from verification.accounts import tokens, users
from verification.web.auth import Viewer, clear_session_cookie, form_action, need
from verification.web.errors import status_of
from verification.web.pages.common import page, redirect
from verification.web.state import acting, reading

router = APIRouter()


def _render(
    request: Request,
    who: Viewer,
    *,
    error: str | None = None,
    status: int = 200,
    new_token: str | None = None,
) -> HTMLResponse:
    with reading(request) as session:
        user = session.get(User, who.id)
        mine = [tokens.token_view(t) for t in tokens.tokens_of(session, user)]
    return page(
        request, "account.html", who, status=status, error=error, tokens=mine, new_token=new_token
    )


@router.get("/account", response_class=HTMLResponse)
def show(request: Request, who: Viewer = Depends(need())) -> HTMLResponse:
    return _render(request, who)


@router.post("/account/tokens", response_class=HTMLResponse)
def create(
    request: Request, name: str = Form(""), who: Viewer = Depends(form_action())
) -> Response:
    """The token is shown once, on this answer (never in a URL)."""
    try:
        with acting(request) as session:
            token, _ = tokens.create_token(session, session.get(User, who.id), name)
    except ClueError as exc:
        return _render(request, who, error=str(exc), status=status_of(exc))
    return _render(request, who, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(request: Request, token_id: int, who: Viewer = Depends(form_action())) -> Response:
    try:
        with acting(request) as session:
            tokens.revoke_token(session, session.get(User, who.id), token_id)
    except ClueError as exc:
        return _render(request, who, error=str(exc), status=status_of(exc))
    return redirect("/account", "token_revoke")


@router.post("/account/password")
def change_password(
    request: Request,
    current: str = Form(""),
    password: str = Form(""),
    who: Viewer = Depends(form_action()),
) -> Response:
    """With the current password; every session ends, this one too."""
    with reading(request) as session:
        ok = users.authenticate(session, who.name, current) is not None
    if not ok:
        return _render(request, who, error="当前密码不正确", status=403)
    try:
        with acting(request) as session:
            users.set_password(session, who.name, password, by=who.name)
    except ClueError as exc:
        return _render(request, who, error=str(exc), status=status_of(exc))
    response = redirect("/login", "password")
    clear_session_cookie(request, response)
    return response
