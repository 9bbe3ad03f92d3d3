"""Crawl runs: one row per crawl of one platform, so that silence shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import CrawlRun
from clue_pipeline.storage.types import utcnow

MAX_ERROR_SAMPLES = 20


def start_run(
    session: Session, platform: str, *, since: datetime | None = None, pid: int | None = None
) -> CrawlRun:
    run = CrawlRun(platform=platform, started_at=utcnow(), status="running", since=since, pid=pid)
    session.add(run)
    session.flush()
    return run


@dataclass
class RunTotals:
    pages: int = 0
    items: int = 0
    new_items: int = 0
    updated_items: int = 0
    errors: int = 0
    stop_reason: str | None = None


def finish_run(
    session: Session,
    run_id: int,
    totals: RunTotals,
    error_samples: list[dict[str, Any]],
    *,
    failed: bool = False,
) -> CrawlRun:
    """Close a run: ``ok`` without errors, ``partial`` with errors but items,
    ``failed`` when asked or when errors came and no page was read."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} does not exist")
    run.finished_at = utcnow()
    run.pages = totals.pages
    run.items = totals.items
    run.new_items = totals.new_items
    run.updated_items = totals.updated_items
    run.errors = totals.errors
    run.error_samples = list(error_samples[:MAX_ERROR_SAMPLES])
    run.stop_reason = totals.stop_reason
    if failed or (totals.errors and not totals.pages):
        run.status = "failed"
    elif totals.errors:
        run.status = "partial"
    else:
        run.status = "ok"
    session.flush()
    return run


def abort_stale_runs(session: Session, platform: str | None = None) -> int:
    """Mark runs left ``running`` by a process that died as ``aborted``.
    Called before a new crawl starts, so a half-finished run is visible and
    the next run recovers (it re-reads from the first page)."""
    query = select(CrawlRun).where(CrawlRun.status == "running")
    if platform is not None:
        query = query.where(CrawlRun.platform == platform)
    count = 0
    for run in session.scalars(query):
        run.status = "aborted"
        run.finished_at = run.finished_at or utcnow()
        run.error_samples = [
            *list(run.error_samples or []),
            {"kind": "aborted", "message": "the crawl process ended without closing its run"},
        ]
        run.errors = (run.errors or 0) + 1
        count += 1
    session.flush()
    return count


def last_runs(session: Session) -> dict[str, CrawlRun]:
    """The latest run of every platform that has one."""
    latest = (
        select(CrawlRun.platform, func.max(CrawlRun.id).label("id"))
        .group_by(CrawlRun.platform)
        .subquery()
    )
    rows = session.scalars(select(CrawlRun).join(latest, CrawlRun.id == latest.c.id))
    return {run.platform: run for run in rows}


def last_success(session: Session, platform: str) -> CrawlRun | None:
    return session.scalars(
        select(CrawlRun)
        .where(CrawlRun.platform == platform, CrawlRun.status.in_(("ok", "partial")))
        .order_by(CrawlRun.id.desc())
        .limit(1)
    ).first()
