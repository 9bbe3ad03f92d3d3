"""The demo platforms server (clue_pipeline.demo.server) and ``clues demo``.

The server is tested over real HTTP on 127.0.0.1 with posts built here in the
corpus format (every platform carries a script payload); the command runs end
to end in a subprocess over the packaged corpus, with real Scrapy crawls and,
when /usr/bin/chromium exists, a real browser."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
import sqlalchemy
from cli_run import run_clues

from clue_pipeline.demo.corpus import DemoPost, load_corpus
from clue_pipeline.demo.server import (
    FORUM_PAGE_SIZE,
    PLATFORMS,
    TIMEZONE,
    DemoServer,
    board_time,
    forum_time,
    microblog_time,
    video_time,
)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
NOW = datetime(2026, 11, 20, 14, 3, 30, tzinfo=TIMEZONE)
VIDEO_TIME = r"刚刚|\d+分钟前|\d+小时前|昨天 \d\d:\d\d|\d\d-\d\d"
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def make_post(number: int, platform: str, **fields: Any) -> DemoPost:
    values: dict[str, Any] = {
        "id": f"d{number:04d}",
        "platform": platform,
        "title": f"标题{number} 路灯不亮<script>alert({number})</script>",
        "text": f"第{number}条 云江区滨江路路灯不亮已经三天了 {PAYLOAD} 😀 希望尽快修",
        "author": f"居民{number}",
        "age_minutes": number * 37,
        "likes": number,
        "comments": number % 4,
        "reposts": number % 3,
        "location": "滨江路" if number % 2 else None,
        "media": [f"/media/d{number:04d}.jpg"] if number % 3 == 0 else [],
        "problem": None,
        "category": "noise",
        "item": None,
        "urgent": False,
        "district": None,
    }
    values.update(fields)
    return DemoPost(**values)


# Counts chosen to need several pages on every paginated platform.
COUNTS = {"city_forum": 45, "gov_board": 31, "short_video": 23, "district_news": 7, "microblog": 25}


def make_corpus() -> list[DemoPost]:
    posts, number = [], 1
    for platform, count in COUNTS.items():
        for _ in range(count):
            posts.append(make_post(number, platform))
            number += 1
    return posts


@pytest.fixture(scope="module")
def server() -> Any:
    with DemoServer(make_corpus(), now=NOW) as running:
        yield running


def fetch(server: DemoServer, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(server.base_url + path, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def ids_in(page: str) -> list[str]:
    return re.findall(r'data-(?:id|mid)="(d\d{4})"', page)


def newest_first(platform: str) -> list[str]:
    posts = [p for p in make_corpus() if p.platform == platform]
    return [p.id for p in sorted(posts, key=lambda p: p.age_minutes)]


# ------------------------------------------------------------------ time styles


def test_time_styles_of_each_platform() -> None:
    when = datetime(2026, 2, 8, 9, 5, 7, tzinfo=TIMEZONE)
    assert forum_time(when) == "2026-02-08 09:05"
    assert board_time(when) == "2026/2/8 09:05:07"
    assert video_time(NOW - timedelta(seconds=20), NOW) == "刚刚"
    assert video_time(NOW - timedelta(minutes=3), NOW) == "3分钟前"
    assert video_time(NOW - timedelta(hours=2, minutes=5), NOW) == "2小时前"
    assert video_time(NOW - timedelta(days=1), NOW) == "昨天 14:03"
    assert video_time(when, NOW) == "02-08"
    assert video_time(when.replace(year=2025), NOW) == "2025-02-08"
    assert microblog_time(NOW - timedelta(minutes=5), NOW) == "5分钟前"
    assert microblog_time(NOW - timedelta(hours=3), NOW) == "今天 11:03"
    assert microblog_time(when, NOW) == "02月08日 09:05"
    assert microblog_time(when.replace(year=2025), NOW) == "2025年02月08日 09:05"


# ------------------------------------------------------------------ the platforms


def test_robots_txt_allows_everything(server: DemoServer) -> None:
    status, _, body = fetch(server, "/robots.txt")
    assert status == 200
    assert body.decode().split() == ["User-agent:", "*", "Allow:", "/"]


def test_forum_lists_twenty_newest_first_and_details_hold_the_text(server: DemoServer) -> None:
    expected = newest_first("city_forum")
    seen: list[str] = []
    page = 1
    while True:
        status, content_type, body = fetch(server, f"/forum/list?page={page}")
        assert status == 200 and "utf-8" in content_type
        html = body.decode("utf-8")
        on_page = ids_in(html)
        assert len(on_page) == min(FORUM_PAGE_SIZE, len(expected) - len(seen))
        assert "希望尽快修" not in html  # a summary only: the crawler needs the detail page
        seen += on_page
        next_link = re.search(r'<a class="next" href="([^"]+)"', html)
        if next_link is None:
            break
        assert next_link[1] == f"/forum/list?page={page + 1}"
        page += 1
    assert seen == expected
    assert page == 3

    post = make_corpus()[0]
    status, _, body = fetch(server, f"/forum/post/{post.id}")
    html = body.decode("utf-8")
    assert status == 200
    assert "希望尽快修" in html and post.author in html
    published = NOW - timedelta(minutes=post.age_minutes)
    assert f'<span class="time">{published:%Y-%m-%d %H:%M}</span>' in html
    assert f'<span class="likes">{post.likes}</span>' in html
    assert fetch(server, "/forum/list?page=9")[0] == 404
    assert fetch(server, "/forum/list?page=x")[0] == 404
    assert fetch(server, "/forum/post/d9999")[0] == 404


def test_gov_board_is_gbk_encoded(server: DemoServer) -> None:
    status, content_type, body = fetch(server, "/board/list?page=1")
    assert status == 200 and "gbk" in content_type
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("gbk")
    assert '<meta charset="gbk">' in page and "问政留言板" in page
    assert re.search(r'<td class="time">\d{4}/\d{1,2}/\d{1,2} \d\d:\d\d:\d\d</td>', page)
    assert len(ids_in(page)) == 15

    post = next(p for p in make_corpus() if p.platform == "gov_board")
    message = fetch(server, f"/board/msg/{post.id}")[2].decode("gbk")
    assert "希望尽快修" in message
    # GBK has no emoji: it arrives as a character reference, not as '?'
    assert "&#128512;" in message


def test_short_video_cursor_chain_covers_every_post_once_and_ends(server: DemoServer) -> None:
    cursor, seen, hops = "", [], 0
    while cursor is not None:
        status, content_type, body = fetch(server, f"/api/short_video/feed?cursor={cursor}")
        assert status == 200 and content_type.startswith("application/json")
        data = json.loads(body)["data"]
        for item in data["items"]:
            assert set(item["author"]) >= {"nickname"}
            assert set(item["stats"]) >= {"digg_count", "comment_count", "share_count"}
            assert re.fullmatch(VIDEO_TIME, item["create_time"])
        seen += [item["aweme_id"] for item in data["items"]]
        cursor = data["next_cursor"]
        hops += 1
        assert hops < 10
    assert seen == newest_first("short_video")
    assert fetch(server, "/api/short_video/feed?cursor=bogus")[0] == 404


@pytest.mark.parametrize("path", ["/news/rss.xml", "/news/atom.xml"])
def test_district_news_feed_parses(server: DemoServer, path: str) -> None:
    status, _, body = fetch(server, path)
    assert status == 200
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.id for entry in feed.entries] == newest_first("district_news")
    posts = {p.id: p for p in make_corpus()}
    for entry in feed.entries:
        post = posts[entry.id]
        assert entry.author == post.author
        published = datetime(*entry.published_parsed[:6], tzinfo=UTC)
        assert published == NOW - timedelta(minutes=post.age_minutes)
        assert entry.link.endswith(f"/news/{post.id}.html")


def test_microblog_shell_has_no_posts_without_javascript(server: DemoServer) -> None:
    status, _, body = fetch(server, "/microblog/")
    shell = body.decode("utf-8")
    assert status == 200
    assert ids_in(shell) == [] and "希望尽快修" not in shell
    assert '<script src="/static/microblog.js"></script>' in shell
    status, content_type, _ = fetch(server, "/static/microblog.js")
    assert status == 200 and "javascript" in content_type

    pages, n = [], 1
    while True:
        data = json.loads(fetch(server, f"/api/microblog/page?n={n}")[2])
        pages.append([card["mid"] for card in data["cards"]])
        if not data["has_more"]:
            break
        n += 1
    assert [len(p) for p in pages] == [10, 10, 5]
    assert sum(pages, []) == newest_first("microblog")
    assert fetch(server, "/api/microblog/page?n=4")[0] == 404


def test_post_text_is_escaped_in_every_page(server: DemoServer) -> None:
    pages = {
        "/forum/list?page=1": "utf-8",
        "/forum/post/d0001": "utf-8",
        "/board/list?page=1": "gbk",
        "/board/msg/d0046": "gbk",
        "/short_video/v/d0077": "utf-8",
        "/news/d0100.html": "utf-8",
        "/microblog/m/d0107": "utf-8",
    }
    for path, encoding in pages.items():
        status, _, body = fetch(server, path)
        assert status == 200, path
        page = body.decode(encoding)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;" in page, path
    for path in ("/news/rss.xml", "/news/atom.xml"):
        assert b"<script>alert" not in fetch(server, path)[2]


def test_unknown_platform_in_the_corpus_is_refused() -> None:
    post = make_post(1, "city_forum").model_copy(update={"platform": "tieba"})
    with pytest.raises(ValueError, match="unknown platform 'tieba'; expected one of city_forum"):
        DemoServer([post]).start()


@pytest.mark.browser
def test_microblog_renders_every_post_in_chromium_on_scroll(server: DemoServer) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(server.base_url + "/microblog/")
            page.wait_for_selector("div.card")
            assert page.locator("div.card").count() == 10  # one page until the reader scrolls
            for _ in range(10):
                page.evaluate("window.scrollBy(0, document.body.scrollHeight)")
                page.wait_for_timeout(150)
            page.wait_for_selector("body[data-complete=true]", timeout=5000)
            mids = page.eval_on_selector_all("div.card", "cards => cards.map(c => c.dataset.mid)")
            text = page.locator("div.card .text").first.inner_text()
        finally:
            browser.close()
    assert mids == newest_first("microblog")
    assert PAYLOAD in text  # shown as text, never run
    assert dialogs == []


# ------------------------------------------------------------------ clues demo


def test_clues_demo_stores_every_corpus_post(tmp_path: Path) -> None:
    env = {**os.environ, "CLUES_VAR": str(tmp_path / "var"), "COLUMNS": "160"}
    env.pop("CLUES_DATABASE_URL", None)
    env.pop("DEMO_BASE_URL", None)
    done = _demo(env, ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    database = tmp_path / "var" / "demo" / "clues.db"
    assert database.exists()

    corpus = load_corpus()
    expected = Counter(p.platform for p in corpus)
    with sqlite3.connect(database) as connection:
        stored = Counter(
            dict(connection.execute("SELECT platform, count(*) FROM posts GROUP BY platform"))
        )
        runs = dict(connection.execute("SELECT platform, status FROM crawl_runs"))
        rows = connection.execute(
            "SELECT platform, external_id, text, published_at FROM posts"
        ).fetchall()
    crawled = [name for name in PLATFORMS if name != "microblog" or CHROMIUM.exists()]
    for name in crawled:
        assert stored[name] == expected[name], name
        assert runs[name] == "ok", name
    if not CHROMIUM.exists():
        assert runs["microblog"] == "failed"
        assert "apt-get install chromium" in done.stdout

    by_id = {p.id: p for p in corpus}
    ids = {(platform, external_id) for platform, external_id, _, _ in rows}
    for name in crawled:
        assert {i for p, i in ids if p == name} == {p.id for p in corpus if p.platform == name}
    # Text survives escaping: payload posts come back as they were written.
    for platform, external_id, text, _ in rows:
        if platform in ("city_forum", "gov_board", "short_video", "microblog"):
            assert "".join(text.split()) == "".join(by_id[external_id].text.split())

    # Times: differences between stored posts match the corpus ages (to the
    # precision each platform shows: seconds, minutes, or a day for 02-28 style).
    tolerance = {
        "city_forum": 60,
        "gov_board": 1,
        "district_news": 1,
        "microblog": 60,
        "short_video": 86400,
    }
    for name in crawled:
        times = {
            i: datetime.fromisoformat(str(t)) for p, i, _, t in rows if p == name and t is not None
        }
        assert len(times) == expected[name], name
        anchor = min(times, key=lambda i: by_id[i].age_minutes)
        for external_id, published in times.items():
            gap = (times[anchor] - published).total_seconds()
            ages = (by_id[external_id].age_minutes - by_id[anchor].age_minutes) * 60
            assert abs(gap - ages) <= tolerance[name] + 60, (name, external_id)

    assert "stored" in done.stdout and "demo posts" in done.stdout
    for name in crawled:
        assert name in done.stdout
    # its own processing file: printed for the operator, and remembered beside the index
    demo_processing = ROOT / "config" / "processing.demo.yaml"
    assert f"CLUES_PROCESSING={demo_processing} CLUES_DATABASE_URL=" in done.stdout
    meta = json.loads((database.with_name("clues.posts.json")).read_text(encoding="utf-8"))
    assert meta["processing_file"] == str(demo_processing.resolve())


def _demo(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """`clues demo --no-serve` in a subprocess."""
    return run_clues("demo", "--no-serve", env=env, cwd=cwd, timeout=280)


def _demo_in(home: Path) -> subprocess.CompletedProcess:
    """`clues demo --no-serve` with ``home`` as the project home, run from inside it."""
    env = {**os.environ, "CLUES_HOME": str(home), "COLUMNS": "160", "PYTHONPATH": str(ROOT)}
    for name in ("CLUES_VAR", "CLUES_DATABASE_URL", "DEMO_BASE_URL", "CLUES_PROCESSING"):
        env.pop(name, None)
    return _demo(env, home)


def test_clues_demo_runs_from_a_home_without_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project home with no config/ (the demo run from anywhere) processes with this
    checkout's demo city files and prints them for the next command."""
    home = tmp_path / "home"
    home.mkdir()
    done = _demo_in(home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "processed 331 posts" in done.stdout
    city = " ".join(
        f"{name}={ROOT / 'config' / file}"
        for name, file in (
            ("CLUES_CATALOG", "catalog.yaml"),
            ("CLUES_GAZETTEER", "gazetteer.yaml"),
            ("CLUES_URGENCY", "urgency.yaml"),
            ("CLUES_WORKFLOW", "workflow.yaml"),
        )
    )
    processing = f"CLUES_PROCESSING={ROOT / 'config' / 'processing.demo.yaml'}"
    assert f"with its settings: {processing} {city} CLUES_DATABASE_URL=" in done.stdout
    # the other commands printed for afterwards read the same city files
    assert f"the whole queue: {city} CLUES_DATABASE_URL=" in done.stdout
    assert f"work it: {city} CLUES_DATABASE_URL=" in done.stdout
    assert f"the web UI over this data: {city} CLUES_DATABASE_URL=" in done.stdout
    assert (home / "var" / "demo" / "clues.db").is_file()
    # the web UI, with the variables of its printed line, shows a clue's page
    line = next(x for x in done.stdout.splitlines() if x.startswith("the web UI over this data"))
    words = line.split(": ", 1)[1].split(" clues serve")[0].split()
    monkeypatch.setenv("CLUES_HOME", str(home))
    for name, value in (word.split("=", 1) for word in words):
        monkeypatch.setenv(name, value)
    _clue_page_answers(os.environ["CLUES_DATABASE_URL"])


def _clue_page_answers(database_url: str) -> None:
    """A clue page of the database at ``database_url`` renders, its correction form listing
    the catalogue's categories."""
    from fastapi.testclient import TestClient
    from web_helpers import PASSWORDS, add_users, login

    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.models import Clue
    from verification.web.app import create_app

    engine = make_engine(database_url)
    try:
        add_users(engine)
        with engine.connect() as connection:
            clue_id = connection.execute(sqlalchemy.select(sqlalchemy.func.min(Clue.id))).scalar()
        with TestClient(create_app(database_url, engine=engine)) as client:
            login(client, "alice", PASSWORDS["alice"][1])
            page = client.get(f"/clues/{clue_id}")
            assert page.status_code == 200, page.text[-2000:]
            assert "城乡建设" in page.text
    finally:
        engine.dispose()


def test_clues_demo_says_a_broken_catalogue_before_crawling(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "catalog.yaml").write_text("categories: []\n", encoding="utf-8")
    done = _demo_in(home)
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    assert "error: " in done.stdout + done.stderr
    assert f"{home / 'config' / 'catalog.yaml'}: categories" in done.stdout + done.stderr
    assert "demo platforms of" not in done.stdout  # nothing was served or crawled
    assert "CLUES_CATALOG" not in done.stdout
