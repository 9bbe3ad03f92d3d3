"""Failure endpoints for crawl tests: a message board whose posts sit behind
every fault a real platform shows, next to good ones.

``FaultSite`` answers requests of a stdlib ``BaseHTTPRequestHandler`` and logs
every hit (path and time), so tests can count retries and measure the gaps
between them. Under ``/faults/``:

- ``board/list[?only=a,b]``    list page linking the posts below (malformed markup)
- ``board/post/<id>``          a good post
- ``rate-limited/<id>``        429 ``Retry-After: RETRY_AFTER`` for the first hits, then 200
- ``rate-limited-long/<id>``   429 ``Retry-After: 3600`` always (over max_retry_after)
- ``burst-500/<id>``           500 for the first ``BURST_500_HITS`` hits, then 200
- ``always-500/<id>``          500 always
- ``slow/<id>``                answers after ``SLOW_SECONDS`` (longer than the timeout)
- ``truncated/<id>``           Content-Length larger than the body sent, then closed
- ``malformed/<id>``           unclosed tags and garbage around a readable post
- ``loop/<id>``                302 to ``loop/<id>-b``, which 302s back
- ``huge/<id>``                a ``HUGE_BYTES`` page with Content-Length
- ``huge-stream/<id>``         a ``HUGE_BYTES`` page without Content-Length
- ``gbk/<id>``                 a GBK page, no charset in header or ``<meta>``
- ``private/<id>``             disallowed by ``/robots.txt``
- ``api?page=N``               JSON API: page 1 good, page 2 malformed JSON
- ``flaky/list``, ``flaky/post/<id>``  healthy or broken as ``site.flaky_mode`` says
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/faults"
RETRY_AFTER = 1  # seconds asked by rate-limited/
RATE_LIMITED_HITS = 1  # 429s before rate-limited/ answers
BURST_500_HITS = 2  # 500s before burst-500/ answers
SLOW_SECONDS = 3.0  # the test platform's timeout is 1 s
HUGE_BYTES = 10_000_000
TRUNCATED_LENGTH = 4000  # announced; about 600 bytes are sent
ROBOTS_TXT = f"User-agent: *\nDisallow: {PREFIX}/private/\n"

GOOD_IDS = ("g1", "g2", "g3")
# post id -> path of its detail page
BOARD_POSTS: dict[str, str] = {
    **{pid: f"{PREFIX}/board/post/{pid}" for pid in GOOD_IDS},
    "r1": f"{PREFIX}/rate-limited/r1",
    "x1": f"{PREFIX}/rate-limited-long/x1",
    "b1": f"{PREFIX}/burst-500/b1",
    "d1": f"{PREFIX}/always-500/d1",
    "s1": f"{PREFIX}/slow/s1",
    "t1": f"{PREFIX}/truncated/t1",
    "m1": f"{PREFIX}/malformed/m1",
    "l1": f"{PREFIX}/loop/l1",
    "h1": f"{PREFIX}/huge/h1",
    "h2": f"{PREFIX}/huge-stream/h2",
    "k1": f"{PREFIX}/gbk/k1",
    "p1": f"{PREFIX}/private/p1",
}
# posts that end up stored: good ones and faults that are retried or read anyway
STORED_IDS = frozenset({*GOOD_IDS, "r1", "b1", "m1", "k1"})
GBK_TEXT = "小区门口的井盖丢了，很危险。"  # short: Scrapy alone guesses cp949 for it
MALFORMED_TEXT = "公交站台的顶棚漏雨，下雨天没法等车"
API_GOOD_IDS = ("a1", "a2")
FLAKY_IDS = ("f1", "f2", "f3")
FLAKY_MODES = ("healthy", "list_down", "posts_down")


def post_text(post_id: str) -> str:
    """The text a post's detail page carries (what a test expects stored)."""
    if post_id == "k1":
        return GBK_TEXT
    if post_id == "m1":
        return MALFORMED_TEXT
    return f"帖子 {post_id} 的正文：人行道地砖松动，老人容易绊倒。"


def detail_page(post_id: str) -> str:
    return (
        "<!DOCTYPE html><html><head><title>帖子</title></head><body>"
        f'<h1 class="title">标题 {escape(post_id)}</h1>'
        f'<div class="content">{escape(post_text(post_id))}</div>'
        '<span class="time">2019/2/28 11:25:05</span>'
        "</body></html>"
    )


def gbk_page() -> str:
    """A short message-board post, as many 问政 boards serve them: GBK bytes, no
    charset anywhere."""
    return f'<html><body><div class="content">{GBK_TEXT}</div></body></html>'


def list_page(posts: dict[str, str]) -> str:
    """A list page with some malformed markup (unclosed tags, stray bytes)."""
    items = "".join(
        f'<li class="post" data-id="{pid}"><a class="title" href="{path}">标题 {pid}</a>'
        "<span class=author>居民</span>"  # unquoted attribute, left open on purpose below
        + ("<b>" if index % 3 == 0 else "")
        + "</li>"
        for index, (pid, path) in enumerate(posts.items())
    )
    return f"<html><head><title>留言板</title><body><ul class=posts>{items}<p>&&bogus;<<</body>"


def malformed_page() -> str:
    return (
        "<html><head><title>坏页面</title><body><div class=content>"
        f"{MALFORMED_TEXT}<p><b><i>未闭合</div></span>"
        '<<script>var x = "</div>";</scr'
        "<table><tr><td>&#xZZ; &nbsp garbage \x00 \x1b </td></table"
    )


@dataclass
class Hit:
    path: str
    at: float  # time.monotonic()


class FaultSite:
    """State and handlers of the fault endpoints (shared by server threads)."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.flaky_mode = "healthy"
        self._counts: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._routes: list[tuple[re.Pattern[str], Callable[..., None]]] = [
            (re.compile(rf"^{PREFIX}/board/list$"), self._board_list),
            (re.compile(rf"^{PREFIX}/board/post/(\w+)$"), self._good_post),
            (re.compile(rf"^{PREFIX}/rate-limited/(\w+)$"), self._rate_limited),
            (re.compile(rf"^{PREFIX}/rate-limited-long/(\w+)$"), self._rate_limited_long),
            (re.compile(rf"^{PREFIX}/burst-500/(\w+)$"), self._burst_500),
            (re.compile(rf"^{PREFIX}/always-500/(\w+)$"), self._always_500),
            (re.compile(rf"^{PREFIX}/slow/(\w+)$"), self._slow),
            (re.compile(rf"^{PREFIX}/truncated/(\w+)$"), self._truncated),
            (re.compile(rf"^{PREFIX}/malformed/(\w+)$"), self._malformed),
            (re.compile(rf"^{PREFIX}/loop/([\w-]+)$"), self._loop),
            (re.compile(rf"^{PREFIX}/huge/(\w+)$"), self._huge),
            (re.compile(rf"^{PREFIX}/huge-stream/(\w+)$"), self._huge_stream),
            (re.compile(rf"^{PREFIX}/gbk/(\w+)$"), self._gbk),
            (re.compile(rf"^{PREFIX}/private/(\w+)$"), self._good_post),
            (re.compile(rf"^{PREFIX}/api$"), self._api),
            (re.compile(rf"^{PREFIX}/flaky/list$"), self._flaky_list),
            (re.compile(rf"^{PREFIX}/flaky/post/(\w+)$"), self._flaky_post),
            (re.compile(r"^/robots\.txt$"), self._robots),
        ]

    # -- bookkeeping --------------------------------------------------------

    def count(self, path: str) -> int:
        with self._lock:
            return self._counts[path]

    def times(self, path: str) -> list[float]:
        with self._lock:
            return [hit.at for hit in self.hits if hit.path == path]

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self._counts.clear()

    def _hit(self, path: str) -> int:
        with self._lock:
            self.hits.append(Hit(path, time.monotonic()))
            self._counts[path] += 1
            return self._counts[path]

    # -- dispatch -------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> bool:
        """Answer ``handler``'s request when it is a fault endpoint."""
        parts = urlsplit(handler.path)
        for pattern, route in self._routes:
            match = pattern.match(parts.path)
            if match:
                number = self._hit(parts.path)
                # the crawler may hang up (size limit, time-out): expected
                with suppress(BrokenPipeError, ConnectionResetError):
                    route(handler, *match.groups(), hit=number, query=parse_qs(parts.query))
                return True
        return False

    # -- endpoints ------------------------------------------------------------

    def _board_list(
        self, handler: BaseHTTPRequestHandler, *, query: dict[str, list[str]], **_: Any
    ) -> None:
        only = query.get("only", [""])[0].split(",")
        posts = {pid: path for pid, path in BOARD_POSTS.items() if pid in only or only == [""]}
        send(handler, 200, list_page(posts))

    def _good_post(self, handler: BaseHTTPRequestHandler, post_id: str, **_: Any) -> None:
        send(handler, 200, detail_page(post_id))

    def _rate_limited(
        self, handler: BaseHTTPRequestHandler, post_id: str, *, hit: int, **_: Any
    ) -> None:
        if hit <= RATE_LIMITED_HITS:
            send(handler, 429, "slow down", headers={"Retry-After": str(RETRY_AFTER)})
        else:
            send(handler, 200, detail_page(post_id))

    def _rate_limited_long(self, handler: BaseHTTPRequestHandler, *_: Any, **__: Any) -> None:
        send(handler, 429, "come back in an hour", headers={"Retry-After": "3600"})

    def _burst_500(
        self, handler: BaseHTTPRequestHandler, post_id: str, *, hit: int, **_: Any
    ) -> None:
        if hit <= BURST_500_HITS:
            send(handler, 500, "internal error")
        else:
            send(handler, 200, detail_page(post_id))

    def _always_500(self, handler: BaseHTTPRequestHandler, *_: Any, **__: Any) -> None:
        send(handler, 500, "internal error")

    def _slow(self, handler: BaseHTTPRequestHandler, post_id: str, **_: Any) -> None:
        time.sleep(SLOW_SECONDS)
        send(handler, 200, detail_page(post_id))

    def _truncated(self, handler: BaseHTTPRequestHandler, post_id: str, **_: Any) -> None:
        body = detail_page(post_id).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(TRUNCATED_LENGTH))
        handler.end_headers()
        handler.wfile.write(body[: TRUNCATED_LENGTH // 7])
        handler.wfile.flush()
        hang_up(handler)

    def _malformed(self, handler: BaseHTTPRequestHandler, *_: Any, **__: Any) -> None:
        send(handler, 200, malformed_page())

    def _loop(self, handler: BaseHTTPRequestHandler, name: str, **_: Any) -> None:
        target = name[:-2] if name.endswith("-b") else f"{name}-b"
        send(handler, 302, "", headers={"Location": f"{PREFIX}/loop/{target}"})

    def _huge(self, handler: BaseHTTPRequestHandler, *_: Any, **__: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(HUGE_BYTES))
        handler.end_headers()
        stream_filler(handler)

    def _huge_stream(self, handler: BaseHTTPRequestHandler, *_: Any, **__: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Connection", "close")
        handler.end_headers()
        stream_filler(handler)
        hang_up(handler)

    def _gbk(self, handler: BaseHTTPRequestHandler, *_: Any, **__: Any) -> None:
        send(handler, 200, gbk_page(), encoding="gbk", content_type="text/html")

    def _api(self, handler: BaseHTTPRequestHandler, *, query: dict[str, list[str]], **_: Any):
        page = query.get("page", ["1"])[0]
        if page == "1":
            records = [{"id": pid, "content": post_text(pid)} for pid in API_GOOD_IDS]
            send(handler, 200, json.dumps({"data": records}), content_type="application/json")
        else:
            broken = '{"data": [{"id": "a3", "content": "半截'
            send(handler, 200, broken, content_type="application/json")

    def _flaky_list(self, handler: BaseHTTPRequestHandler, **_: Any) -> None:
        if self.flaky_mode == "list_down":
            send(handler, 503, "maintenance")
            return
        posts = {pid: f"{PREFIX}/flaky/post/{pid}" for pid in FLAKY_IDS}
        send(handler, 200, list_page(posts))

    def _flaky_post(self, handler: BaseHTTPRequestHandler, post_id: str, **_: Any) -> None:
        if self.flaky_mode == "posts_down":
            send(handler, 502, "bad gateway")
        else:
            send(handler, 200, detail_page(post_id))

    def _robots(self, handler: BaseHTTPRequestHandler, **_: Any) -> None:
        send(handler, 200, ROBOTS_TXT, content_type="text/plain")


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: str,
    *,
    headers: dict[str, str] | None = None,
    encoding: str = "utf-8",
    content_type: str | None = None,
) -> None:
    data = body.encode(encoding)
    handler.send_response(status)
    handler.send_header("Content-Type", content_type or f"text/html; charset={encoding}")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def stream_filler(handler: BaseHTTPRequestHandler) -> None:
    """``HUGE_BYTES`` of HTML, in 64 KiB writes (the crawler hangs up early)."""
    chunk = (b"<p>" + "填充".encode() * 10_000 + b"</p>")[: 64 * 1024]
    sent = 0
    while sent < HUGE_BYTES:
        piece = chunk[: HUGE_BYTES - sent]
        handler.wfile.write(piece)
        sent += len(piece)


def hang_up(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    with suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    site: FaultSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        if not self.site.handle(self):
            send(self, 404, "not found")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    # The stdlib's listen backlog of 5 is less than the crawler's 8 concurrent connections:
    # on a busy machine a dropped SYN is resent after 1 s, past the platform's 1 s timeout,
    # and the crawler counts a retry the site never saw (a flaky hit count).
    request_queue_size = 128


@contextmanager
def serve_faults() -> Iterator[tuple[str, FaultSite]]:
    """A fault site on 127.0.0.1 (a free port): its base URL and its state."""
    site = FaultSite()
    handler = type("FaultHandler", (_Handler,), {"site": site})
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", site
    finally:
        server.shutdown()
        server.server_close()
