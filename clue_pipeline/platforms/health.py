"""Crawl health of each platform: its last run and last success, and whether
its collector has gone silent (never ran, last run failed, never succeeded,
or no successful run for ``SILENT_AFTER``). ``clues platforms list`` and the
web dashboard show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from clue_pipeline.platforms.models import HtmlPlatform, PlatformsFile
from clue_pipeline.storage.types import utcnow

SILENT_AFTER = timedelta(hours=48)


@dataclass
class PlatformStatus:
    """One row of ``clues platforms list`` (and one object of ``--json``)."""

    name: str
    kind: str
    enabled: bool
    render: bool
    start_url: str
    last_run_id: int | None
    last_run_started_at: str | None
    last_run_finished_at: str | None
    last_run_status: str | None
    last_run_pages: int | None
    last_run_items: int | None
    last_run_new: int | None
    last_run_errors: int | None
    last_success_at: str | None
    silent: bool
    silent_reason: str | None


def start_url(platform) -> str:  # noqa: ANN001
    if isinstance(platform, HtmlPlatform):
        return platform.start_urls[0]
    return platform.url


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def platform_status(platform, run, success, now: datetime) -> PlatformStatus:  # noqa: ANN001
    """The platform's health from its last run and its last successful run."""
    reason: str | None = None
    if platform.enabled:
        if run is None:
            reason = "never ran"
        elif run.status in ("failed", "aborted"):
            reason = f"last run {run.status}"
        elif success is None:
            reason = "never succeeded"
        elif (success.finished_at or success.started_at) < now - SILENT_AFTER:
            reason = "no successful run in 48 h"
    success_at = (success.finished_at or success.started_at) if success is not None else None
    return PlatformStatus(
        name=platform.name,
        kind=platform.kind,
        enabled=platform.enabled,
        render=bool(getattr(platform, "render", False)),
        start_url=start_url(platform),
        last_run_id=run.id if run else None,
        last_run_started_at=_iso(run.started_at) if run else None,
        last_run_finished_at=_iso(run.finished_at) if run else None,
        last_run_status=run.status if run else None,
        last_run_pages=run.pages if run else None,
        last_run_items=run.items if run else None,
        last_run_new=run.new_items if run else None,
        last_run_errors=run.errors if run else None,
        last_success_at=_iso(success_at),
        silent=reason is not None,
        silent_reason=reason,
    )


def health_of(
    session: Session, platforms: PlatformsFile, now: datetime | None = None
) -> list[PlatformStatus]:
    """Every configured platform's health from the ``crawl_runs`` table."""
    from clue_pipeline.storage.crawl_runs import last_runs, last_success

    now = now or utcnow()
    latest = last_runs(session)
    rows = []
    for platform in platforms.platforms:
        run = latest.get(platform.name)
        success = last_success(session, platform.name) if run is not None else None
        rows.append(platform_status(platform, run, success, now))
    return rows
