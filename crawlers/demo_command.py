"""``clues demo``: the bundled demo platforms of 云江市, crawled end to end.

Starts the demo platforms (clue_pipeline.demo.server) on a free port of
127.0.0.1, crawls all five with ``config/platforms.demo.yaml`` into a fresh
demo database under ``var/demo/``, and prints what was stored."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from clue_pipeline import settings
from clue_pipeline.cli.app import CliRegistry
from clue_pipeline.cli.output import console, say
from clue_pipeline.errors import ClueError
from crawlers.result import FAILED, PlatformResult

DEMO_PLATFORMS_FILE = "config/platforms.demo.yaml"
DEMO_PROCESSING_FILE = "config/processing.demo.yaml"
PROCESSING_ENV = "CLUES_PROCESSING"
# the demo city's files that processing and the web UI read: a project home without them
# (`clues demo` run elsewhere) gets this checkout's, as the platforms and processing files do
DEMO_CITY_SETTINGS = ("catalog_file", "gazetteer_file", "urgency_file", "workflow_file")
BASE_URL_ENV = "DEMO_BASE_URL"
BROWSER_MISSING = "browser_missing"
SAMPLE_POSTS = 3
SAMPLE_CHARS = 30
MAX_PARALLEL = 3
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def register(registry: CliRegistry) -> None:
    registry.app.command("demo")(demo)


def demo(
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Exit once the crawl is done and its results are printed."
    ),
    port: int = typer.Option(
        0, "--port", min=0, max=65535, help="Port of the demo platforms; 0: a free one."
    ),
    keep: bool = typer.Option(
        False, "--keep", help="Keep the demo database of earlier runs instead of starting afresh."
    ),
    ui_port: int = typer.Option(
        0, "--ui-port", min=0, max=65535, help="Port of the web UI at the end; 0: a free one."
    ),
) -> None:
    """Serve the bundled demo platforms on 127.0.0.1, crawl them all, process
    the posts into the clue queue, then serve the analysts' web UI over it
    (with demo accounts) until Ctrl-C; --no-serve ends after printing."""
    from clue_pipeline.cli.process_commands import checked_processing_context
    from clue_pipeline.demo.corpus import load_corpus
    from clue_pipeline.demo.server import DemoServer
    from clue_pipeline.platforms.loader import load_platforms

    platforms_file = demo_platforms_file()
    database = demo_database(fresh=not keep)
    database_url = f"sqlite:///{database}"
    corpus = load_corpus()
    expected = dict(Counter(post.platform for post in corpus))

    if not os.environ.get(PROCESSING_ENV):
        # too few posts to train the sentence model: group on character n-grams
        os.environ[PROCESSING_ENV] = str(demo_processing_file())
    use_demo_city_files()
    context = checked_processing_context()  # a broken file is said before the crawl
    started = time.monotonic()
    with DemoServer(corpus, port=port) as server, _environment(BASE_URL_ENV, server.base_url):
        console.print(
            f"demo platforms of 云江市 at [bold]{server.base_url}/[/] "
            f"({len(corpus)} posts on {len(expected)} platforms)",
            highlight=False,
        )
        config = load_platforms(platforms_file)
        names = [p.name for p in config.enabled()]
        browser = [p.name for p in config.enabled() if getattr(p, "render", False)]
        results = crawl_demo(platforms_file, names, browser, database_url, expected)
    seconds = time.monotonic() - started

    print_results(results, expected, database_url, seconds)
    process_demo(database_url, context)
    unexplained = [r for r in results if r.failed and not _browser_missing(r)]
    if unexplained:
        raise typer.Exit(1)
    from clue_pipeline.cli.app import registry

    for finish in registry.demo_finish:
        finish(database_url, not no_serve, ui_port, demo_environment(processing=False))


QUEUE_ROWS = 15


def process_demo(database_url: str, context=None) -> None:  # noqa: ANN001
    """Process what was crawled and show the head of the clue queue (``context``: what
    processing reads, loaded before the crawl)."""
    from clue_pipeline.cli.process_commands import (
        clue_summaries,
        process_with_progress,
        report_line,
    )
    from clue_pipeline.storage.db import make_engine, session_scope

    engine = make_engine(database_url)
    try:
        report = process_with_progress(engine, context=context)
        console.print(report_line(report), highlight=False)
        with session_scope(engine) as session:
            rows = clue_summaries(session, limit=QUEUE_ROWS)
    finally:
        engine.dispose()
    table = Table(title=f"clue queue, first {len(rows)} (urgent first, then priority)")
    table.add_column("id", justify="right", no_wrap=True, min_width=3)
    table.add_column("tier", no_wrap=True, min_width=6)
    table.add_column("priority", justify="right", no_wrap=True, min_width=5)
    table.add_column("item", no_wrap=True, overflow="ellipsis", max_width=12)
    table.add_column("district", no_wrap=True)
    table.add_column("posts", justify="right", no_wrap=True, min_width=5)
    table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=30)
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["urgency"],
            f"{row['priority']:.1f}",
            Text(row["item"] or "-"),
            Text(row["district"] or "-"),
            f"{row['post_count']}/{row['platform_count']}p",
            Text(" ".join((row["title"] or "").split())),
            style="bold red" if row["urgent"] else None,
        )
    console.print(table)
    city = demo_environment(processing=False)  # the checkout's city files, if the home lacks them
    database = f"{city} CLUES_DATABASE_URL={database_url}".strip()
    say(f"the whole queue: {database} clues queue list")
    environment = demo_environment()
    if environment:
        say(
            f"process it again (or `clues index rebuild`) with its settings: "
            f"{environment} CLUES_DATABASE_URL={database_url} clues process"
        )
    say(
        f"work it: {database} clues clue claim --next "
        "(then clues clue show ID, verify or reject, file; see README: Working the queue)"
    )


def demo_platforms_file() -> Path:
    """``config/platforms.demo.yaml`` of the project home, else of this checkout."""
    return _demo_file(DEMO_PLATFORMS_FILE)


def demo_processing_file() -> Path:
    """``config/processing.demo.yaml`` of the project home, else of this checkout."""
    return _demo_file(DEMO_PROCESSING_FILE)


def use_demo_city_files() -> None:
    """Point each demo city file the project home lacks (and no variable names) at this
    checkout's copy."""
    for name in DEMO_CITY_SETTINGS:
        setting = settings.setting(name)
        if os.environ.get(setting.env) or settings.resolve_path(setting.default).is_file():
            continue
        os.environ[setting.env] = str(_demo_file(setting.default))


def demo_environment(*, processing: bool = True) -> str:
    """The variables the demo processed with (its processing file unless not
    ``processing``, and the city files it took from this checkout), as ``NAME=value`` words
    for a command line."""
    names = [PROCESSING_ENV] if processing else []
    names += [settings.setting(n).env for n in DEMO_CITY_SETTINGS]
    return " ".join(f"{name}={os.environ[name]}" for name in names if os.environ.get(name))


def _demo_file(name: str) -> Path:
    candidates = [settings.resolve_path(name), Path(__file__).resolve().parents[1] / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ClueError(
        f"{name}: file not found (looked in {candidates[0].parent} and "
        f"{candidates[1].parent}); hint: run `clues demo` from the project checkout "
        "or set CLUES_HOME to it"
    )


def demo_database(*, fresh: bool) -> Path:
    """``var/demo/clues.db``, emptied when ``fresh``, migrated to the latest schema."""
    from clue_pipeline.storage.migrate import upgrade

    folder = settings.var_dir() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "clues.db"
    if fresh:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    upgrade(f"sqlite:///{database}")
    return database


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` for the block (the crawl processes inherit it)."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def crawl_demo(
    platforms_file: Path,
    names: Sequence[str],
    browser_platforms: Sequence[str],
    database_url: str,
    expected: dict[str, int],
) -> list[PlatformResult]:
    """Crawl ``names`` with a progress bar per platform; results in ``names`` order.

    Without Chromium the browser platforms are recorded as failed runs (with a
    hint) and the others are crawled."""
    from crawlers.runner import crawl_platforms
    from crawlers.settings import CHROMIUM

    skipped: dict[str, PlatformResult] = {}
    if not Path(CHROMIUM).exists():
        for name in browser_platforms:
            skipped[name] = record_browser_missing(database_url, name, CHROMIUM)
    to_crawl = [n for n in names if n not in skipped]
    # The browser platform is the slowest: start it first.
    to_crawl.sort(key=lambda n: n not in browser_platforms)

    columns = (
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description:<14}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("posts, {task.fields[pages]} pages {task.fields[status]}"),
        TimeElapsedColumn(),
    )
    results: dict[str, PlatformResult] = dict(skipped)
    with Progress(*columns, console=console, transient=False) as progress:
        tasks = {
            name: progress.add_task(
                name, total=expected.get(name) or None, pages=0, status="", start=False
            )
            for name in to_crawl
        }

        def on_progress(name: str, pages: int, items: int) -> None:
            progress.start_task(tasks[name])
            progress.update(tasks[name], completed=items, pages=pages)

        def on_result(result: PlatformResult) -> None:
            results[result.platform] = result
            progress.start_task(tasks[result.platform])
            style = "red" if result.failed else "green"
            progress.update(
                tasks[result.platform],
                completed=result.items,
                total=max(result.items, expected.get(result.platform, 0)) or 1,
                pages=result.pages,
                status=f"[{style}]{result.status}[/]",
            )
            progress.stop_task(tasks[result.platform])

        if to_crawl:
            crawl_platforms(
                platforms_file,
                to_crawl,
                database_url=database_url,
                max_parallel=MAX_PARALLEL,
                on_result=on_result,
                on_progress=on_progress,
            )
    return [results[name] for name in names if name in results]


def record_browser_missing(database_url: str, platform: str, chromium: str) -> PlatformResult:
    """A failed crawl_runs row for a platform that needs the absent browser."""
    from clue_pipeline.storage.crawl_runs import RunTotals, finish_run, start_run
    from clue_pipeline.storage.db import make_engine, session_scope

    sample = {
        "kind": BROWSER_MISSING,
        "url": None,
        "message": f"Chromium is not installed at {chromium}; hint: apt-get install chromium",
    }
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            run = start_run(session, platform, pid=os.getpid())
            totals = RunTotals(errors=1, stop_reason=BROWSER_MISSING)
            finish_run(session, run.id, totals, [sample], failed=True)
            run_id = run.id
    finally:
        engine.dispose()
    return PlatformResult(
        platform=platform,
        run_id=run_id,
        status=FAILED,
        errors=1,
        error_samples=[sample],
        stop_reason=BROWSER_MISSING,
    )


def _browser_missing(result: PlatformResult) -> bool:
    return any(s.get("kind") == BROWSER_MISSING for s in result.error_samples)


# ------------------------------------------------------------------ output


@dataclass(frozen=True)
class StoredPost:
    title: str | None
    text: str
    author: str | None
    published_at: Any
    likes: int | None
    comments: int | None
    reposts: int | None


def stored_posts(database_url: str) -> tuple[dict[str, int], dict[str, list[StoredPost]]]:
    """Posts stored per platform, and the newest few of each."""
    from sqlalchemy import func, select

    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import Post

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            counts = dict(
                session.execute(select(Post.platform, func.count()).group_by(Post.platform)).all()
            )
            samples: dict[str, list[StoredPost]] = {}
            for platform in counts:
                rows = session.scalars(
                    select(Post)
                    .where(Post.platform == platform)
                    .order_by(Post.published_at.desc(), Post.id)
                    .limit(SAMPLE_POSTS)
                )
                samples[platform] = [
                    StoredPost(
                        r.title, r.text, r.author, r.published_at, r.likes, r.comments, r.reposts
                    )
                    for r in rows
                ]
    finally:
        engine.dispose()
    return counts, samples


def print_results(
    results: list[PlatformResult], expected: dict[str, int], database_url: str, seconds: float
) -> None:
    counts, samples = stored_posts(database_url)

    table = Table(title="Crawl of the demo platforms", title_justify="left")
    for column in ("platform", "pages", "items", "new", "errors", "stored", "status"):
        table.add_column(column, justify="left" if column in ("platform", "status") else "right")
    for result in results:
        stored = counts.get(result.platform, 0)
        status = Text(result.status, style="red" if result.failed else "green")
        if result.stop_reason:
            status.append(f" ({result.stop_reason})", style="dim")
        table.add_row(
            result.platform,
            str(result.pages),
            str(result.items),
            str(result.new_items),
            str(result.errors),
            f"{stored}/{expected.get(result.platform, 0)}",
            status,
        )
    console.print(table)

    for result in results:
        if result.failed:
            console.print(Text(result.failure_line(), style="red"))
    for result in results:
        posts = samples.get(result.platform)
        if not posts:
            continue
        sample = Table(
            title=f"{result.platform}: newest of {counts[result.platform]} stored posts",
            title_justify="left",
        )
        sample.add_column("time", no_wrap=True)
        sample.add_column("author", no_wrap=True, overflow="ellipsis", max_width=12)
        sample.add_column("title / text", no_wrap=True, overflow="ellipsis")
        for column in ("likes", "comments", "reposts"):
            sample.add_column(column, justify="right", no_wrap=True)
        for post in posts:
            sample.add_row(
                _local_time(post.published_at),
                Text(_shorten(post.author or "", 12)),
                Text(_shorten(_headline(post), SAMPLE_CHARS)),
                _count(post.likes),
                _count(post.comments),
                _count(post.reposts),
            )
        console.print(sample)

    total = sum(counts.values())
    new = sum(r.new_items for r in results)
    errors = sum(r.errors for r in results)
    ok = sum(not r.failed for r in results)
    console.print(
        f"stored {total} of {sum(expected.values())} demo posts ({new} new) from "
        f"{ok}/{len(results)} platforms, {errors} errors, in {seconds:.1f} s; "
        f"database: {database_url}",
        highlight=False,
        markup=False,
    )


def _headline(post: StoredPost) -> str:
    if post.title:
        return f"{post.title} — {post.text}"
    return post.text


def _shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _local_time(value: Any) -> str:
    if value is None:
        return "-"
    return value.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M")


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)
