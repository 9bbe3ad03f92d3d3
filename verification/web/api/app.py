"""The API application, mounted at ``/api/v1``: its routers, JSON errors and
its OpenAPI document (behind a login, like everything else)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clue_pipeline.errors import ClueError
from verification.web.auth import SESSION_COOKIE, Viewer, need
from verification.web.errors import TooManyAttempts, code_of, status_of
from verification.web.state import WebState

log = logging.getLogger("verification.web.api")
PREFIX = "/api/v1"


def error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers or None
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for problem in exc.errors()[:3]:
        where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{where or 'request'}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_json_errors(app: FastAPI) -> None:
    @app.exception_handler(ClueError)
    async def clue_error(request: Request, exc: ClueError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        return error(status_of(exc), code_of(exc), str(exc), **headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, "invalid_input", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = "no such endpoint" if exc.status_code == 404 else str(exc.detail)
        return error(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(500, "internal_error", "internal error; the server log has the details")


def create_api(state: WebState) -> FastAPI:
    from verification.web.api import admin, clues, me, orders, reports

    api = FastAPI(
        title="clue-pipeline API",
        version="1",
        description=(
            "The analysts' workflow: the clue queue, clues, orders, supervision, reports. "
            "Authenticate with a personal token (`Authorization: Bearer clues_...`) or the "
            f"session cookie `{SESSION_COOKIE}` plus the `X-CSRF-Token` header (from `GET /me`) "
            "on state-changing calls."
        ),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        servers=[{"url": PREFIX}],
    )
    api.state.web = state
    install_json_errors(api)
    for module in (me, clues, orders, reports, admin):
        api.include_router(module.router)

    @api.get("/openapi.json", include_in_schema=False)
    def openapi(who: Viewer = Depends(need())) -> dict[str, Any]:
        schema = api.openapi()
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            "token": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
        }
        schema["security"] = [{"token": []}, {"session": []}]
        return schema

    return api
