"""One generic spider per platform kind, built from its configuration."""

from __future__ import annotations

from clue_pipeline.platforms.models import PlatformBase


def spider_class(platform: PlatformBase) -> type:
    """The spider class that crawls ``platform``'s kind."""
    if platform.kind == "html":
        from crawlers.spiders.html import HtmlSpider

        return HtmlSpider
    if platform.kind == "json":
        from crawlers.spiders.json_api import JsonSpider

        return JsonSpider
    if platform.kind == "feed":
        from crawlers.spiders.feed import FeedSpider

        return FeedSpider
    raise ValueError(f"no spider for platform kind {platform.kind!r}")
