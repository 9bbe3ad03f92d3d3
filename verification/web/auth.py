"""Who is asking, and may they: the session cookie (pages, and the API with
the ``X-CSRF-Token`` header on state-changing calls) or a personal API token
(``Authorization: Bearer clues_...``, no CSRF needed: a browser never sends
it by itself). Roles are checked here, on the server, for every route."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, Request
from starlette.responses import Response

from verification.accounts.roles import ANALYST, allows
from verification.accounts.sessions import session_user
from verification.accounts.tokens import token_user
from verification.web.errors import CsrfFailed, Forbidden, NotAuthenticated
from verification.web.state import reading, web_state

SESSION_COOKIE = "clues_session"
LOGIN_CSRF_COOKIE = "clues_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    role: str
    csrf_token: str | None  # None when the request came with an API token
    via: str  # cookie | token

    def allows(self, role: str) -> bool:
        return allows(self.role, role)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lookup(request: Request) -> Viewer | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        with reading(request) as session:
            user = token_user(session, header[7:].strip())
            if user is None:
                raise NotAuthenticated(
                    "the API token is not valid (unknown or revoked, or its user is disabled)"
                )
            return Viewer(user.id, user.name, user.role, None, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with reading(request) as session:
        found = session_user(session, cookie)
        if found is None:
            return None
        user = found.user
        return Viewer(user.id, user.name, user.role, found.csrf_token, "cookie")


def optional_viewer(request: Request) -> Viewer | None:
    if not hasattr(request.state, "viewer"):
        request.state.viewer = _lookup(request)
    return request.state.viewer


def viewer(request: Request) -> Viewer:
    """The logged-in user; NotAuthenticated (401, or the login page) else."""
    who = optional_viewer(request)
    if who is None:
        raise NotAuthenticated("log in first; hint: POST /login, or send an API token")
    return who


def need(role: str = ANALYST):  # noqa: ANN201 - a FastAPI dependency
    """A dependency: the viewer, when their role allows ``role``; 403 else."""

    def dependency(who: Viewer = Depends(viewer)) -> Viewer:
        if not who.allows(role):
            raise Forbidden(f"{who.name} is {who.role}: this needs the {role} role")
        return who

    return dependency


def same(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


async def form_csrf(request: Request, who: Viewer = Depends(viewer)) -> Viewer:
    """For page forms: the form's ``csrf_token`` is the session's."""
    form = await request.form()
    if not same(who.csrf_token, form.get(CSRF_FIELD)):  # type: ignore[arg-type]
        raise CsrfFailed("the form's CSRF token is missing or wrong; hint: reload the page")
    return who


def api_csrf(request: Request, who: Viewer = Depends(viewer)) -> Viewer:
    """For the API: a state-changing call with the session cookie carries the
    session's CSRF token in ``X-CSRF-Token``."""
    if (
        request.method in UNSAFE_METHODS
        and who.via == "cookie"
        and not same(who.csrf_token, request.headers.get(CSRF_HEADER))
    ):
        raise CsrfFailed(
            "missing or wrong X-CSRF-Token header; hint: send the csrf_token of GET /api/v1/me, "
            "or use an API token"
        )
    return who


def secure_cookies(request: Request) -> bool:
    mode = web_state(request).config.secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(web_state(request).config.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
    )


def api_action(role: str = ANALYST):  # noqa: ANN201 - a FastAPI dependency
    """A state-changing API call: the role first (403), then the CSRF header."""

    def dependency(request: Request, who: Viewer = Depends(need(role))) -> Viewer:
        return api_csrf(request, who)

    return dependency


def form_action(role: str = ANALYST):  # noqa: ANN201 - a FastAPI dependency
    """A page form: the role first (403), then the form's CSRF token."""

    async def dependency(request: Request, who: Viewer = Depends(need(role))) -> Viewer:
        return await form_csrf(request, who)

    return dependency
