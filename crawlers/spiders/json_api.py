"""The json spider: an API URL template, JMESPath field mapping, page-number
or cursor pagination."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import jmespath
import scrapy
from scrapy.http import Response

from clue_pipeline.platforms.models import JsonPlatform
from crawlers import errors
from crawlers.spiders.base import STOP_END, STOP_ERROR, STOP_NO_ITEMS, PlatformSpider


def fill_template(template: str, values: dict[str, Any], *, quoted: bool = True) -> str:
    """``{name}`` placeholders replaced by values (URL-quoted); others left alone."""
    for name, value in values.items():
        text = "" if value is None else str(value)
        template = template.replace("{" + name + "}", quote(text, safe="") if quoted else text)
    return template


class JsonSpider(PlatformSpider):
    platform: JsonPlatform

    def __init__(self, platform: JsonPlatform, store: Any, **kwargs: Any) -> None:
        super().__init__(platform, store, **kwargs)
        self.items_path = jmespath.compile(platform.items)
        self.field_paths = {name: jmespath.compile(expr) for name, expr in platform.fields.items()}
        paging = platform.pagination
        self.cursor_path = jmespath.compile(paging.cursor) if paging.cursor else None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        paging = self.platform.pagination
        yield self.page_request(1, page=paging.start, cursor=paging.first_cursor)

    def page_url(self, page: int, cursor: str | None) -> str:
        since = self.since.date().isoformat() if self.since else ""
        return fill_template(self.platform.url, {"page": page, "cursor": cursor, "since": since})

    def page_request(self, page_no: int, *, page: int, cursor: str | None) -> scrapy.Request:
        return scrapy.Request(
            self.page_url(page, cursor),
            headers=self.platform.headers or None,
            callback=self.parse_page,
            errback=self.on_error,
            cb_kwargs={"page_no": page_no, "page": page, "cursor": cursor},
            meta={"page_no": page_no},
        )

    def parse_page(
        self, response: Response, page_no: int, page: int, cursor: str | None
    ) -> Iterator[Any]:
        self.count_page()
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            errors.record_error(self, errors.JSON_DECODE, response.url, str(exc))
            self.stop(STOP_ERROR)
            return
        records = self.items_path.search(data)
        if not isinstance(records, list):
            errors.record_error(
                self,
                errors.NO_ITEMS,
                response.url,
                f"items {self.platform.items!r} found no list in the response",
            )
            self.stop(STOP_NO_ITEMS)
            return
        if not records:
            self.stop(STOP_END)
            return
        posts = []
        for record in records:
            try:
                raw = {name: path.search(record) for name, path in self.field_paths.items()}
            except Exception as exc:  # a record of an unexpected shape
                errors.record_error(self, errors.PARSE_ERROR, response.url, repr(exc))
                continue
            default_url = None
            if self.platform.url_template:
                default_url = fill_template(self.platform.url_template, raw, quoted=False)
            posts.append(self.build(raw, response.url, default_url=default_url))
        kept, go_on = self.screen_page(posts)
        yield from self.emit(kept)
        if go_on:
            yield from self.follow_next(data, page_no, page, cursor)

    def follow_next(
        self, data: Any, page_no: int, page: int, cursor: str | None
    ) -> Iterator[scrapy.Request]:
        paging = self.platform.pagination
        if paging.type == "none":
            self.stop(STOP_END)
            return
        if paging.type == "cursor":
            next_cursor = self.cursor_path.search(data) if self.cursor_path else None
            if next_cursor in (None, "", 0, False) or str(next_cursor) == str(cursor):
                self.stop(STOP_END)
                return
            if self.may_follow(page_no):
                yield self.page_request(page_no + 1, page=page, cursor=str(next_cursor))
            return
        if self.may_follow(page_no):
            yield self.page_request(page_no + 1, page=page + paging.step, cursor=cursor)
