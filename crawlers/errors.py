"""Crawl errors: counted and sampled per spider, written to the crawl_runs row.

Any component (spider, middleware, pipeline) calls :func:`record_error`; the
crawl-run recorder reads the totals when the spider closes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from clue_pipeline.storage.crawl_runs import MAX_ERROR_SAMPLES

logger = logging.getLogger(__name__)

# Kinds a spider records; middlewares may add their own.
REQUEST_FAILED = "request_failed"
HTTP_ERROR = "http_error"
ROBOTS_FORBIDDEN = "robots_forbidden"
PARSE_ERROR = "parse_error"
JSON_DECODE = "json_decode"
NO_ITEMS = "no_items"
NO_TEXT = "no_text"


@dataclass
class ErrorLog:
    """Errors of one crawl: a total, counts per kind and the first samples."""

    count: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    urls: set[str] = field(default_factory=set)

    def add(self, kind: str, url: str | None, message: str) -> None:
        self.count += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if url:
            self.urls.add(url)
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append({"kind": kind, "url": url, "message": message[:500]})


def error_log(spider: Any) -> ErrorLog:
    """The spider's error log, created on first use."""
    log = getattr(spider, "error_log", None)
    if not isinstance(log, ErrorLog):
        log = ErrorLog()
        spider.error_log = log
    return log


def record_error(spider: Any, kind: str, url: str | None, message: str) -> None:
    """Count one error of ``kind`` at ``url`` and keep a sample of it."""
    error_log(spider).add(kind, url, message)
    crawler = getattr(spider, "crawler", None)
    if crawler is not None and crawler.stats is not None:
        crawler.stats.inc_value("clues/errors")
        crawler.stats.inc_value(f"clues/errors/{kind}")
    logger.warning("%s: %s at %s: %s", getattr(spider, "name", "?"), kind, url, message)


def already_recorded(spider: Any, url: str) -> bool:
    """Whether an error was already recorded for ``url`` (e.g. by the retry
    middleware when it gave up), so the request's errback does not count it twice."""
    return url in error_log(spider).urls
