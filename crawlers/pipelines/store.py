"""Posts go to the spider's store, which batches the database writes."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler


class StorePostsPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePostsPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        self.crawler.spider.store.add(item)
        return item

    def close_spider(self) -> None:
        self.crawler.spider.store.flush()
