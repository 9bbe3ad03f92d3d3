"""The feed spider: RSS and Atom through feedparser (``rel="next"`` links are
followed, RFC 5005)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import scrapy
from parsel import Selector
from scrapy.http import Response

from clue_pipeline.platforms.models import FeedPlatform
from crawlers import errors
from crawlers.selectors import squash
from crawlers.spiders.base import STOP_END, STOP_ERROR, STOP_NO_ITEMS, PlatformSpider

_TEXT = "//text()[not(ancestor::script) and not(ancestor::style)]"


def html_to_text(value: str | None) -> str | None:
    if not value:
        return None
    if "<" not in value:
        return squash(value) or None
    return squash("".join(Selector(text=value).xpath(_TEXT).getall())) or None


def entry_media(entry: Any) -> list[str]:
    urls = [e.get("href") for e in entry.get("enclosures", [])]
    urls += [m.get("url") for m in entry.get("media_content", [])]
    urls += [m.get("url") for m in entry.get("media_thumbnail", [])]
    return [u for u in urls if u]


def entry_raw(entry: Any, overrides: dict[str, str]) -> dict[str, Any]:
    """Raw field values of one feed entry; ``overrides`` map field -> entry key."""
    content = entry.get("content") or []
    body = content[0].get("value") if content else entry.get("summary")
    raw: dict[str, Any] = {
        "external_id": entry.get("id") or entry.get("link"),
        "url": entry.get("link"),
        "title": html_to_text(entry.get("title")),
        "text": html_to_text(body),
        "author": entry.get("author"),
        "published_at": entry.get("published") or entry.get("updated"),
        "media": entry_media(entry),
    }
    for name, key in overrides.items():
        value = entry.get(key)
        if name in ("text", "title") and isinstance(value, str):
            value = html_to_text(value)
        raw[name] = value
    return raw


def entry_time(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


class FeedSpider(PlatformSpider):
    platform: FeedPlatform

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.page_request(self.platform.url, 1)

    def page_request(self, url: str, page_no: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_feed,
            errback=self.on_error,
            cb_kwargs={"page_no": page_no},
            meta={"page_no": page_no},
        )

    def parse_feed(self, response: Response, page_no: int) -> Iterator[Any]:
        self.count_page()
        headers = {"content-type": response.headers.get("Content-Type", b"").decode("latin-1")}
        feed = feedparser.parse(response.body, response_headers=headers)
        if not feed.entries:
            if feed.bozo:
                message = f"not a feed: {feed.get('bozo_exception')!r}"
                errors.record_error(self, errors.PARSE_ERROR, response.url, message)
                self.stop(STOP_ERROR)
            else:
                errors.record_error(self, errors.NO_ITEMS, response.url, "the feed has no entries")
                self.stop(STOP_NO_ITEMS)
            return
        posts = []
        for entry in feed.entries:
            raw = entry_raw(entry, dict(self.platform.fields))
            post = self.build(raw, response.url)
            if post["published_at"] is None and "published_at" not in self.platform.fields:
                post["published_at"] = entry_time(entry)
            posts.append(post)
        kept, go_on = self.screen_page(posts)
        yield from self.emit(kept)
        if not go_on:
            return
        next_links = [
            link.get("href") for link in feed.feed.get("links", []) if link.get("rel") == "next"
        ]
        if not next_links or not next_links[0]:
            self.stop(STOP_END)
            return
        if self.may_follow(page_no):
            yield self.page_request(response.urljoin(next_links[0]), page_no + 1)
