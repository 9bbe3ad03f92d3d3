"""The application factory of ``clues serve``: the pages, the API mounted at
``/api/v1``, the static files, security headers on every answer, and errors
shown as pages (or JSON under the API)."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from clue_pipeline.errors import ClueError
from clue_pipeline.secret_key import secret_key
from verification.web.config import WebConfig, load_web_config
from verification.web.config_view import shown_url
from verification.web.errors import NotAuthenticated, status_of
from verification.web.present import Presenter
from verification.web.ratelimit import LoginLimiter
from verification.web.security import SecurityHeaders
from verification.web.state import WebState

STATIC = Path(__file__).with_name("static")
log = logging.getLogger("verification.web")


def create_app(
    database_url: str | None = None,
    *,
    config: WebConfig | None = None,
    engine: Engine | None = None,
) -> FastAPI:
    """The web app over the database at ``database_url`` (default: the
    configured one), which must be migrated to this version's schema."""
    from clue_pipeline import settings
    from verification.cli.common import open_engine
    from verification.web.api.app import PREFIX, create_api
    from verification.web.pages import account, admin, clue, dashboard, login, orders, queue
    from verification.web.pages import reports as report_pages

    config = config or load_web_config()
    engine = engine or open_engine(database_url)
    state = WebState(
        engine=engine,
        config=config,
        limiter=LoginLimiter(config.login_attempts, config.login_window.total_seconds()),
        presenter=Presenter(secret_key()),
        database_shown=shown_url(database_url or settings.database_url()),
    )
    app = FastAPI(title="clue-pipeline", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = state
    app.add_middleware(SecurityHeaders)
    install_page_errors(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(PREFIX, create_api(state))
    for module in (login, queue, clue, orders, dashboard, report_pages, admin, account):
        app.include_router(module.router)
    return app


def install_page_errors(app: FastAPI) -> None:
    from verification.web.auth import optional_viewer
    from verification.web.pages.common import page

    def viewer_or_none(request: Request):  # noqa: ANN202
        try:
            return optional_viewer(request)
        except ClueError:
            return None

    @app.exception_handler(ClueError)
    async def clue_error(request: Request, exc: ClueError) -> Response:
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return page(
            request, "error.html", viewer_or_none(request), status=status_of(exc), error=str(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        problem = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in problem.get("loc", ()))
        message = f"{where}: {problem.get('msg', 'invalid')}"
        return page(request, "error.html", viewer_or_none(request), status=422, error=message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        message = "页面不存在" if exc.status_code == 404 else str(exc.detail)
        return page(
            request, "error.html", viewer_or_none(request), status=exc.status_code, error=message
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> HTMLResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return page(
            request, "error.html", None, status=500, error="服务器内部错误，详情见服务器日志"
        )
