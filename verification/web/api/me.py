"""``/api/v1/me`` and one's own API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from clue_pipeline.storage.models import User
from verification.accounts import tokens
from verification.web.api.schemas import TokenBody
from verification.web.auth import Viewer, api_action, need
from verification.web.state import acting, reading

router = APIRouter(tags=["account"])


@router.get("/me")
def me(who: Viewer = Depends(need())) -> dict[str, Any]:
    """Who is logged in, their role, and (with the cookie) the CSRF token that
    state-changing calls send as ``X-CSRF-Token``."""
    return {"name": who.name, "role": who.role, "via": who.via, "csrf_token": who.csrf_token}


@router.get("/tokens")
def list_tokens(request: Request, who: Viewer = Depends(need())) -> dict[str, Any]:
    with reading(request) as session:
        items = [tokens.token_view(t) for t in tokens.tokens_of(session, session.get(User, who.id))]
    return {"items": items, "total": len(items)}


@router.post("/tokens", status_code=201)
def create_token(
    request: Request, body: TokenBody, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    """A new personal token; its value is in this answer only."""
    with acting(request) as session:
        token, row = tokens.create_token(session, session.get(User, who.id), body.name)
        return {**tokens.token_view(row), "token": token}


@router.delete("/tokens/{token_id}")
def revoke_token(
    request: Request, token_id: int, who: Viewer = Depends(api_action())
) -> dict[str, Any]:
    with acting(request) as session:
        return tokens.token_view(tokens.revoke_token(session, session.get(User, who.id), token_id))
