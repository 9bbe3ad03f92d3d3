"""Administration: users (add, role, password, disable, enable) and the
configuration in force (never a secret)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from clue_pipeline.errors import ClueError
from verification.accounts import users
from verification.accounts.roles import ADMIN, ROLES
from verification.web.auth import Viewer, form_action, need
from verification.web.config_view import config_view
from verification.web.errors import status_of
from verification.web.pages.common import page, redirect
from verification.web.state import acting, reading, web_state

router = APIRouter()


def _render(
    request: Request, who: Viewer, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    with reading(request) as session:
        people = [users.user_view(u) for u in users.list_users(session)]
    return page(
        request,
        "admin.html",
        who,
        status=status,
        error=error,
        users=people,
        roles=ROLES,
        config=config_view(web_state(request)),
    )


@router.get("/admin", response_class=HTMLResponse)
def show(request: Request, who: Viewer = Depends(need(ADMIN))) -> HTMLResponse:
    return _render(request, who)


def _act(request: Request, who: Viewer, done: str, action: Callable[[Session], Any]) -> Response:
    try:
        with acting(request) as session:
            action(session)
    except ClueError as exc:
        return _render(request, who, error=str(exc), status=status_of(exc))
    return redirect("/admin", done)


@router.post("/admin/users")
def add(
    request: Request,
    name: str = Form(""),
    role: str = Form(""),
    password: str = Form(""),
    who: Viewer = Depends(form_action(ADMIN)),
) -> Response:
    return _act(
        request,
        who,
        "user_add",
        lambda s: users.add_user(s, name, role=role, password=password, by=who.name),
    )


@router.post("/admin/users/{name}/role")
def role(
    request: Request, name: str, role: str = Form(""), who: Viewer = Depends(form_action(ADMIN))
) -> Response:
    return _act(request, who, "user_role", lambda s: users.set_role(s, name, role, by=who.name))


@router.post("/admin/users/{name}/password")
def password(
    request: Request, name: str, password: str = Form(""), who: Viewer = Depends(form_action(ADMIN))
) -> Response:
    return _act(
        request, who, "user_password", lambda s: users.set_password(s, name, password, by=who.name)
    )


@router.post("/admin/users/{name}/disable")
def disable(request: Request, name: str, who: Viewer = Depends(form_action(ADMIN))) -> Response:
    return _act(
        request, who, "user_disable", lambda s: users.set_active(s, name, False, by=who.name)
    )


@router.post("/admin/users/{name}/enable")
def enable(request: Request, name: str, who: Viewer = Depends(form_action(ADMIN))) -> Response:
    return _act(request, who, "user_enable", lambda s: users.set_active(s, name, True, by=who.name))
