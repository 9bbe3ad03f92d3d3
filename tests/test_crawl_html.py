"""The html spider against pages on 127.0.0.1: list + detail pages, next-page
links, CSS and XPath selectors, GBK pages, incremental runs and ``--since``."""

from __future__ import annotations

from datetime import UTC, datetime

import crawl_server
import pytest
from crawl_server import (
    FixtureServer,
    Reply,
    crawl_runs,
    stored_posts,
    write_platforms,
)

from crawlers.runner import crawl_platforms

fixture_server = crawl_server.fixture_server  # the 127.0.0.1 server fixture

# Two list pages of three posts each; newest first, as forums list them.
POSTS = [
    {"id": f"t{n}", "title": f"Topic {n}", "day": 10 - n, "likes": n * 3, "body": f"Body {n}"}
    for n in range(1, 7)
]


def list_page(page: int, posts: list[dict], *, last: int) -> str:
    rows = "".join(
        f'<li class="topic" data-tid="{p["id"]}">'
        f'<a class="title" href="/thread/{p["id"]}.html">{p["title"]}</a>'
        f'<span class="when">2024-05-{p["day"]:02d} 08:30</span>'
        f'<span class="likes">赞 {p["likes"]}</span></li>'
        for p in posts
    )
    more = f'<a class="next" href="/forum?page={page + 1}">下一页</a>' if page < last else ""
    return f"<html><body><ul>{rows}</ul>{more}</body></html>"


def detail_page(post: dict) -> str:
    return (
        "<html><body><div id='main'>"
        f"<h1>{post['title']}</h1><div class='author'><b>user_{post['id']}</b></div>"
        f"<div class='content'><p>{post['body']} first line.</p><p>Second line.</p>"
        "<script>var tracking = 1;</script>"
        f"<img src='/img/{post['id']}.jpg'><img src='http://cdn.example/{post['id']}.png'>"
        "</div></div></body></html>"
    )


def serve_forum(server: FixtureServer, posts: list[dict] = POSTS, per_page: int = 3) -> None:
    pages = [posts[i : i + per_page] for i in range(0, len(posts), per_page)]

    def forum(request) -> Reply:  # noqa: ANN001
        page = int(request.arg("page", "1"))
        if page > len(pages):
            return Reply("<html><body><ul></ul></body></html>")
        return Reply(list_page(page, pages[page - 1], last=len(pages)))

    server.add_route("/forum", forum)
    for post in posts:
        server.add_page(f"/thread/{post['id']}.html", detail_page(post))


FORUM_CONFIG = """\
platforms:
  - name: forum
    kind: html
    start_urls: ["{start}"]
    list:
      item: "li.topic"
      next_page: "a.next::attr(href)"
      detail_link: ".//a[@class='title']/@href"
    fields:
      external_id: "::attr(data-tid)"
      title: "a.title::text"
      published_at: ".//span[@class='when']"
      likes: {{css: "span.likes", re: "(\\\\d+)"}}
    detail_fields:
      text: "//div[@class='content']"
      author: "div.author b::text"
      media: {{xpath: "//div[@class='content']//img/@src", all: true}}
"""


def forum_config(tmp_path, server: FixtureServer, **extra: str):  # noqa: ANN001, ANN201
    body = FORUM_CONFIG.format(start=server.url("/forum"))
    for key, value in extra.items():
        body += f"    {key}: {value}\n"
    return write_platforms(tmp_path, body)


def test_list_and_detail_pages_with_css_and_xpath(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    serve_forum(fixture_server)
    config = forum_config(tmp_path, fixture_server)

    [result] = crawl_platforms(config, ["forum"], database_url=db_url)

    assert result.status == "ok", result.error_samples
    assert (result.pages, result.items, result.new_items, result.errors) == (8, 6, 6, 0)
    assert result.stop_reason == "end"
    posts = stored_posts(db_url, "forum")
    assert sorted(posts) == [p["id"] for p in POSTS]
    post = posts["t2"]
    assert post.title == "Topic 2"
    assert post.text == "Body 2 first line.Second line."
    assert post.author == "user_t2"
    assert post.likes == 6
    assert post.published_at == datetime(2024, 5, 8, 0, 30, tzinfo=UTC)  # 08:30 Shanghai
    assert post.url == fixture_server.url("/thread/t2.html")
    assert post.media_urls == [fixture_server.url("/img/t2.jpg"), "http://cdn.example/t2.png"]
    assert post.raw["likes"] == "6"
    assert post.raw["published_at"] == "2024-05-08 08:30"
    assert post.crawl_run_id == result.run_id
    [run] = crawl_runs(db_url, "forum")
    assert (run.status, run.pages, run.items, run.new_items) == ("ok", 8, 6, 6)


def test_second_run_stops_caught_up_and_stores_nothing_new(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    serve_forum(fixture_server)
    config = forum_config(tmp_path, fixture_server)
    crawl_platforms(config, database_url=db_url)
    detail_hits = fixture_server.hits("/thread/t1.html")

    [again] = crawl_platforms(config, database_url=db_url)

    assert again.stop_reason == "caught_up"
    assert again.new_items == 0
    assert again.pages == 1  # the first list page only
    assert fixture_server.hits("/thread/t1.html") == detail_hits  # stored: not fetched again
    runs = crawl_runs(db_url, "forum")
    assert [r.status for r in runs] == ["ok", "ok"]
    assert runs[-1].stop_reason == "caught_up"


def test_new_posts_on_top_are_stored_then_paging_stops(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    serve_forum(fixture_server, POSTS[3:])
    config = forum_config(tmp_path, fixture_server)
    crawl_platforms(config, database_url=db_url)
    fixture_server.routes.clear()
    serve_forum(fixture_server, POSTS)

    [again] = crawl_platforms(config, database_url=db_url)

    assert again.new_items == 3
    assert again.stop_reason == "caught_up"
    assert sorted(stored_posts(db_url, "forum")) == [p["id"] for p in POSTS]


def test_since_skips_older_posts_and_stops_paging(
    tmp_path, fixture_server: FixtureServer, sqlite_url: str
) -> None:
    serve_forum(fixture_server)
    config = forum_config(tmp_path, fixture_server)
    since = datetime(2024, 5, 7, 0, 0, tzinfo=UTC)  # t1..t3 are newer

    [result] = crawl_platforms(config, database_url=sqlite_url, since=since)

    assert sorted(stored_posts(sqlite_url, "forum")) == ["t1", "t2", "t3"]
    assert result.stop_reason == "since"
    assert fixture_server.hits("/thread/t4.html") == 0


def test_max_pages_stops_paging(tmp_path, fixture_server: FixtureServer, sqlite_url: str) -> None:
    serve_forum(fixture_server)
    config = forum_config(tmp_path, fixture_server, max_pages="1")

    [result] = crawl_platforms(config, database_url=sqlite_url)

    assert result.stop_reason == "max_pages"
    assert sorted(stored_posts(sqlite_url, "forum")) == ["t1", "t2", "t3"]


GOV_BOARD = """\
platforms:
  - name: gov_board
    kind: html
    start_urls: ["{start}"]
    list:
      item: "tr.msg"
    fields:
      external_id: "td.no::text"
      title: "td.subject a::text"
      url: "td.subject a::attr(href)"
      text: "td.body"
      author: "td.who::text"
      published_at: "td.when::text"
"""


@pytest.mark.parametrize("declared", ["header", "meta"])
def test_gbk_page_with_a_declared_charset(
    tmp_path, fixture_server: FixtureServer, sqlite_url: str, declared: str
) -> None:
    rows = (
        "<tr class='msg'><td class='no'>1001</td>"
        "<td class='subject'><a href='/m/1001'>路灯不亮</a></td>"
        "<td class='body'>云江市东湖路的路灯已经坏了三天，晚上很黑。</td>"
        "<td class='who'>市民王先生</td><td class='when'>2019/2/28 11:25:05</td></tr>"
    )
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    html = f"<html><head>{meta if declared == 'meta' else ''}</head><body><table>{rows}</table>"
    content_type = "text/html; charset=GBK" if declared == "header" else "text/html"
    fixture_server.add_page("/board", html.encode("gbk"), content_type=content_type)
    config = write_platforms(tmp_path, GOV_BOARD.format(start=fixture_server.url("/board")))

    [result] = crawl_platforms(config, database_url=sqlite_url)

    assert result.status == "ok", result.error_samples
    post = stored_posts(sqlite_url, "gov_board")["1001"]
    assert post.title == "路灯不亮"
    assert post.text == "云江市东湖路的路灯已经坏了三天，晚上很黑。"
    assert post.author == "市民王先生"
    assert post.published_at == datetime(2019, 2, 28, 3, 25, 5, tzinfo=UTC)
    assert post.url == fixture_server.url("/m/1001")


def test_page_where_the_item_selector_matches_nothing_is_an_error(
    tmp_path, fixture_server: FixtureServer, sqlite_url: str
) -> None:
    fixture_server.add_page("/board", "<html><body><p>redesigned</p></body></html>")
    config = write_platforms(tmp_path, GOV_BOARD.format(start=fixture_server.url("/board")))

    [result] = crawl_platforms(config, database_url=sqlite_url)

    assert result.errors == 1
    assert result.error_samples[0]["kind"] == "no_items"
    assert "tr.msg" in result.error_samples[0]["message"]
    assert result.status == "partial"  # a page was read; nothing in it
