"""The steps of the nightly run that the Airflow DAG ``dags/clue_nightly.py``
calls, one function per task, none of them importing Airflow: which platforms
to crawl, one platform's crawl in its own process, processing, the summary.

Each step takes plain values and returns plain (JSON) values, so Airflow can
pass them between tasks as XComs, and logs its progress to ``log``. Nothing
heavy is imported at module level: the DAG file imports this module inside its
tasks, and the crawl itself runs in a child process (a Twisted reactor cannot
restart, and ``dag.test()`` runs every task in one process)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawlers.result import FAILED, PlatformResult

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 10.0


# ------------------------------------------------------------------ platforms


@dataclass(frozen=True)
class CrawlPlan:
    """The platforms of one nightly run: ``plain`` ones and those that need a
    browser (``render: true``), which run in fewer slots."""

    plain: list[str]
    browser: list[str]

    @property
    def names(self) -> list[str]:
        return [*self.plain, *self.browser]

    def to_dict(self) -> dict[str, list[str]]:
        return {"plain": list(self.plain), "browser": list(self.browser)}


def plan_crawl(platforms_file: Path, names: Sequence[str] | None = None) -> CrawlPlan:
    """The enabled platforms of ``platforms_file`` (or the ``names`` asked for,
    enabled or not), split by whether they need a browser. Read when the run
    starts, so a platform added to the file joins the next run."""
    from clue_pipeline.errors import ConfigError
    from clue_pipeline.platforms.loader import load_platforms

    platforms_file = Path(platforms_file)
    if not platforms_file.exists():
        raise ConfigError(
            f"{platforms_file}: platforms file not found; hint: set CLUES_PLATFORMS or CLUES_HOME"
        )
    config = load_platforms(platforms_file)
    if names:
        known = {p.name: p for p in config.platforms}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"{platforms_file}: no platform named '{unknown[0]}'; "
                f"expected one of: {', '.join(known)}"
            )
        selected = [known[n] for n in dict.fromkeys(names)]
    else:
        selected = list(config.enabled())
    plain = [p.name for p in selected if not getattr(p, "render", False)]
    browser = [p.name for p in selected if getattr(p, "render", False)]
    return CrawlPlan(plain=plain, browser=browser)


# ------------------------------------------------------------------ crawl


def crawl_platform(
    platforms_file: Path,
    name: str,
    *,
    database_url: str,
    logger: logging.Logger | None = None,
) -> PlatformResult:
    """Crawl platform ``name`` in a child process (``python -m crawlers.crawl_one``),
    logging its progress every few seconds. A crash or a kill of the child is
    recorded as a failed crawl run; the result says ``failed`` then."""
    from crawlers.runner import crawl_platform_process

    logger = logger or log
    last = {"at": time.monotonic(), "pages": -1}

    def on_progress(platform: str, pages: int, items: int) -> None:
        now = time.monotonic()
        if pages != last["pages"] and now - last["at"] >= PROGRESS_EVERY_SECONDS:
            logger.info("%s: %d pages, %d items so far", platform, pages, items)
            last.update(at=now, pages=pages)

    logger.info("crawling %s from %s in its own process", name, platforms_file)
    result = crawl_platform_process(
        Path(platforms_file), name, database_url=database_url, on_progress=on_progress
    )
    logger.info(
        "%s: %s, %d pages, %d items (%d new, %d updated), %d errors, stopped: %s, %.1f s",
        name,
        result.status,
        result.pages,
        result.items,
        result.new_items,
        result.updated_items,
        result.errors,
        result.stop_reason or "-",
        result.seconds,
    )
    for sample in result.error_samples[:5]:
        where = f" ({sample['url']})" if sample.get("url") else ""
        logger.warning("%s: %s: %s%s", name, sample.get("kind"), sample.get("message"), where)
    return result


# ------------------------------------------------------------------ process


def process_crawled(database_url: str, *, logger: logging.Logger | None = None) -> dict[str, Any]:
    """Process every stored post not yet processed (``clues process``) and count
    the urgent clues that received posts in this run. Processing whatever the
    crawls brought is idempotent: a second run with nothing new does nothing."""
    from sqlalchemy import func, select

    from clue_pipeline.processing.runner import process_pending
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import Clue, CluePost
    from clue_pipeline.storage.types import utcnow

    logger = logger or log
    started = utcnow()
    last = {"at": time.monotonic()}

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last["at"] >= PROGRESS_EVERY_SECONDS:
            logger.info("processed %d of %d posts", done, total)
            last["at"] = now

    engine = make_engine(database_url)
    try:
        report = process_pending(engine, progress=progress, now=started)
        with session_scope(engine) as session:
            urgent = session.scalar(
                select(func.count(func.distinct(CluePost.clue_id)))
                .join(Clue, Clue.id == CluePost.clue_id)
                .where(CluePost.added_at >= started, Clue.urgent.is_(True))
            )
            queue_urgent = session.scalar(
                select(func.count())
                .select_from(Clue)
                .where(
                    Clue.state == "pending", Clue.urgent.is_(True), Clue.merged_into_id.is_(None)
                )
            )
    finally:
        engine.dispose()
    figures = {
        **{k: v for k, v in asdict(report).items() if k != "stage_seconds"},
        "seconds": round(report.seconds, 3),
        "urgent_clues": int(urgent or 0),
        "pending_urgent_clues": int(queue_urgent or 0),
        "started_at": started.isoformat(),
    }
    logger.info(
        "processed %d posts in %.1f s: %d relevant, %d noise; %d new clues, %d merged, "
        "%d suggested duplicates; %d urgent clues got posts",
        report.posts,
        report.seconds,
        report.relevant,
        report.noise,
        report.new_clues,
        report.joined_exact + report.joined_auto,
        report.suggested,
        figures["urgent_clues"],
    )
    return figures


# ------------------------------------------------------------------ summary


@dataclass
class PlatformLine:
    platform: str
    status: str
    items: int = 0
    new: int = 0
    errors: int = 0
    why: str | None = None


@dataclass
class NightlySummary:
    """What one nightly run did: per platform items, new and errors; clues new
    and merged; urgent clues. Built from this run's task results only, so a
    re-run of the same night reports that re-run (and counts nothing twice)."""

    platforms: list[PlatformLine] = field(default_factory=list)
    posts_processed: int | None = None
    clues_new: int | None = None
    clues_merged: int | None = None
    suggested_duplicates: int | None = None
    urgent_clues: int | None = None
    pending_urgent_clues: int | None = None

    @property
    def failed(self) -> list[str]:
        return [p.platform for p in self.platforms if p.status in (FAILED, "no result")]

    @property
    def processed(self) -> bool:
        return self.posts_processed is not None

    def lines(self) -> list[str]:
        ok = len(self.platforms) - len(self.failed)
        out = [
            f"{len(self.platforms)} platforms crawled: {ok} ok or partial, "
            f"{len(self.failed)} failed"
        ]
        width = max([len(p.platform) for p in self.platforms] + [8])
        for p in self.platforms:
            line = (
                f"  {p.platform:<{width}}  {p.status:<9}  items {p.items:>6}  "
                f"new {p.new:>6}  errors {p.errors:>4}"
            )
            if p.why:
                line += f"  {p.why}"
            out.append(line)
        total_items = sum(p.items for p in self.platforms)
        total_new = sum(p.new for p in self.platforms)
        out.append(f"  {'total':<{width}}  {'':<9}  items {total_items:>6}  new {total_new:>6}")
        if self.processed:
            out.append(
                f"processing: {self.posts_processed} posts; clues: {self.clues_new} new, "
                f"{self.clues_merged} merged into open clues, {self.suggested_duplicates} "
                f"suggested duplicates; urgent clues: {self.urgent_clues} with new posts, "
                f"{self.pending_urgent_clues} pending in the queue"
            )
        else:
            out.append("processing: did not finish (see the process task's log)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed": self.failed}


def build_summary(
    planned: Sequence[str],
    crawl_results: Sequence[dict[str, Any] | None],
    processing: dict[str, Any] | None,
) -> NightlySummary:
    """The summary of a run from the planned platforms, the crawl results that
    came back (one per platform; a platform whose task left none, e.g. because
    it was never run, is listed as ``no result``) and the processing figures
    (None when processing did not finish)."""
    results: dict[str, PlatformResult] = {}
    for data in crawl_results:
        if data:
            result = PlatformResult.from_dict(data)
            results[result.platform] = result
    summary = NightlySummary()
    for name in planned:
        result = results.get(name)
        if result is None:
            summary.platforms.append(
                PlatformLine(name, "no result", why="its crawl task left no result")
            )
            continue
        summary.platforms.append(
            PlatformLine(
                platform=name,
                status=result.status,
                items=result.items,
                new=result.new_items,
                errors=result.errors,
                why=result.failure_line() if result.failed else None,
            )
        )
    if processing is not None:
        summary.posts_processed = int(processing.get("posts", 0))
        summary.clues_new = int(processing.get("new_clues", 0))
        summary.clues_merged = int(processing.get("joined_exact", 0)) + int(
            processing.get("joined_auto", 0)
        )
        summary.suggested_duplicates = int(processing.get("suggested", 0))
        summary.urgent_clues = int(processing.get("urgent_clues", 0))
        summary.pending_urgent_clues = int(processing.get("pending_urgent_clues", 0))
    return summary
