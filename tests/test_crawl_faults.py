"""Crawl faults (issue 2): every failure a platform can show is retried or
recorded in its crawl_runs row, nothing else is lost, and the run goes on.

Real Scrapy crawls (``python -m crawlers.crawl_one``, one process per crawl:
a Twisted reactor cannot restart) of config-driven platforms against the fault
site of ``tests/fault_routes.py`` on 127.0.0.1, into a real SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from fault_routes import (
    API_GOOD_IDS,
    BOARD_POSTS,
    BURST_500_HITS,
    FLAKY_IDS,
    GBK_TEXT,
    MALFORMED_TEXT,
    PREFIX,
    RETRY_AFTER,
    STORED_IDS,
    FaultSite,
    gbk_page,
    post_text,
    serve_faults,
)
from scrapy import Spider
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from clue_pipeline.platforms.loader import load_platforms
from clue_pipeline.storage.db import make_engine, session_scope
from clue_pipeline.storage.migrate import upgrade
from clue_pipeline.storage.models import CrawlRun, Post
from crawlers.middlewares.encoding import EncodingMiddleware, decodes_as_chinese
from crawlers.middlewares.retry import RetryPolicy, error_kind, parse_retry_after
from crawlers.result import PlatformResult

ROOT = Path(__file__).resolve().parents[1]
RETRIES = 2
BACKOFF = 0.2
TIMEOUT = 1
MAX_RETRY_AFTER = 5
MAX_PAGE_BYTES = 1_000_000
MESSAGE_PREFIX = "@@clues "

PLATFORMS_YAML = f"""
defaults:
  download_delay: 0
  autothrottle: false
  concurrency: 8
  timeout: {TIMEOUT}
  retries: {RETRIES}
  backoff: {BACKOFF}
  max_retry_after: {MAX_RETRY_AFTER}
  max_page_bytes: {MAX_PAGE_BYTES}
platforms:
  - name: faulty_board
    kind: html
    start_urls: ["{{base}}{PREFIX}/board/list"]
    list: &board_list
      item: "li.post"
      detail_link: "a.title::attr(href)"
    fields: &board_fields
      external_id: "./@data-id"
      title: "a.title::text"
    detail_fields: &board_detail
      text: "div.content"
  - name: gbk_board
    kind: html
    start_urls: ["{{base}}{PREFIX}/board/list?only=k1"]
    list: *board_list
    fields: *board_fields
    detail_fields: *board_detail
  - name: faulty_api
    kind: json
    url: "{{base}}{PREFIX}/api?page={{page}}"
    items: "data"
    fields:
      external_id: "id"
      text: "content"
  - name: flaky_board
    kind: html
    start_urls: ["{{base}}{PREFIX}/flaky/list"]
    list: *board_list
    fields: *board_fields
    detail_fields: *board_detail
"""
# faults of faulty_board that end as one recorded error each: post id -> kind
RECORDED = {
    "x1": "rate_limited",
    "d1": "http_500",
    "s1": "timeout",
    "t1": "data_loss",
    "l1": "redirect_loop",
    "h1": "too_large",
    "h2": "too_large",
    "p1": "robots_forbidden",
}
MIDDLEWARES_WITHOUT_ENCODING = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.retry.BackoffRetryMiddleware": 550,
    "crawlers.middlewares.encoding.EncodingMiddleware": None,
}


@dataclass
class Crawl:
    result: PlatformResult
    run: CrawlRun
    posts: dict[str, Post]  # by external id


class FaultBed:
    """The fault site, a platforms file pointing at it and a database."""

    def __init__(self, base: str, site: FaultSite, workdir: Path) -> None:
        self.base = base
        self.site = site
        self.workdir = workdir
        self.platforms_file = workdir / "platforms.yaml"
        self.platforms_file.write_text(PLATFORMS_YAML.replace("{base}", base), encoding="utf-8")
        self.database_url = f"sqlite:///{workdir / 'clues.db'}"
        upgrade(self.database_url)

    def url(self, path: str) -> str:
        return self.base + path

    def crawl(self, name: str, settings: dict[str, Any] | None = None) -> Crawl:
        """One crawl in its own process, like the runner does it."""
        env = {**os.environ, "CLUES_VAR": str(self.workdir / "var")}
        command = [
            sys.executable,
            "-m",
            "crawlers.crawl_one",
            "--platforms-file",
            str(self.platforms_file),
            "--name",
            name,
            "--database-url",
            self.database_url,
            "--settings",
            json.dumps(settings or {}),
        ]
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        messages = [
            json.loads(line.removeprefix(MESSAGE_PREFIX))
            for line in done.stdout.splitlines()
            if line.startswith(MESSAGE_PREFIX)
        ]
        results = [m["result"] for m in messages if m["event"] == "result"]
        assert len(results) == 1, done.stdout[-3000:] + done.stderr[-3000:]
        result = PlatformResult.from_dict(results[0])
        engine = make_engine(self.database_url)
        try:
            with session_scope(engine) as session:
                run = session.get(CrawlRun, result.run_id)
                assert run is not None
                posts = session.scalars(select(Post).where(Post.platform == name)).all()
                session.expunge_all()
        finally:
            engine.dispose()
        return Crawl(result, run, {post.external_id: post for post in posts})


@pytest.fixture
def bed(tmp_path: Path) -> Iterator[FaultBed]:
    with serve_faults() as (base, site):
        yield FaultBed(base, site, tmp_path)


@pytest.fixture(scope="module")
def board() -> Iterator[tuple[FaultBed, Crawl]]:
    """One crawl of the board whose posts sit behind every fault."""
    import tempfile

    with tempfile.TemporaryDirectory() as workdir, serve_faults() as (base, site):
        bed = FaultBed(base, site, Path(workdir))
        yield bed, bed.crawl("faulty_board")


def sample_for(crawl: Crawl, url: str) -> dict[str, Any]:
    matches = [s for s in crawl.run.error_samples if s["url"] == url]
    assert len(matches) == 1, f"{url} recorded {len(matches)} times: {crawl.run.error_samples}"
    return matches[0]


# -- the faulty board -----------------------------------------------------------


def test_the_platforms_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "platforms.yaml"
    path.write_text(PLATFORMS_YAML.replace("{base}", "http://127.0.0.1:1"), encoding="utf-8")
    loaded = load_platforms(path)
    assert loaded.get("faulty_board").politeness.retries == RETRIES


def test_good_and_recovered_posts_are_all_stored(board: tuple[FaultBed, Crawl]) -> None:
    _, crawl = board
    assert set(crawl.posts) == STORED_IDS
    for post_id in STORED_IDS:
        assert post_text(post_id) in crawl.posts[post_id].text
    assert crawl.result.items == crawl.result.new_items == len(STORED_IDS)


def test_the_run_goes_on_and_ends_partial(board: tuple[FaultBed, Crawl]) -> None:
    _, crawl = board
    assert crawl.run.status == crawl.result.status == "partial"
    assert crawl.run.finished_at is not None
    assert crawl.run.items == len(STORED_IDS)
    assert crawl.run.stop_reason == "end"


def test_each_unrecoverable_fault_is_recorded_once(board: tuple[FaultBed, Crawl]) -> None:
    bed, crawl = board
    assert crawl.run.errors == crawl.result.errors == len(RECORDED)
    kinds = {}
    for post_id in RECORDED:
        kinds[post_id] = sample_for(crawl, bed.url(BOARD_POSTS[post_id]))["kind"]
    assert kinds == RECORDED
    assert set(crawl.posts).isdisjoint(RECORDED)


def test_error_samples_say_what_happened(board: tuple[FaultBed, Crawl]) -> None:
    bed, crawl = board

    def message(post_id: str) -> str:
        return sample_for(crawl, bed.url(BOARD_POSTS[post_id]))["message"]

    assert "Retry-After 3600s is longer than max_retry_after 5s" in message("x1")
    assert message("d1") == f"500 Internal Server Error after {RETRIES} retries"
    assert message("s1") == f"no complete response within {TIMEOUT}s after {RETRIES} retries"
    assert "before its Content-Length" in message("t1")
    assert f"{MAX_PAGE_BYTES}-byte limit" in message("h1")
    assert f"{MAX_PAGE_BYTES}-byte limit" in message("h2")
    assert message("l1").startswith("redirect loop: ")
    assert bed.url(f"{PREFIX}/loop/l1-b") in message("l1")


def test_retryable_faults_are_retried_up_to_the_limit(board: tuple[FaultBed, Crawl]) -> None:
    bed, _ = board
    count = bed.site.count
    assert count(BOARD_POSTS["r1"]) == 2  # one 429, then the page
    assert count(BOARD_POSTS["b1"]) == BURST_500_HITS + 1
    for post_id in ("d1", "s1", "t1"):  # never recover: first try + RETRIES
        assert count(BOARD_POSTS[post_id]) == RETRIES + 1, post_id
    for post_id in ("x1", "h1", "h2"):  # not hammered: asked too long, too large
        assert count(BOARD_POSTS[post_id]) == 1, post_id
    assert count(BOARD_POSTS["p1"]) == 0  # robots.txt disallows it
    assert count(f"{PREFIX}/loop/l1") + count(f"{PREFIX}/loop/l1-b") <= 4


def test_retry_after_is_honoured_without_blocking(board: tuple[FaultBed, Crawl]) -> None:
    bed, _ = board
    path = BOARD_POSTS["r1"]
    first, second = bed.site.times(path)
    assert second - first >= RETRY_AFTER
    others = [hit for hit in bed.site.hits if hit.path != path and first < hit.at < second]
    assert others, "no other request was served while the 429 was waited out"


def test_backoff_doubles_between_retries(board: tuple[FaultBed, Crawl]) -> None:
    bed, _ = board
    times = bed.site.times(BOARD_POSTS["d1"])
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(gaps) == RETRIES
    for attempt, gap in enumerate(gaps):
        assert gap >= BACKOFF * 2**attempt


def test_malformed_html_still_yields_its_text(board: tuple[FaultBed, Crawl]) -> None:
    _, crawl = board
    assert MALFORMED_TEXT in crawl.posts["m1"].text
    assert crawl.posts["m1"].title == "标题 m1"


def test_gbk_page_without_charset_is_read_as_gb18030(board: tuple[FaultBed, Crawl]) -> None:
    _, crawl = board
    assert crawl.posts["k1"].text == GBK_TEXT


# -- other platforms ------------------------------------------------------------


def test_malformed_json_page_is_recorded_and_first_page_kept(bed: FaultBed) -> None:
    crawl = bed.crawl("faulty_api")
    assert set(crawl.posts) == set(API_GOOD_IDS)
    assert crawl.run.status == "partial"
    assert crawl.run.errors == 1
    [sample] = crawl.run.error_samples
    assert sample["kind"] == "json_decode"
    assert sample["url"] == bed.url(f"{PREFIX}/api?page=2")


def test_without_the_encoding_middleware_the_gbk_page_is_mojibake(bed: FaultBed) -> None:
    crawl = bed.crawl("gbk_board", {"DOWNLOADER_MIDDLEWARES": MIDDLEWARES_WITHOUT_ENCODING})
    text = crawl.posts["k1"].text
    assert text != GBK_TEXT
    assert not any(char in text for char in "井盖危险")


def test_the_next_run_recovers(bed: FaultBed) -> None:
    bed.site.flaky_mode = "list_down"
    first = bed.crawl("flaky_board")
    assert (first.run.status, first.run.errors, first.posts) == ("failed", 1, {})
    [sample] = first.run.error_samples
    assert sample["kind"] == "http_503"

    bed.site.flaky_mode = "posts_down"
    second = bed.crawl("flaky_board")
    assert (second.run.status, second.run.errors, second.posts) == ("partial", 3, {})
    assert {s["kind"] for s in second.run.error_samples} == {"http_502"}

    bed.site.flaky_mode = "healthy"
    third = bed.crawl("flaky_board")
    assert (third.run.status, third.run.errors) == ("ok", 0)
    assert set(third.posts) == set(FLAKY_IDS)
    assert all(post.crawl_run_id == third.run.id for post in third.posts.values())


# -- the parts ------------------------------------------------------------------


def test_retry_after_in_seconds_and_as_http_date() -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after(" 7 ") == 7.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    )
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(b"") is None
    assert parse_retry_after(None) is None


def test_backoff_doubles_and_stops_at_the_longest_wait() -> None:
    policy = RetryPolicy(retries=6, backoff=2.0, max_retry_after=20.0)
    for attempt, base in enumerate([2.0, 4.0, 8.0, 16.0, 20.0, 20.0]):
        delay = policy.backoff_delay(attempt)
        assert base <= delay <= base * 1.1


def test_download_exceptions_map_to_error_kinds() -> None:
    assert error_kind(DownloadTimeoutError("x")) == "timeout"
    assert error_kind(ResponseDataLossError()) == "data_loss"
    assert error_kind(DownloadCancelledError()) == "too_large"
    assert error_kind(DownloadConnectionRefusedError("x")) == "connection"
    assert error_kind(ValueError("x")) == "download_error"

    class TimeoutError(Exception):  # noqa: A001 (a browser driver's own, as Playwright has)
        pass

    assert error_kind(TimeoutError("page.goto: Timeout 30000ms exceeded")) == "timeout"


def test_gb18030_is_chosen_only_for_clean_chinese_text() -> None:
    assert decodes_as_chinese(GBK_TEXT.encode("gbk"))
    assert decodes_as_chinese("欠薪三个月了，老板不见人。".encode("gb18030"))
    assert not decodes_as_chinese("<p>café au lait, crème brûlée, naïve</p>".encode("latin-1"))
    assert not decodes_as_chinese(b"plain ascii only")


def _encoding_middleware(encoding: str | None) -> EncodingMiddleware:
    class Platform:
        pass

    platform = Platform()
    platform.encoding = encoding  # type: ignore[attr-defined]
    crawler = get_crawler(Spider)
    crawler.spider = Spider(name="faults")
    crawler.spider.platform = platform  # type: ignore[attr-defined]
    return EncodingMiddleware.from_crawler(crawler)


def _response(body: bytes, content_type: str = "text/html") -> HtmlResponse:
    url = "http://127.0.0.1/p"
    return HtmlResponse(
        url, body=body, headers={"Content-Type": content_type}, request=Request(url)
    )


def test_encoding_middleware_keeps_declared_and_utf8_pages() -> None:
    middleware = _encoding_middleware(None)
    declared = _response(gbk_page().encode("big5", "replace"), "text/html; charset=big5")
    assert middleware.process_response(declared.request, declared) is declared
    utf8 = _response(gbk_page().encode("utf-8"))
    assert middleware.process_response(utf8.request, utf8).text == gbk_page()
    gbk = _response(gbk_page().encode("gbk"))
    assert gbk.text != gbk_page()  # Scrapy's own guess on a short GBK page
    assert middleware.process_response(gbk.request, gbk).text == gbk_page()


def test_a_forced_platform_encoding_wins_over_the_header() -> None:
    middleware = _encoding_middleware("gbk")
    page = _response(gbk_page().encode("gbk"), "text/html; charset=utf-8")
    assert middleware.process_response(page.request, page).text == gbk_page()
