"""Scrapy downloader middlewares for crawl faults, one component per module.

- :mod:`crawlers.middlewares.retry` — :class:`BackoffRetryMiddleware`: retries
  429/5xx/timeouts/data loss with exponential backoff and ``Retry-After``,
  and records every download it gives up on.
- :mod:`crawlers.middlewares.encoding` — :class:`EncodingMiddleware`: forced
  platform encodings and GB18030 for undeclared Chinese pages.

Both read the platform's settings from ``spider.platform`` (a
``clue_pipeline.platforms.models`` platform) and are enabled in
``crawlers/settings.py``.
"""
