"""Scrapy settings of a crawl, built from one platform's configuration.

Everything polite is on by default: robots.txt, a delay and a concurrency per
platform, AutoThrottle, an identifying User-Agent, retries with backoff that
honour Retry-After, time-outs and a page-size limit."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from clue_pipeline.platforms.models import HtmlPlatform, PlatformBase

PROJECT_URL = "https://github.com/clue-pipeline/clue-pipeline"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 520, 521, 522, 524]
REDIRECT_MAX_TIMES = 5
PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def package_version() -> str:
    try:
        return version("clue-pipeline")
    except PackageNotFoundError:
        return "0"


def default_user_agent() -> str:
    return f"clue-pipeline/{package_version()} (+{PROJECT_URL}; public-service clue mining)"


# Settings shared by every crawl (the Scrapy project's settings module).
BASE_SETTINGS: dict[str, Any] = {
    "BOT_NAME": "clue-pipeline",
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "LOGSTATS_INTERVAL": 0,
    "REDIRECT_MAX_TIMES": REDIRECT_MAX_TIMES,
    "RETRY_ENABLED": True,
    "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
    "HTTPERROR_ALLOW_ALL": False,
    "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawlers.middlewares.retry.BackoffRetryMiddleware": 550,
        # below HttpCompressionMiddleware (590): sees decompressed bodies
        "crawlers.middlewares.encoding.EncodingMiddleware": 580,
    },
    "ITEM_PIPELINES": {"crawlers.pipelines.store.StorePostsPipeline": 300},
    "EXTENSIONS": {"crawlers.extensions.crawl_run.CrawlRunRecorder": 100},
}


def platform_settings(platform: PlatformBase) -> dict[str, Any]:
    """The settings of one platform's crawl (politeness, rendering)."""
    polite = platform.politeness
    settings = dict(BASE_SETTINGS)
    settings.update(
        {
            "USER_AGENT": polite.user_agent or default_user_agent(),
            "ROBOTSTXT_OBEY": polite.obey_robots,
            "DOWNLOAD_DELAY": polite.download_delay,
            "CONCURRENT_REQUESTS": max(polite.concurrency, 2),
            "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrency,
            "AUTOTHROTTLE_ENABLED": polite.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(polite.download_delay, 0.5),
            "AUTOTHROTTLE_MAX_DELAY": max(60.0, polite.download_delay),
            "AUTOTHROTTLE_TARGET_CONCURRENCY": float(polite.concurrency),
            "DOWNLOAD_TIMEOUT": polite.timeout,
            "RETRY_TIMES": polite.retries,
            "DOWNLOAD_MAXSIZE": polite.max_page_bytes,
            "DOWNLOAD_WARNSIZE": max(polite.max_page_bytes // 2, 1),
            # read by crawlers.middlewares.retry / .encoding
            "CLUES_RETRY_BACKOFF": polite.backoff,
            "CLUES_MAX_RETRY_AFTER": polite.max_retry_after,
            "CLUES_ENCODING": platform.encoding,
        }
    )
    if isinstance(platform, HtmlPlatform) and platform.render:
        settings.update(render_settings(platform))
    return settings


def render_settings(platform: HtmlPlatform) -> dict[str, Any]:
    """Chromium through scrapy-playwright, only for ``render: true`` platforms."""
    timeout_ms = platform.render_options.timeout_ms
    return {
        "DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": CHROMIUM,
            "headless": True,
            "args": list(CHROMIUM_ARGS),
            "timeout": timeout_ms,
        },
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_ms,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max(platform.politeness.concurrency, 1),
        "DOWNLOAD_TIMEOUT": max(platform.politeness.timeout, timeout_ms / 1000 + 10),
    }
