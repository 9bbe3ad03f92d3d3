"""Logging in and out. The login form carries a CSRF token of its own (a
cookie and a field that must match), failed logins are limited per user
name and address, and a wrong name or password get the same answer."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from verification.accounts.sessions import end_session, start_session
from verification.accounts.users import authenticate
from verification.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Viewer,
    clear_session_cookie,
    client_address,
    form_csrf,
    optional_viewer,
    same,
    secure_cookies,
    set_session_cookie,
)
from verification.web.errors import TooManyAttempts
from verification.web.pages.common import page, safe_next
from verification.web.state import reading, web_state

router = APIRouter()
WRONG = "用户名或密码错误"


def _login_page(
    request: Request, *, next_path: str, error: str | None = None, status: int = 200, name: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        None,
        status=status,
        error=error,
        login_csrf=token,
        next_path=next_path,
        name=name,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/queue") -> Response:  # noqa: A002
    if optional_viewer(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/queue"),  # noqa: A002
) -> Response:
    state = web_state(request)
    target = safe_next(next)
    if not same(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(
            request,
            next_path=target,
            error="登录表单已过期，请重试（CSRF 校验失败）",
            status=403,
            name=name,
        )
    address = client_address(request)
    try:
        state.limiter.check(name, address)
    except TooManyAttempts as exc:
        response = _login_page(
            request,
            next_path=target,
            error=f"登录失败次数过多，请 {max(1, exc.retry_after // 60)} 分钟后再试",
            status=429,
            name=name,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    with reading(request) as session:
        user = authenticate(session, name, password)
        if user is None:
            state.limiter.failed(name, address)
            return _login_page(request, next_path=target, error=WRONG, status=401, name=name)
        token, _ = start_session(
            session,
            user,
            lifetime=state.config.session_lifetime,
            ip=address,
            user_agent=request.headers.get("user-agent"),
        )
    state.limiter.succeeded(name, address)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, who: Viewer = Depends(form_csrf)) -> Response:
    with reading(request) as session:
        end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, response)
    return response
