"""One crawl_runs row per crawl: started when the spider opens (after stale
runs of the platform are marked aborted), finished when it closes."""

from __future__ import annotations

import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from clue_pipeline.storage.crawl_runs import RunTotals
from crawlers.errors import error_log

ABNORMAL_CLOSE = ("shutdown", "cancelled")


class CrawlRunRecorder:
    def __init__(self) -> None:
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        recorder = cls()
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        spider.store.start_run(spider.since)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        store: Any = spider.store
        store.flush()  # the pipeline flushed; a last safety net
        log = error_log(spider)
        totals = RunTotals(
            pages=spider.pages,
            items=store.totals.items,
            new_items=store.totals.new_items,
            updated_items=store.totals.updated_items,
            errors=log.count,
            stop_reason=spider.stop_reason,
        )
        samples = list(log.samples)
        failed = reason in ABNORMAL_CLOSE
        if failed:
            samples.insert(
                0, {"kind": "closed", "url": None, "message": f"spider closed: {reason}"}
            )
        status = store.finish_run(totals, samples, failed=failed)
        spider.result = {
            "platform": spider.name,
            "run_id": store.run_id,
            "status": status,
            "pages": totals.pages,
            "items": totals.items,
            "new_items": totals.new_items,
            "updated_items": totals.updated_items,
            "errors": totals.errors,
            "error_samples": samples,
            "seconds": round(time.monotonic() - self.started, 3),
            "stop_reason": totals.stop_reason,
        }
