"""What every platform spider shares: the store, the stop rules of paging
(``since``, ``caught_up``, ``max_pages``, ``end``) and error recording."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from clue_pipeline.platforms.models import PlatformBase
from clue_pipeline.storage.types import utcnow
from crawlers import errors
from crawlers.posts import build_post, post_identity

# Why paging stopped.
STOP_END = "end"
STOP_SINCE = "since"
STOP_CAUGHT_UP = "caught_up"
STOP_MAX_PAGES = "max_pages"
STOP_ERROR = "error"
STOP_NO_ITEMS = "no_items"


class PlatformSpider(scrapy.Spider):
    """Base of the generic spiders. ``store`` is a DatabaseStore or a MemoryStore."""

    def __init__(
        self,
        platform: PlatformBase,
        store: Any,
        *,
        since: datetime | None = None,
        now: datetime | None = None,
        max_pages: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=platform.name, **kwargs)
        self.platform = platform
        self.store = store
        self.since = since
        self.now = now or utcnow()
        self.max_pages = max_pages or platform.max_pages
        self.pages = 0
        self.stop_reason: str | None = None
        self.error_log = errors.ErrorLog()
        self.progress = progress
        self._last_progress = 0.0

    # -- helpers for subclasses -------------------------------------------

    def stop(self, reason: str) -> None:
        """Remember the first reason paging stopped."""
        if self.stop_reason is None:
            self.stop_reason = reason

    def build(
        self, raw: dict[str, Any], base_url: str, *, default_url: str | None = None
    ) -> dict[str, Any]:
        return build_post(
            raw, base_url=base_url, now=self.now, tz=self.platform.timezone, default_url=default_url
        )

    def identify(
        self, raw: dict[str, Any], base_url: str, *, default_url: str | None = None
    ) -> dict[str, Any]:
        """A post's url, external id and publication time, for ``screen_page``
        (``external_id`` None: only the full post's text digest names it)."""
        return post_identity(
            raw, base_url=base_url, now=self.now, tz=self.platform.timezone, default_url=default_url
        )

    def is_old(self, post: dict[str, Any]) -> bool:
        published = post.get("published_at")
        return self.since is not None and published is not None and published < self.since

    def screen_page(self, posts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        """Apply ``since`` and the caught-up rule to one list page.

        Returns the posts to keep (new ones and stored ones whose counters
        refresh) and whether paging may go on."""
        if not posts:
            return [], False
        kept = [p for p in posts if not self.is_old(p)]
        go_on = True
        if self.since is not None and not kept:
            self.stop(STOP_SINCE)
            return [], False
        ids = {p["external_id"] for p in posts}
        known = self.store.known_ids(ids)
        if ids and ids <= known:
            self.stop(STOP_CAUGHT_UP)
            go_on = False
        for post in kept:
            post["_known"] = post["external_id"] in known
        return kept, go_on

    def may_follow(self, page_no: int) -> bool:
        """Whether page ``page_no + 1`` may be fetched (``max_pages``)."""
        if page_no >= self.max_pages:
            self.stop(STOP_MAX_PAGES)
            return False
        return True

    def emit(self, posts: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Posts with text go to the pipeline; those without are errors."""
        for post in posts:
            post.pop("_known", None)
            if not post.get("text"):
                errors.record_error(
                    self,
                    errors.NO_TEXT,
                    post.get("url"),
                    f"post {post['external_id']!r} has no text",
                )
                continue
            yield post

    def count_page(self) -> None:
        """One more page read; progress reported at most 5 times a second."""
        self.pages += 1
        if self.progress is not None and time.monotonic() - self._last_progress >= 0.2:
            self._last_progress = time.monotonic()
            self.progress(self.pages, self.store.totals.items)

    def page_response(self, response: Response) -> bool:
        """Count a page; False (and an error) when it is not text."""
        self.count_page()
        if not hasattr(response, "text"):
            errors.record_error(
                self, errors.PARSE_ERROR, response.url, "response is not a text page"
            )
            return False
        return True

    # -- errback ------------------------------------------------------------

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        url = request.url
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            kind, message = errors.ROBOTS_FORBIDDEN, "forbidden by robots.txt"
        elif failure.check(HttpError):
            status = failure.value.response.status
            kind, message = errors.HTTP_ERROR, f"HTTP {status}"
        else:
            kind = errors.REQUEST_FAILED
            message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        if request.meta.get("page_no") is not None:
            self.stop(STOP_ERROR)
        if kind != errors.ROBOTS_FORBIDDEN and errors.already_recorded(self, url):
            return
        errors.record_error(self, kind, url, message)
