"""``clues crawl`` and ``clues platforms check`` (registered through the
``clues.cli`` entry point). Scrapy and Twisted are imported only by the crawl
processes, so ``clues --help`` stays fast."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

SINCE_TZ = "Asia/Shanghai"


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``--since``: an ISO date or datetime (local time Asia/Shanghai unless it
    has an offset), or any time a platform prints (``昨天 12:30``, ``3小时前``)."""
    from zoneinfo import ZoneInfo

    from clue_pipeline.storage.types import utcnow
    from clue_pipeline.timeparse import parse_time

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = parse_time(value, now=now or utcnow(), tz=SINCE_TZ)
        if parsed is None:
            raise typer.BadParameter(
                f"{value!r} is not a date; expected e.g. 2024-05-01 or '2024-05-01 08:00'",
                param_hint="--since",
            ) from None
        return parsed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(SINCE_TZ))
    return moment


def _platforms_file(config: Path | None) -> Path:
    from clue_pipeline import settings

    path = Path(config) if config else settings.platforms_file()
    if not path.exists():
        from clue_pipeline.errors import ConfigError

        raise ConfigError(f"{path}: platforms file not found; hint: pass --config FILE")
    return path


def _require_schema(database_url: str) -> None:
    from clue_pipeline.storage.migrate import require_schema

    require_schema(database_url)


def crawl_with_progress(
    platforms_file: Path,
    names: list[str] | None,
    database_url: str,
    since_at: datetime | None,
    parallel: int,
    *,
    quiet: bool = False,
) -> list[Any]:
    """Crawl with one live progress line per platform (on stderr)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from clue_pipeline.cli.output import error_console
    from crawlers.result import PlatformResult
    from crawlers.runner import crawl_platforms

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.fields[state]}"),
        TextColumn("pages {task.fields[pages]}  items {task.fields[items]}"),
        TimeElapsedColumn(),
        console=error_console,
        transient=quiet,
    ) as progress:
        tasks: dict[str, Any] = {}

        def task_of(name: str) -> Any:
            if name not in tasks:
                tasks[name] = progress.add_task(
                    name, total=None, state="crawling", pages=0, items=0
                )
            return tasks[name]

        def on_progress(name: str, pages: int, items: int) -> None:
            progress.update(task_of(name), pages=pages, items=items)

        def on_result(result: PlatformResult) -> None:
            progress.update(
                task_of(result.platform),
                state=result.status,
                pages=result.pages,
                items=result.items,
                total=1,
                completed=1,
            )

        results = crawl_platforms(
            platforms_file,
            names,
            database_url=database_url,
            since=since_at,
            max_parallel=parallel,
            on_result=on_result,
            on_progress=on_progress,
        )

    return results


def crawl_command(
    platform: list[str] = typer.Option(  # noqa: B008
        None, "--platform", "-p", help="Platform to crawl (repeatable); default: all enabled."
    ),
    since: str = typer.Option(None, "--since", help="Skip posts published before this date."),
    config: Path = typer.Option(None, "--config", help="Platforms file; default: CLUES_PLATFORMS."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as one JSON object."),
    parallel: int = typer.Option(2, "--parallel", min=1, max=16, help="Platforms at once."),
) -> None:
    """Crawl platforms into the database, each in its own process."""
    from clue_pipeline import settings
    from clue_pipeline.cli.output import console, error_console

    platforms_file = _platforms_file(config)
    since_at = parse_since(since) if since else None
    database_url = settings.database_url()
    _require_schema(database_url)

    results = crawl_with_progress(
        platforms_file, platform or None, database_url, since_at, parallel, quiet=as_json
    )

    failed = [r for r in results if r.failed]
    if as_json:
        payload = {
            "platforms": [r.to_dict() for r in results],
            "failed": [r.platform for r in failed],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        console.print(summary_table(results))
    for result in failed:
        error_console.print(result.failure_line(), markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


def summary_table(results: list[Any]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="crawl summary")
    for column in ("platform", "status", "pages", "items", "new", "errors", "seconds", "stop"):
        justify = "right" if column in ("pages", "items", "new", "errors", "seconds") else "left"
        table.add_column(column, justify=justify)
    style = {"ok": "green", "partial": "yellow", "failed": "bold red"}
    for r in results:
        table.add_row(
            Text(r.platform),
            Text(r.status, style=style.get(r.status, "")),
            str(r.pages),
            str(r.items),
            str(r.new_items),
            str(r.errors),
            f"{r.seconds:.1f}",
            Text(r.stop_reason or ""),
        )
    return table


def extraction_problems(platform: Any, posts: list[dict[str, Any]], result: Any) -> list[str]:
    """What looks wrong in a check: errors, fields that came out empty or unparsed."""
    problems = [
        f"{s.get('kind')}: {s.get('message')}" + (f" ({s['url']})" if s.get("url") else "")
        for s in result.error_samples
    ]
    if not posts:
        problems.append("no posts were extracted from the first page")
        return problems
    configured = set(getattr(platform, "fields", {}) or {})
    configured |= set(getattr(platform, "detail_fields", {}) or {})
    post_key = {"location": "location_text", "media": "media_urls"}
    for name in sorted(configured):
        key = post_key.get(name, name)
        empty = sum(1 for p in posts if p.get(key) in (None, "", []))
        if empty:
            problems.append(f"field '{name}' is empty in {empty} of {len(posts)} posts")
        if name == "published_at":
            unparsed = [
                p["raw"].get("published_at")
                for p in posts
                if p.get("published_at") is None and p.get("raw", {}).get("published_at")
            ]
            if unparsed:
                problems.append(
                    f"field 'published_at': {len(unparsed)} times could not be read, "
                    f"e.g. {str(unparsed[0])[:40]!r}"
                )
    return problems


def check_command(
    name: str = typer.Argument(..., help="Platform name."),
    config: Path = typer.Option(None, "--config", help="Platforms file; default: CLUES_PLATFORMS."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Fetch a platform's first page, show what it extracts, store nothing."""
    from rich.table import Table
    from rich.text import Text

    from clue_pipeline.cli.output import console, error_console
    from crawlers.crawl_one import load_platform
    from crawlers.runner import check_platform_process

    platforms_file = _platforms_file(config)
    platform = load_platform(platforms_file, name)
    with error_console.status(f"fetching the first page of {name} ..."):
        result, posts = check_platform_process(platforms_file, name)
    problems = extraction_problems(platform, posts, result)
    if as_json:
        payload = {
            "platform": name,
            "status": result.status,
            "pages": result.pages,
            "posts": posts,
            "problems": problems,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        table = Table(title=f"{name}: {len(posts)} posts from {result.pages} pages (not stored)")
        for column in (
            "id",
            "published",
            "author",
            "text",
            "likes",
            "comments",
            "reposts",
            "media",
        ):
            table.add_column(column, overflow="fold")
        for post in posts:
            text = post.get("text") or ""
            table.add_row(
                Text(str(post["external_id"])),
                Text(str(post.get("published_at") or "")),
                Text(post.get("author") or ""),
                Text(text[:80] + ("…" if len(text) > 80 else "")),
                str(post.get("likes") if post.get("likes") is not None else ""),
                str(post.get("comments") if post.get("comments") is not None else ""),
                str(post.get("reposts") if post.get("reposts") is not None else ""),
                str(len(post.get("media_urls") or [])),
            )
        console.print(table)
        for problem in problems:
            error_console.print(Text(f"problem: {problem}", style="yellow"))
        if not problems:
            console.print("no extraction problems found")
    if result.failed or not posts:
        raise typer.Exit(1)


def run_command(
    platform: list[str] = typer.Option(  # noqa: B008
        None, "--platform", "-p", help="Platform to crawl (repeatable); default: all enabled."
    ),
    since: str = typer.Option(None, "--since", help="Skip posts published before this date."),
    config: Path = typer.Option(None, "--config", help="Platforms file; default: CLUES_PLATFORMS."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as one JSON object."),
    parallel: int = typer.Option(2, "--parallel", min=1, max=16, help="Platforms at once."),
) -> None:
    """One nightly run: crawl -> process -> queue.

    A platform that fails is recorded and the run goes on with what the others brought."""
    from clue_pipeline import settings
    from clue_pipeline.cli.output import console, error_console
    from clue_pipeline.cli.process_commands import (
        checked_processing_context,
        process_with_progress,
        report_dict,
        report_line,
    )
    from clue_pipeline.storage.db import make_engine

    platforms_file = _platforms_file(config)
    since_at = parse_since(since) if since else None
    database_url = settings.database_url()
    _require_schema(database_url)
    context = checked_processing_context()  # a broken file is said before the crawl
    results = crawl_with_progress(
        platforms_file, platform or None, database_url, since_at, parallel, quiet=as_json
    )
    engine = make_engine(database_url)
    try:
        report = process_with_progress(engine, quiet=as_json, context=context)
    finally:
        engine.dispose()
    failed = [r for r in results if r.failed]
    if as_json:
        payload = {
            "platforms": [r.to_dict() for r in results],
            "failed": [r.platform for r in failed],
            "processing": report_dict(report),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        console.print(summary_table(results))
        console.print(report_line(report))
    for result in failed:
        error_console.print(result.failure_line(), markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


def register(registry: Any) -> None:
    """Add ``crawl``, ``run`` and ``platforms check`` to the ``clues`` app."""
    registry.app.command("crawl")(crawl_command)
    registry.app.command("run")(run_command)
    registry.platforms.command("check")(check_command)
