"""The html spider: list pages (CSS or XPath), optional detail pages, a
next-page link, and Chromium rendering for pages built by JavaScript."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from clue_pipeline.platforms.models import HtmlPlatform
from crawlers import errors
from crawlers.selectors import FieldSelector, compile_fields
from crawlers.spiders.base import STOP_END, STOP_NO_ITEMS, PlatformSpider

# Scrolls to the bottom up to ``scrolls`` times, waiting ``pauseMs`` after each,
# and stops as soon as a scroll made the page no taller (nothing more loaded).
# Returns the number of scrolls done.
SCROLL_SCRIPT = """async ([scrolls, pauseMs]) => {
  const height = () => Math.max(
    document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
  let last = height();
  let done = 0;
  while (done < scrolls) {
    window.scrollBy(0, last);
    done += 1;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const now = height();
    if (now <= last) break;
    last = now;
  }
  return done;
}"""


def render_page_methods(platform: HtmlPlatform) -> list[Any]:
    """Playwright page methods: wait for the selector, then scroll until the
    page stops growing or ``scrolls`` scrolls were done (one evaluate)."""
    from scrapy_playwright.page import PageMethod

    options = platform.render_options
    methods = []
    if options.wait_for:
        methods.append(
            PageMethod("wait_for_selector", options.wait_for, timeout=options.timeout_ms)
        )
    if options.scrolls:
        methods.append(
            PageMethod("evaluate", SCROLL_SCRIPT, [options.scrolls, options.scroll_pause_ms])
        )
    return methods


class HtmlSpider(PlatformSpider):
    platform: HtmlPlatform

    def __init__(self, platform: HtmlPlatform, store: Any, **kwargs: Any) -> None:
        super().__init__(platform, store, **kwargs)
        spec = platform.list
        self.item_selector = FieldSelector.compile(spec.item)
        self.next_selector = FieldSelector.compile(spec.next_page) if spec.next_page else None
        self.detail_selector = FieldSelector.compile(spec.detail_link) if spec.detail_link else None
        self.fields = compile_fields(platform.fields)
        self.detail_fields = compile_fields(platform.detail_fields)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.platform.start_urls:
            yield self.page_request(url, self.parse_list, page_no=1)

    def page_request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        meta: dict[str, Any] = {}
        if "page_no" in cb_kwargs:
            meta["page_no"] = cb_kwargs["page_no"]
        if self.platform.render:
            meta["playwright"] = True
            meta["playwright_page_methods"] = render_page_methods(self.platform)
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs, meta=meta
        )

    def parse_list(self, response: Response, page_no: int) -> Iterator[Any]:
        if not self.page_response(response):
            return
        nodes = self.item_selector.select(response.selector.root)
        if not nodes:
            errors.record_error(
                self,
                errors.NO_ITEMS,
                response.url,
                f"list.item {self.item_selector.source!r} matched nothing",
            )
            self.stop(STOP_NO_ITEMS)
            return
        entries: list[tuple[dict[str, Any], str | None]] = []
        for node in nodes:
            try:
                raw = {name: sel.extract(node) for name, sel in self.fields.items()}
                detail_url = None
                if self.detail_selector is not None:
                    link = self.detail_selector.extract(node)
                    detail_url = response.urljoin(link) if isinstance(link, str) else None
            except Exception as exc:  # a selector that fails on this page's markup
                errors.record_error(self, errors.PARSE_ERROR, response.url, repr(exc))
                continue
            entries.append((raw, detail_url))
        follow_details = bool(self.detail_fields)
        posts = []
        for raw, detail_url in entries:
            if detail_url and follow_details:
                # built once, from the detail page; the list page only decides
                post = self.identify(raw, response.url, default_url=detail_url)
                post["_raw"] = raw
            else:
                post = self.build(raw, response.url, default_url=detail_url)
            post["_detail"] = detail_url
            posts.append(post)
        kept, go_on = self.screen_page(posts)
        for post in kept:
            detail_url = post.pop("_detail")
            if detail_url and follow_details:
                if not post["_known"]:
                    yield self.page_request(
                        detail_url, self.parse_detail, raw=post["_raw"], detail_url=detail_url
                    )
            else:
                yield from self.emit([post])
        if go_on:
            yield from self.follow_next(response, page_no)

    def follow_next(self, response: Response, page_no: int) -> Iterator[scrapy.Request]:
        link = self.next_selector.extract(response.selector.root) if self.next_selector else None
        next_url = response.urljoin(link) if isinstance(link, str) and link else None
        if not next_url or next_url == response.url:
            self.stop(STOP_END)
            return
        if self.may_follow(page_no):
            yield self.page_request(next_url, self.parse_list, page_no=page_no + 1)

    def parse_detail(
        self, response: Response, raw: dict[str, Any], detail_url: str
    ) -> Iterator[dict[str, Any]]:
        if not self.page_response(response):
            return
        try:
            page = response.selector.root
            detail = {name: sel.extract(page) for name, sel in self.detail_fields.items()}
        except Exception as exc:
            errors.record_error(self, errors.PARSE_ERROR, response.url, repr(exc))
            return
        merged = dict(raw)
        merged.update({k: v for k, v in detail.items() if v not in (None, [])})
        post = self.build(merged, response.url, default_url=detail_url)
        if self.is_old(post):
            return
        yield from self.emit([post])
