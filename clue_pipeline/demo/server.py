"""The bundled demo platforms: five fictional sites of 云江市 on 127.0.0.1.

One small stdlib HTTP server plays every demo platform of the demo city
contract, each in its own style, so that ``clues demo`` crawls real HTTP with
the generic spiders and ``config/platforms.demo.yaml``:

- ``city_forum``    html list pages (title + summary) and detail pages, UTF-8
- ``gov_board``     问政 message board, html encoded as GBK
- ``short_video``   JSON feed API with cursor pagination and Chinese relative times
- ``district_news`` RSS 2.0 (and Atom) feed
- ``microblog``     an HTML shell whose posts only JavaScript renders (endless scroll)

Every post is served on the platform its ``platform`` field names, newest
first, its time rendered as ``now - age_minutes`` in that platform's style.
Post text is untrusted (the corpus carries script payloads on purpose): it is
escaped in every page built here, and the microblog script sets it as text.

Run alone: ``python -m clue_pipeline.demo.server --port 8800``.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import re
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).with_name("static")
TIMEZONE = ZoneInfo("Asia/Shanghai")
PLATFORMS = ("city_forum", "gov_board", "short_video", "district_news", "microblog")
FORUM_PAGE_SIZE = 20
BOARD_PAGE_SIZE = 15
VIDEO_PAGE_SIZE = 10
MICROBLOG_PAGE_SIZE = 10
SUMMARY_CHARS = 30


class DemoPostLike(Protocol):
    """What the server reads of a corpus post (``clue_pipeline.demo.corpus.DemoPost``)."""

    id: str
    platform: str
    title: str | None
    text: str
    author: str
    age_minutes: int
    likes: int
    comments: int
    reposts: int
    location: str | None
    media: Sequence[str]


@dataclass(frozen=True)
class ServedPost:
    """A corpus post placed on its platform: its publication time is fixed."""

    id: str
    platform: str
    title: str | None
    text: str
    author: str
    published: datetime
    likes: int
    comments: int
    reposts: int
    location: str | None
    media: tuple[str, ...]


# ---------------------------------------------------------------- time styles


def forum_time(when: datetime) -> str:
    """``2026-11-20 14:03``"""
    return f"{when:%Y-%m-%d %H:%M}"


def board_time(when: datetime) -> str:
    """``2019/2/28 11:25:05`` (no zero padding of month and day)."""
    return f"{when.year}/{when.month}/{when.day} {when:%H:%M:%S}"


def video_time(when: datetime, now: datetime) -> str:
    """``刚刚`` / ``3分钟前`` / ``2小时前`` / ``昨天 12:30`` / ``02-28`` / ``2025-02-28``."""
    age = now - when
    if age < timedelta(minutes=1):
        return "刚刚"
    if age < timedelta(hours=1):
        return f"{int(age.total_seconds() // 60)}分钟前"
    if when.date() == now.date():
        return f"{int(age.total_seconds() // 3600)}小时前"
    if when.date() == now.date() - timedelta(days=1):
        return f"昨天 {when:%H:%M}"
    if when.year == now.year:
        return f"{when:%m-%d}"
    return f"{when:%Y-%m-%d}"


def microblog_time(when: datetime, now: datetime) -> str:
    """``5分钟前`` / ``今天 08:01`` / ``04月25日 16:55`` / ``2025年04月25日 16:55``."""
    age = now - when
    if age < timedelta(minutes=1):
        return "刚刚"
    if age < timedelta(hours=1):
        return f"{int(age.total_seconds() // 60)}分钟前"
    if when.date() == now.date():
        return f"今天 {when:%H:%M}"
    if when.year == now.year:
        return f"{when:%m月%d日 %H:%M}"
    return f"{when:%Y年%m月%d日 %H:%M}"


def feed_time(when: datetime) -> str:
    """RFC 822, as RSS 2.0 wants: ``Fri, 20 Nov 2026 14:03:00 +0800``."""
    return format_datetime(when)


# ---------------------------------------------------------------- the site


class DemoSite:
    """Renders every page of the demo platforms; no sockets here."""

    def __init__(self, corpus: Sequence[DemoPostLike], now: datetime, base_url: str = "") -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.now = now.astimezone(TIMEZONE)
        self.base_url = base_url
        self.by_platform: dict[str, list[ServedPost]] = {name: [] for name in PLATFORMS}
        for post in corpus:
            if post.platform not in self.by_platform:
                raise ValueError(
                    f"demo post {post.id!r}: unknown platform {post.platform!r}; "
                    f"expected one of {', '.join(PLATFORMS)}"
                )
            self.by_platform[post.platform].append(self._place(post))
        for posts in self.by_platform.values():
            posts.sort(key=lambda p: (p.published, p.id), reverse=True)
        self.by_id = {(p.platform, p.id): p for ps in self.by_platform.values() for p in ps}

    def _place(self, post: DemoPostLike) -> ServedPost:
        return ServedPost(
            id=post.id,
            platform=post.platform,
            title=post.title,
            text=post.text,
            author=post.author,
            published=(self.now - timedelta(minutes=post.age_minutes)).replace(microsecond=0),
            likes=post.likes,
            comments=post.comments,
            reposts=post.reposts,
            location=post.location,
            media=tuple(post.media),
        )

    def media_url(self, name: str) -> str:
        if name.startswith(("http://", "https://")):
            return name
        if name.startswith("/"):
            return f"{self.base_url}{quote(name)}"
        return f"{self.base_url}/media/{quote(name)}"

    # ------------------------------------------------------------ city_forum

    def forum_list(self, page: int) -> bytes | None:
        posts = self.by_platform["city_forum"]
        chunk, last = _page(posts, page, FORUM_PAGE_SIZE)
        if chunk is None:
            return None
        rows = []
        for post in chunk:
            summary = post.text[:SUMMARY_CHARS] + ("…" if len(post.text) > SUMMARY_CHARS else "")
            rows.append(
                f'<li class="topic">'
                f'<a class="title" data-id="{_e(post.id)}" href="/forum/post/{_q(post.id)}">'
                f"{_e(post.title or post.text[:20])}</a>"
                f'<p class="summary">{_e(summary)}</p>'
                f'<span class="meta">{post.comments} 回复</span></li>'
            )
        pager = _pager("/forum/list", page, last)
        body = f'<h1>云江论坛 · 民生版</h1><ul class="topics">{"".join(rows)}</ul>{pager}'
        return _html_page(f"云江论坛 第{page}页", body).encode("utf-8")

    def forum_post(self, post_id: str) -> bytes | None:
        post = self.by_id.get(("city_forum", post_id))
        if post is None:
            return None
        views = post.likes * 9 + post.comments * 4 + 17
        location = f'<span class="location">{_e(post.location)}</span>' if post.location else ""
        paragraphs = "".join(f"<p>{_e(line)}</p>" for line in post.text.splitlines() if line)
        body = (
            f'<article class="post" data-id="{_e(post.id)}">'
            f'<h1 class="title">{_e(post.title or "")}</h1>'
            f'<div class="meta">楼主 <span class="author">{_e(post.author)}</span>'
            f' 发表于 <span class="time">{forum_time(post.published)}</span>'
            f' 查看 <span class="views">{views}</span>'
            f' 回复 <span class="replies">{post.comments}</span>'
            f' 赞 <span class="likes">{post.likes}</span> {location}</div>'
            f'<div class="content">{paragraphs}</div>'
            f'<div class="images">{_images(self, post)}</div>'
            f'<a href="/forum/list?page=1">返回列表</a></article>'
        )
        return _html_page(post.title or "云江论坛", body).encode("utf-8")

    # ------------------------------------------------------------ gov_board

    def board_list(self, page: int) -> bytes | None:
        posts = self.by_platform["gov_board"]
        chunk, last = _page(posts, page, BOARD_PAGE_SIZE)
        if chunk is None:
            return None
        rows = "".join(
            f'<tr class="msg" data-id="{_e(post.id)}">'
            f'<td class="title"><a href="/board/msg/{_q(post.id)}">'
            f"{_e(post.title or post.text[:20])}</a></td>"
            f'<td class="time">{board_time(post.published)}</td>'
            f'<td class="status">{_board_status(post)}</td></tr>'
            for post in chunk
        )
        body = (
            "<h1>云江市人民政府 · 问政留言板</h1>"
            '<table class="messages"><tr><th>留言标题</th><th>留言时间</th><th>状态</th></tr>'
            f"{rows}</table>{_pager('/board/list', page, last)}"
        )
        return _gbk(_html_page(f"问政留言板 第{page}页", body, charset="gbk"))

    def board_msg(self, post_id: str) -> bytes | None:
        post = self.by_id.get(("gov_board", post_id))
        if post is None:
            return None
        location = _e(post.location) if post.location else "未填写"
        body = (
            f'<div class="message" data-id="{_e(post.id)}">'
            f'<h2 class="title">{_e(post.title or "")}</h2>'
            '<table class="info">'
            f'<tr><th>留言人</th><td class="author">{_e(post.author)}</td></tr>'
            f'<tr><th>留言时间</th><td class="time">{board_time(post.published)}</td></tr>'
            f'<tr><th>问题地点</th><td class="location">{location}</td></tr>'
            f'<tr><th>办理状态</th><td class="status">{_board_status(post)}</td></tr>'
            f'<tr><th>支持</th><td class="likes">{post.likes}</td></tr>'
            f'<tr><th>跟帖</th><td class="comments">{post.comments}</td></tr>'
            "</table>"
            f'<div class="content">{_e(post.text)}</div>'
            f'<div class="images">{_images(self, post)}</div></div>'
        )
        return _gbk(_html_page(post.title or "问政留言", body, charset="gbk"))

    # ------------------------------------------------------------ short_video

    def video_feed(self, cursor: str) -> dict[str, Any] | None:
        posts = self.by_platform["short_video"]
        offset = _decode_cursor(cursor)
        if offset is None or offset > len(posts):
            return None
        chunk = posts[offset : offset + VIDEO_PAGE_SIZE]
        end = offset + len(chunk)
        items = [
            {
                "aweme_id": post.id,
                "desc": post.text,
                "create_time": video_time(post.published, self.now),
                "author": {"nickname": post.author, "uid": _uid(post.author)},
                "stats": {
                    "digg_count": post.likes,
                    "comment_count": post.comments,
                    "share_count": post.reposts,
                },
                "poi": {"name": post.location} if post.location else None,
                "cover": {"url_list": [self.media_url(m) for m in post.media]},
                "share_url": f"{self.base_url}/short_video/v/{quote(post.id)}",
            }
            for post in chunk
        ]
        next_cursor = _encode_cursor(end) if end < len(posts) else None
        return {"status_code": 0, "data": {"items": items, "next_cursor": next_cursor}}

    def video_page(self, post_id: str) -> bytes | None:
        post = self.by_id.get(("short_video", post_id))
        if post is None:
            return None
        body = (
            f'<div class="video" data-id="{_e(post.id)}"><p class="desc">{_e(post.text)}</p>'
            f'<p>@<span class="author">{_e(post.author)}</span> · '
            f"{video_time(post.published, self.now)} · 赞 {post.likes}</p></div>"
        )
        return _html_page("云江短视频", body).encode("utf-8")

    # ------------------------------------------------------------ district_news

    def news_rss(self) -> bytes:
        items = []
        for post in self.by_platform["district_news"]:
            link = f"{self.base_url}/news/{quote(post.id)}.html"
            enclosures = "".join(
                f'<enclosure url="{_x(self.media_url(m))}" type="image/jpeg" length="0"/>'
                for m in post.media
            )
            category = f"<category>{_x(post.location)}</category>" if post.location else ""
            items.append(
                "<item>"
                f"<title>{_x(post.title or post.text[:30])}</title>"
                f"<link>{_x(link)}</link>"
                f'<guid isPermaLink="false">{_x(post.id)}</guid>'
                f"<description>{_x(post.text)}</description>"
                f"<dc:creator>{_x(post.author)}</dc:creator>"
                f"<pubDate>{feed_time(post.published)}</pubDate>"
                f"{category}{enclosures}</item>"
            )
        rss = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            "<title>云江区县新闻</title>"
            f"<link>{_x(self.base_url)}/news/</link>"
            "<description>云江市各区县政务与民生新闻</description><language>zh-cn</language>"
            f"<lastBuildDate>{feed_time(self.now)}</lastBuildDate>"
            f"{''.join(items)}</channel></rss>"
        )
        return rss.encode("utf-8")

    def news_atom(self) -> bytes:
        entries = []
        for post in self.by_platform["district_news"]:
            link = f"{self.base_url}/news/{quote(post.id)}.html"
            entries.append(
                "<entry>"
                f"<id>{_x(post.id)}</id>"
                f'<title type="text">{_x(post.title or post.text[:30])}</title>'
                f'<link rel="alternate" href="{_x(link)}"/>'
                f"<updated>{post.published.isoformat()}</updated>"
                f"<published>{post.published.isoformat()}</published>"
                f"<author><name>{_x(post.author)}</name></author>"
                f'<summary type="text">{_x(post.text)}</summary>'
                "</entry>"
            )
        atom = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>云江区县新闻</title>"
            f"<id>{_x(self.base_url)}/news/atom.xml</id>"
            f"<updated>{self.now.isoformat()}</updated>"
            f"{''.join(entries)}</feed>"
        )
        return atom.encode("utf-8")

    def news_page(self, post_id: str) -> bytes | None:
        post = self.by_id.get(("district_news", post_id))
        if post is None:
            return None
        body = (
            f'<article data-id="{_e(post.id)}"><h1>{_e(post.title or "")}</h1>'
            f'<p class="meta">{_e(post.author)} · {forum_time(post.published)}</p>'
            f'<div class="content">{_e(post.text)}</div>'
            f'<div class="images">{_images(self, post)}</div></article>'
        )
        return _html_page(post.title or "云江新闻", body).encode("utf-8")

    # ------------------------------------------------------------ microblog

    def microblog_page(self, n: int) -> dict[str, Any] | None:
        posts = self.by_platform["microblog"]
        chunk, last = _page(posts, n, MICROBLOG_PAGE_SIZE)
        if chunk is None:
            return None
        cards = [
            {
                "mid": post.id,
                "user": post.author,
                "created_at": microblog_time(post.published, self.now),
                "text": post.text,
                "reposts": post.reposts,
                "comments": post.comments,
                "likes": post.likes,
                "location": post.location,
                "pics": [self.media_url(m) for m in post.media],
                "url": f"{self.base_url}/microblog/m/{quote(post.id)}",
            }
            for post in chunk
        ]
        return {"page": n, "cards": cards, "has_more": n < last}

    def microblog_post(self, post_id: str) -> bytes | None:
        post = self.by_id.get(("microblog", post_id))
        if post is None:
            return None
        body = (
            f'<div class="card" data-mid="{_e(post.id)}">'
            f'<div class="author">{_e(post.author)}</div>'
            f'<div class="time">{microblog_time(post.published, self.now)}</div>'
            f'<div class="text">{_e(post.text)}</div></div>'
        )
        return _html_page("云江微博", body).encode("utf-8")

    def index(self) -> bytes:
        counts = {name: len(posts) for name, posts in self.by_platform.items()}
        links = (
            f'<li><a href="/forum/list?page=1">city_forum</a> ({counts["city_forum"]})</li>'
            f'<li><a href="/board/list?page=1">gov_board</a> ({counts["gov_board"]})</li>'
            f'<li><a href="/api/short_video/feed">short_video</a> ({counts["short_video"]})</li>'
            f'<li><a href="/news/rss.xml">district_news</a> ({counts["district_news"]})</li>'
            f'<li><a href="/microblog/">microblog</a> ({counts["microblog"]})</li>'
        )
        return _html_page("云江市演示平台", f"<h1>云江市演示平台</h1><ul>{links}</ul>").encode()


# ---------------------------------------------------------------- page helpers


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def _x(value: str) -> str:
    return xml_escape(value, {'"': "&quot;"})


def _q(value: str) -> str:
    return quote(value, safe="")


def _uid(author: str) -> str:
    return f"u{zlib.crc32(author.encode('utf-8')):08x}"


def _gbk(page: str) -> bytes:
    # Characters GBK lacks (emoji) become numeric references, as such sites do.
    return page.encode("gbk", errors="xmlcharrefreplace")


def _page(posts: list[ServedPost], page: int, size: int) -> tuple[list[ServedPost] | None, int]:
    last = max(1, -(-len(posts) // size))
    if page < 1 or page > last:
        return None, last
    return posts[(page - 1) * size : page * size], last


def _pager(path: str, page: int, last: int) -> str:
    parts = ['<div class="pager">']
    if page > 1:
        parts.append(f'<a class="prev" href="{path}?page={page - 1}">上一页</a>')
    parts.append(f'<span class="current">{page}/{last}</span>')
    if page < last:
        parts.append(f'<a class="next" href="{path}?page={page + 1}">下一页</a>')
    parts.append("</div>")
    return "".join(parts)


def _images(site: DemoSite, post: ServedPost) -> str:
    return "".join(f'<img src="{_e(site.media_url(m))}" alt="">' for m in post.media)


def _board_status(post: ServedPost) -> str:
    return "已回复" if post.comments > 0 else "办理中"


def _html_page(title: str, body: str, *, charset: str = "utf-8") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="{charset}">'
        f"<title>{_e(title)}</title></head><body>{body}</body></html>"
    )


def _encode_cursor(offset: int) -> str:
    return f"c{offset * 7919:x}"


def _decode_cursor(cursor: str) -> int | None:
    if not cursor:
        return 0
    if not re.fullmatch(r"c[0-9a-f]+", cursor):
        return None
    value = int(cursor[1:], 16)
    return value // 7919 if value % 7919 == 0 else None


def _static(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


MEDIA_PLACEHOLDER = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120">'
    b'<rect width="160" height="120" fill="#d9e2ec"/></svg>'
)
ROBOTS = b"User-agent: *\nAllow: /\n"


# ---------------------------------------------------------------- HTTP


Response = tuple[int, str, bytes]
HTML = "text/html; charset=utf-8"
GBK_HTML = "text/html; charset=gbk"
JSON = "application/json; charset=utf-8"
NOT_FOUND: Response = (404, "text/plain; charset=utf-8", b"not found\n")
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def route(site: DemoSite, target: str) -> Response:
    """Answer one request target (path and query) of the demo site."""
    parts = urlsplit(target)
    path, query = parts.path, parse_qs(parts.query)
    body: bytes | None = None
    content_type = HTML
    if path == "/":
        body = site.index()
    elif path == "/robots.txt":
        body, content_type = ROBOTS, "text/plain; charset=utf-8"
    elif path == "/forum/list":
        body = _with_int(query, "page", site.forum_list)
    elif match := re.fullmatch(r"/forum/post/([\w-]+)", path):
        body = site.forum_post(match[1])
    elif path == "/board/list":
        body, content_type = _with_int(query, "page", site.board_list), GBK_HTML
    elif match := re.fullmatch(r"/board/msg/([\w-]+)", path):
        body, content_type = site.board_msg(match[1]), GBK_HTML
    elif path == "/api/short_video/feed":
        body, content_type = _json(site.video_feed(query.get("cursor", [""])[0])), JSON
    elif match := re.fullmatch(r"/short_video/v/([\w-]+)", path):
        body = site.video_page(match[1])
    elif path == "/news/rss.xml":
        body, content_type = site.news_rss(), "application/rss+xml; charset=utf-8"
    elif path == "/news/atom.xml":
        body, content_type = site.news_atom(), "application/atom+xml; charset=utf-8"
    elif match := re.fullmatch(r"/news/([\w-]+)\.html", path):
        body = site.news_page(match[1])
    elif path in ("/microblog", "/microblog/"):
        body = _static("microblog.html")
    elif path == "/api/microblog/page":
        body, content_type = _json(_with_int(query, "n", site.microblog_page)), JSON
    elif match := re.fullmatch(r"/microblog/m/([\w-]+)", path):
        body = site.microblog_post(match[1])
    elif match := re.fullmatch(r"/static/(microblog(\.js|\.css))", path):
        body, content_type = _static(match[1]), STATIC_TYPES[match[2]]
    elif path.startswith("/media/"):
        body, content_type = MEDIA_PLACEHOLDER, "image/svg+xml"
    if body is None:
        return NOT_FOUND
    return 200, content_type, body


def _with_int(query: dict[str, list[str]], name: str, render: Callable[[int], Any]) -> Any:
    """``render(int(query[name]))``, or None (404) when the value is no integer."""
    values = query.get(name) or ["1"]
    try:
        number = int(values[0])
    except ValueError:
        return None
    return render(number)


def _json(payload: dict[str, Any] | None) -> bytes | None:
    return None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "YunjiangDemo/1.0"
    site: DemoSite  # set on the subclass made per server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        try:
            status, content_type, body = route(self.site, self.path)
        except Exception:
            logger.exception("demo server failed on %s", self.path)
            status, content_type, body = 500, "text/plain; charset=utf-8", b"server error\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


class DemoServer:
    """The demo platforms on ``host:port`` (port 0: a free one) in a background thread.

    >>> with DemoServer(load_corpus()) as server:
    ...     print(server.base_url)
    """

    def __init__(
        self,
        corpus: Sequence[DemoPostLike],
        host: str = "127.0.0.1",
        port: int = 0,
        now: datetime | None = None,
    ) -> None:
        self.corpus = list(corpus)
        self.host = host
        self.port = port
        self.now = now or datetime.now(TIMEZONE)
        self.site: DemoSite | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the demo server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DemoServer:
        if self._httpd is not None:
            return self
        handler = type("DemoHandler", (_Handler,), {})
        httpd = ThreadingHTTPServer((self.host, self.port), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self.site = DemoSite(self.corpus, self.now, self.base_url)
        handler.site = self.site
        self._thread = threading.Thread(target=httpd.serve_forever, name="demo-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the demo platforms of 云江市.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args(argv)

    from clue_pipeline.demo.corpus import load_corpus

    server = DemoServer(load_corpus(), host=args.host, port=args.port).start()
    print(f"demo platforms at {server.base_url}/ (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
