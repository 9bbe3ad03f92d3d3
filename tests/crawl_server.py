"""A local HTTP server for crawl tests: a registry of routes on 127.0.0.1.

    server = FixtureServer().start()
    server.add_page("/list", "<html>...</html>")
    server.add_route("/api", lambda request: Reply(body=b"{}"))
    server.url("/list")  # http://127.0.0.1:PORT/list

A handler gets a :class:`RequestInfo` and returns a :class:`Reply`. Paths
without a route answer 404 (so robots.txt is absent unless added)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


class _Server(ThreadingHTTPServer):
    # more than the stdlib's listen backlog of 5: a crawler opens up to 8 connections at once,
    # and on a busy machine a dropped SYN is resent only after 1 s
    request_queue_size = 128


@dataclass
class RequestInfo:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, default)


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


Handler = Callable[[RequestInfo], Reply]


class FixtureServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[RequestInfo] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routes ---------------------------------------------------------------

    def add_route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def add_page(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
    ) -> None:
        reply = Reply(body=body, status=status, content_type=content_type)
        self.add_route(path, lambda _request: reply)

    def url(self, path: str = "/") -> str:
        assert self._httpd is not None, "start() the server first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    # -- life -----------------------------------------------------------------

    def start(self) -> FixtureServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                info = RequestInfo("GET", parts.path, query, dict(self.headers.items()))
                with server._lock:
                    server.requests.append(info)
                handler = server.routes.get(parts.path)
                reply = handler(info) if handler else Reply(b"not found", 404, "text/plain")
                body = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return None

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """Import into a test module: ``from crawl_server import fixture_server``."""
    server = FixtureServer().start()
    try:
        yield server
    finally:
        server.stop()


# -- helpers for crawl tests ---------------------------------------------------

TEST_POLITENESS = """\
defaults:
  download_delay: 0
  autothrottle: false
  retries: 1
  backoff: 0
  timeout: 10
"""


def write_platforms(directory, body: str, *, name: str = "platforms.yaml"):  # noqa: ANN001, ANN201
    """A platforms file: the test politeness defaults plus ``body`` (a
    ``platforms:`` block)."""
    path = directory / name
    path.write_text(TEST_POLITENESS + body, encoding="utf-8")
    return path


def stored_posts(database_url: str, platform: str) -> dict[str, object]:
    """Posts of ``platform`` by external id, read back from the database."""
    from sqlalchemy import select

    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import Post

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            posts = session.scalars(select(Post).where(Post.platform == platform)).all()
            return {p.external_id: p for p in posts}
    finally:
        engine.dispose()


def crawl_runs(database_url: str, platform: str | None = None) -> list[object]:
    """crawl_runs rows (of ``platform``), oldest first."""
    from sqlalchemy import select

    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import CrawlRun

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            query = select(CrawlRun).order_by(CrawlRun.id)
            if platform is not None:
                query = query.where(CrawlRun.platform == platform)
            return list(session.scalars(query).all())
    finally:
        engine.dispose()


class CrashOnOpen:
    """A Scrapy extension for isolation tests: the crawl process of the platform
    named by the ``CRASH_PLATFORM`` setting dies right after its run started."""

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        from scrapy import signals

        extension = cls()
        extension.target = crawler.settings.get("CRASH_PLATFORM")
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider) -> None:  # noqa: ANN001
        if spider.name == self.target:
            import os

            os._exit(3)


CRASH_SETTINGS = {
    "EXTENSIONS": {"tests.crawl_server.CrashOnOpen": 900},
}
