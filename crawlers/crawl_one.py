"""Crawl one platform in this process (a Twisted reactor cannot restart, so
the runner starts one process per platform: ``python -m crawlers.crawl_one``).

The process prints progress and its result as lines starting with
``@@clues `` followed by JSON, on standard output."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from clue_pipeline import settings as clue_settings
from clue_pipeline.platforms.models import PlatformBase
from crawlers.result import PlatformResult

MESSAGE_PREFIX = "@@clues "
COMPONENT_SETTINGS = (
    "EXTENSIONS",
    "DOWNLOADER_MIDDLEWARES",
    "ITEM_PIPELINES",
    "SPIDER_MIDDLEWARES",
)


def emit_message(kind: str, **data: Any) -> None:
    """One machine-readable line for the parent process."""
    line = json.dumps({"event": kind, **data}, ensure_ascii=False, default=str)
    sys.stdout.write(MESSAGE_PREFIX + line + "\n")
    sys.stdout.flush()


def emit_progress(pages: int, items: int) -> None:
    emit_message("progress", pages=pages, items=items)


def load_platform(platforms_file: Path, name: str) -> PlatformBase:
    from clue_pipeline.errors import ConfigError
    from clue_pipeline.platforms.loader import load_platforms

    config = load_platforms(platforms_file)
    try:
        return config.get(name)
    except KeyError:
        known = ", ".join(p.name for p in config.platforms)
        raise ConfigError(
            f"{platforms_file}: no platform named '{name}'; expected one of: {known}"
        ) from None


def crawl(
    platform: PlatformBase,
    store: Any,
    *,
    since: datetime | None = None,
    max_pages: int | None = None,
    settings_overrides: dict[str, Any] | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Run the platform's spider to the end in this process; its result dict."""
    from scrapy.crawler import CrawlerProcess

    from crawlers.settings import platform_settings
    from crawlers.spiders import spider_class

    crawl_settings = platform_settings(platform)
    for key, value in (settings_overrides or {}).items():
        if key in COMPONENT_SETTINGS and isinstance(value, dict):
            value = {**crawl_settings.get(key, {}), **value}  # add components, keep ours
        crawl_settings[key] = value
    process = CrawlerProcess(crawl_settings, install_root_handler=True)
    crawler = process.create_crawler(spider_class(platform))
    started = time.monotonic()
    process.crawl(
        crawler,
        platform=platform,
        store=store,
        since=since,
        max_pages=max_pages,
        progress=progress,
    )
    # The imports and the parsed configuration are long-lived: kept out of the
    # garbage collector's full passes, which otherwise walk them again and again
    # while the crawl allocates (a third of a small page's CPU time).
    gc.freeze()
    try:
        process.start()
    finally:
        gc.unfreeze()
    spider = crawler.spider
    result = getattr(spider, "result", None) if spider is not None else None
    if result is None:  # the spider never opened: nothing was recorded by it
        raise RuntimeError(f"the crawl of '{platform.name}' ended before its spider opened")
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def run_platform(
    platforms_file: Path,
    name: str,
    *,
    database_url: str | None = None,
    since: datetime | None = None,
    settings_overrides: dict[str, Any] | None = None,
    progress: Any = None,
) -> PlatformResult:
    """Crawl platform ``name`` of ``platforms_file`` into the database, in THIS process."""
    from crawlers.store import DatabaseStore

    platform = load_platform(Path(platforms_file), name)
    store = DatabaseStore(database_url or clue_settings.database_url(), platform.name)
    try:
        result = crawl(
            platform,
            store,
            since=since,
            settings_overrides=settings_overrides,
            progress=progress,
        )
    finally:
        store.close()
    return PlatformResult.from_dict(result)


def check_platform(
    platforms_file: Path, name: str, *, settings_overrides: dict[str, Any] | None = None
) -> tuple[PlatformResult, list[dict[str, Any]]]:
    """Fetch the first page of ``name`` (and its posts' detail pages) through the
    same spider, storing nothing; the result and the extracted posts."""
    from crawlers.store import MemoryStore

    platform = load_platform(Path(platforms_file), name)
    store = MemoryStore(platform.name)
    result = crawl(platform, store, max_pages=1, settings_overrides=settings_overrides)
    return PlatformResult.from_dict(result), store.posts


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m crawlers.crawl_one")
    parser.add_argument("--platforms-file", required=True, type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--since", help="ISO 8601 datetime with offset")
    parser.add_argument("--check", action="store_true", help="first page only, store nothing")
    parser.add_argument("--settings", default="{}", help="JSON object of Scrapy settings")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from clue_pipeline.errors import ClueError

    args = _parse_args(argv)
    try:
        return _main(args)
    except ClueError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2


def _main(args: argparse.Namespace) -> int:
    overrides = json.loads(args.settings)
    since = datetime.fromisoformat(args.since) if args.since else None
    if args.check:
        result, posts = check_platform(args.platforms_file, args.name, settings_overrides=overrides)
        emit_message("check", result=result.to_dict(), posts=posts)
        return 0
    result = run_platform(
        args.platforms_file,
        args.name,
        database_url=args.database_url,
        since=since,
        settings_overrides=overrides,
        progress=emit_progress,
    )
    emit_message("result", result=result.to_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
