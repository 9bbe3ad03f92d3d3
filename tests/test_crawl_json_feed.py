"""The json spider (JMESPath, page-number and cursor pagination) and the feed
spider (RSS and Atom) against servers on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import crawl_server
from crawl_server import (
    FixtureServer,
    Reply,
    crawl_runs,
    stored_posts,
    write_platforms,
)

from crawlers.runner import crawl_platforms

fixture_server = crawl_server.fixture_server  # the 127.0.0.1 server fixture

VIDEOS = [
    {
        "aweme_id": 9000 + n,
        "desc": f"视频 {n}: 小区门口的井盖松了",
        "author": {"nickname": f"用户{n}"},
        "stats": {"digg": f"{n}.5万" if n == 1 else n * 10, "comment": n, "share": 0},
        "create_time": 1714550400 + n * 60,
        "poi": {"name": "云江市东湖路"} if n % 2 else None,
        "cover": {"urls": [f"https://cdn.example/c{n}.jpg"]},
    }
    for n in range(1, 8)
]

JSON_PLATFORM = """\
platforms:
  - name: short_video
    kind: json
    url: "{url}"
    items: "data.list"
    pagination: {pagination}
    url_template: "https://video.example/v/{{external_id}}"
    headers: {{Accept: application/json}}
    fields:
      external_id: aweme_id
      text: desc
      author: author.nickname
      likes: stats.digg
      comments: stats.comment
      reposts: stats.share
      published_at: create_time
      location: poi.name
      media: cover.urls
"""


def serve_pages(server: FixtureServer, per_page: int = 3) -> None:
    def api(request) -> Reply:  # noqa: ANN001
        assert request.headers.get("Accept") == "application/json"
        page = int(request.arg("pn", "1"))
        chunk = VIDEOS[(page - 1) * per_page : page * per_page]
        return Reply(json.dumps({"data": {"list": chunk}}), content_type="application/json")

    server.add_route("/api/feed", api)


def serve_cursor(server: FixtureServer, per_page: int = 3) -> None:
    def api(request) -> Reply:  # noqa: ANN001
        start = int(request.arg("cursor") or 0)
        chunk = VIDEOS[start : start + per_page]
        more = start + per_page < len(VIDEOS)
        body = {"data": {"list": chunk}, "next": str(start + per_page) if more else None}
        return Reply(json.dumps(body, ensure_ascii=False), content_type="application/json")

    server.add_route("/api/cursor", api)


def test_json_page_number_pagination_with_jmespath(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    serve_pages(fixture_server)
    body = JSON_PLATFORM.format(
        url=fixture_server.url("/api/feed?pn={page}&since={since}"),
        pagination="{type: page, start: 1}",
    )
    config = write_platforms(tmp_path, body)

    [result] = crawl_platforms(config, database_url=db_url)

    assert result.status == "ok", result.error_samples
    assert (result.pages, result.items, result.new_items) == (4, 7, 7)  # 3 + 3 + 1 + empty
    assert result.stop_reason == "end"
    posts = stored_posts(db_url, "short_video")
    assert sorted(posts) == [str(v["aweme_id"]) for v in VIDEOS]
    first = posts["9001"]
    assert first.text == "视频 1: 小区门口的井盖松了"
    assert first.author == "用户1"
    assert (first.likes, first.comments, first.reposts) == (15000, 1, 0)
    assert first.published_at == datetime(2024, 5, 1, 8, 1, tzinfo=UTC)
    assert first.location_text == "云江市东湖路"
    assert posts["9002"].location_text is None
    assert first.media_urls == ["https://cdn.example/c1.jpg"]
    assert first.url == "https://video.example/v/9001"
    assert first.raw["likes"] == "1.5万"


def test_json_cursor_pagination_and_caught_up(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    serve_cursor(fixture_server)
    body = JSON_PLATFORM.format(
        url=fixture_server.url("/api/cursor?cursor={cursor}"),
        pagination="{type: cursor, cursor: next}",
    )
    config = write_platforms(tmp_path, body)

    [first] = crawl_platforms(config, database_url=db_url)
    [again] = crawl_platforms(config, database_url=db_url)

    assert (first.pages, first.new_items, first.stop_reason) == (3, 7, "end")
    assert (again.pages, again.new_items, again.stop_reason) == (1, 0, "caught_up")
    assert [r.status for r in crawl_runs(db_url, "short_video")] == ["ok", "ok"]


def test_json_that_does_not_decode_is_recorded(
    tmp_path, fixture_server: FixtureServer, sqlite_url: str
) -> None:
    fixture_server.add_page("/api/feed", "<html>maintenance</html>")
    body = JSON_PLATFORM.format(
        url=fixture_server.url("/api/feed?pn={page}"), pagination="{type: page}"
    )
    config = write_platforms(tmp_path, body)

    [result] = crawl_platforms(config, database_url=sqlite_url)

    assert result.errors == 1
    assert result.error_samples[0]["kind"] == "json_decode"
    assert result.stop_reason == "error"


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>区新闻</title><link>http://news.example/</link>
<item><guid>news-1</guid><title>东湖路施工夜间扰民</title><link>http://news.example/1</link>
<description>&lt;p&gt;居民反映&lt;b&gt;夜间施工&lt;/b&gt;噪音。&lt;/p&gt;</description>
<author>记者 李</author><pubDate>Wed, 01 May 2024 10:00:00 +0800</pubDate>
<enclosure url="http://news.example/1.jpg" type="image/jpeg" length="1"/></item>
<item><guid>news-2</guid><title>旧闻</title><link>http://news.example/2</link>
<description>很久以前的事。</description><pubDate>Mon, 01 Jan 2024 10:00:00 +0800</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>街道公告</title><id>urn:x</id>
<updated>2024-05-02T00:00:00Z</updated>
<link rel="next" href="/atom2"/>
<entry><id>urn:a1</id><title>停水通知</title><link href="http://gov.example/a1"/>
<updated>2024-05-02T00:00:00Z</updated><author><name>街道办</name></author>
<content type="html">&lt;p&gt;明天停水&lt;/p&gt;</content></entry></feed>"""

ATOM_2 = ATOM.replace('<link rel="next" href="/atom2"/>', "").replace("a1", "a2")


def test_rss_and_atom_feeds_with_since(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    fixture_server.add_page("/rss", RSS, content_type="application/rss+xml")
    fixture_server.add_page("/atom", ATOM, content_type="application/atom+xml")
    fixture_server.add_page("/atom2", ATOM_2, content_type="application/atom+xml")
    body = f"""\
platforms:
  - name: district_news
    kind: feed
    url: "{fixture_server.url("/rss")}"
  - name: street_notices
    kind: feed
    url: "{fixture_server.url("/atom")}"
"""
    config = write_platforms(tmp_path, body)

    results = crawl_platforms(config, database_url=db_url, since=datetime(2024, 4, 1, tzinfo=UTC))

    assert [r.status for r in results] == ["ok", "ok"]
    news = stored_posts(db_url, "district_news")
    assert sorted(news) == ["news-1"]  # news-2 is older than --since
    post = news["news-1"]
    assert post.title == "东湖路施工夜间扰民"
    assert post.text == "居民反映夜间施工噪音。"
    assert post.author == "记者 李"
    assert post.published_at == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    assert post.media_urls == ["http://news.example/1.jpg"]
    assert post.url == "http://news.example/1"
    notices = stored_posts(db_url, "street_notices")
    assert sorted(notices) == ["urn:a1", "urn:a2"]  # rel="next" followed
    assert notices["urn:a1"].text == "明天停水"
    assert notices["urn:a1"].author == "街道办"
    assert results[1].pages == 2
