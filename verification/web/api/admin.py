"""``/api/v1/users`` and ``/api/v1/config``: for admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from verification.accounts import users
from verification.accounts.roles import ADMIN
from verification.web.api.schemas import ActiveBody, PasswordBody, RoleBody, UserBody
from verification.web.auth import Viewer, api_action, need
from verification.web.config_view import config_view
from verification.web.state import acting, reading, web_state

router = APIRouter(tags=["admin"])


@router.get("/users")
def list_users(request: Request, who: Viewer = Depends(need(ADMIN))) -> dict[str, Any]:
    with reading(request) as session:
        items = [users.user_view(u) for u in users.list_users(session)]
    return {"items": items, "total": len(items)}


@router.post("/users", status_code=201)
def add_user(
    request: Request, body: UserBody, who: Viewer = Depends(api_action(ADMIN))
) -> dict[str, Any]:
    with acting(request) as session:
        user = users.add_user(
            session, body.name, role=body.role, password=body.password, by=who.name
        )
        return users.user_view(user)


@router.post("/users/{name}/role")
def set_role(
    request: Request, name: str, body: RoleBody, who: Viewer = Depends(api_action(ADMIN))
) -> dict[str, Any]:
    with acting(request) as session:
        return users.user_view(users.set_role(session, name, body.role, by=who.name))


@router.post("/users/{name}/password")
def set_password(
    request: Request, name: str, body: PasswordBody, who: Viewer = Depends(api_action(ADMIN))
) -> dict[str, Any]:
    with acting(request) as session:
        return users.user_view(users.set_password(session, name, body.password, by=who.name))


@router.post("/users/{name}/active")
def set_active(
    request: Request, name: str, body: ActiveBody, who: Viewer = Depends(api_action(ADMIN))
) -> dict[str, Any]:
    """Disable (sessions end, tokens revoked) or enable a user."""
    with acting(request) as session:
        return users.user_view(users.set_active(session, name, body.active, by=who.name))


@router.get("/config")
def show_config(request: Request, who: Viewer = Depends(need(ADMIN))) -> dict[str, Any]:
    """The settings in force (no secrets), the web and workflow settings."""
    return config_view(web_state(request))
