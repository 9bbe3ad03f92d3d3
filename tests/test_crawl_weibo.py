"""The real saved micro-blog search page, served on 127.0.0.1 and crawled
with the config in tests/data/platforms.weibo.yaml (no code of its own)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import crawl_server
import pytest
from conftest import SHARED_FIXTURES
from crawl_server import FixtureServer, crawl_runs, stored_posts

from crawlers.runner import check_platform_process, crawl_platforms

fixture_server = crawl_server.fixture_server  # the 127.0.0.1 server fixture

CONFIG = Path(__file__).parent / "data" / "platforms.weibo.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Read off the page: mid -> (author, "MM-DD HH:MM", reposts, comments, likes)
EXPECTED = {
    "4497642253759082": ("人民网", "04-25 16:55", 1261, 1891, 40975),
    "4480167210775785": ("你别说还真是这样", "03-08 11:36", 52629, 9590, 161778),
    "4498733397533076": ("央视财经", "04-28 17:11", 21, 33, 4401),
    "4482033005250998": ("头条新闻", "03-13 15:10", 114, 116, 1325),
}
FULL_TEXT_MID = "4499373432859508"  # a card with a collapsed short text and a full one


@pytest.fixture
def weibo_config(fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    page = SHARED_FIXTURES / "weibo_search_page.html"
    if not page.exists():
        pytest.skip(f"saved page {page} absent: it lives outside the repository in ../shared")
    fixture_server.add_page("/weibo", page.read_bytes())
    monkeypatch.setenv("WEIBO_URL", fixture_server.url("/weibo?q=x"))
    return CONFIG


def test_all_twenty_posts_of_the_saved_search_page(weibo_config: Path, db_url: str) -> None:
    [result] = crawl_platforms(weibo_config, database_url=db_url)

    assert result.status == "ok", result.error_samples
    assert (result.items, result.new_items, result.errors) == (20, 20, 0)
    posts = stored_posts(db_url, "weibo_search")
    assert len(posts) == 20
    for mid, post in posts.items():
        assert mid.isdigit() and len(mid) == 16
        assert post.text and post.author and post.published_at, mid
        assert None not in (post.reposts, post.comments, post.likes), mid
        assert post.url.startswith("http://weibo.com/"), post.url
    for mid, (author, when, reposts, comments, likes) in EXPECTED.items():
        post = posts[mid]
        assert post.author == author
        assert post.published_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == when
        assert (post.reposts, post.comments, post.likes) == (reposts, comments, likes)
        assert post.raw["reposts"] == f"转发 {reposts}"
    assert posts["4498733397533076"].media_urls == []
    assert posts["4497642253759082"].media_urls[0].startswith("https://wx4.sinaimg.cn/large/")
    full = posts[FULL_TEXT_MID].text
    assert "展开全文" not in full  # the short, collapsed text was not taken
    assert len(full) > 140
    [run] = crawl_runs(db_url, "weibo_search")
    assert (run.status, run.items, run.new_items) == ("ok", 20, 20)


def test_platforms_check_extracts_the_page_and_stores_nothing(
    weibo_config: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUES_DATABASE_URL", sqlite_url)

    result, posts = check_platform_process(weibo_config, "weibo_search")

    assert result.status == "ok"
    assert len(posts) == 20
    assert {p["external_id"] for p in posts} >= set(EXPECTED)
    assert stored_posts(sqlite_url, "weibo_search") == {}
    assert crawl_runs(sqlite_url) == []
