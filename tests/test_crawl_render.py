"""``render: true``: a page built only by JavaScript, with an endless list
that grows as it is scrolled, crawled through Chromium (/usr/bin/chromium)."""

from __future__ import annotations

import json
import os

import crawl_server
import pytest
from crawl_server import (
    FixtureServer,
    crawl_runs,
    stored_posts,
    write_platforms,
)

from crawlers.runner import crawl_platforms

fixture_server = crawl_server.fixture_server  # the 127.0.0.1 server fixture

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} absent"),
]

POSTS = [
    {"id": f"m{n}", "text": f"第{n}条：路灯不亮", "who": f"网友{n}", "time": f"{n}分钟前"}
    for n in range(1, 16)
]

# The HTML holds no post; the script adds five and five more at each scroll.
PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<div id="feed"></div><div style="height:3000px"></div>
<script>
const posts = __POSTS__;
let shown = 0;
function more() {
  const feed = document.getElementById('feed');
  for (const p of posts.slice(shown, shown + 5)) {
    const card = document.createElement('div');
    card.className = 'post';
    card.dataset.mid = p.id;
    card.innerHTML = '<p class="text"></p><span class="who"></span><span class="at"></span>';
    card.querySelector('.text').textContent = p.text;
    card.querySelector('.who').textContent = p.who;
    card.querySelector('.at').textContent = p.time;
    feed.appendChild(card);
  }
  shown += 5;
}
setTimeout(more, 200);
window.addEventListener('scroll', () => setTimeout(more, 50));
</script></body></html>"""

RENDERED = """\
platforms:
  - name: microblog
    kind: html
    start_urls: ["{url}"]
    render: true
    render_options: {{wait_for: "div.post", scrolls: 2, scroll_pause_ms: 400}}
    list:
      item: "div.post"
    fields:
      external_id: "::attr(data-mid)"
      text: "p.text"
      author: "span.who::text"
      published_at: "span.at::text"
"""


def test_page_built_by_javascript_with_endless_scroll(
    tmp_path, fixture_server: FixtureServer, sqlite_url: str
) -> None:
    fixture_server.add_page("/feed", PAGE.replace("__POSTS__", json.dumps(POSTS)))
    config = write_platforms(tmp_path, RENDERED.format(url=fixture_server.url("/feed")))

    [result] = crawl_platforms(config, database_url=sqlite_url)

    assert result.status == "ok", result.error_samples
    posts = stored_posts(sqlite_url, "microblog")
    assert sorted(posts, key=lambda m: int(m[1:])) == [p["id"] for p in POSTS]
    assert posts["m7"].text == "第7条：路灯不亮"
    assert posts["m7"].author == "网友7"
    assert posts["m7"].published_at is not None
    [run] = crawl_runs(sqlite_url, "microblog")
    assert (run.status, run.items) == ("ok", 15)


def test_without_rendering_the_same_page_has_no_posts(
    tmp_path, fixture_server: FixtureServer, sqlite_url: str
) -> None:
    fixture_server.add_page("/feed", PAGE.replace("__POSTS__", json.dumps(POSTS)))
    body = RENDERED.format(url=fixture_server.url("/feed")).replace("render: true", "render: false")
    config = write_platforms(tmp_path, body)

    [result] = crawl_platforms(config, database_url=sqlite_url)

    assert result.items == 0
    assert result.error_samples[0]["kind"] == "no_items"
