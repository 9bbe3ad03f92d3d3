"""Reading the queue's filters from query parameters (pages and API alike),
and the choices the filter form offers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline import settings
from clue_pipeline.storage.models import Post
from verification.config import load_workflow_config
from verification.errors import InvalidInput
from verification.queue import SORTS, QueueFilter


def local_day(value: str | None, what: str) -> datetime | None:
    """``2026-11-20`` as the start of that day in the workflow's zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is no date; expected YYYY-MM-DD") from None
    return datetime.combine(day, time(0), tzinfo=load_workflow_config().zone)


def queue_filter(
    *,
    state: str | None = None,
    category: str | None = None,
    district: str | None = None,
    platform: str | None = None,
    urgent: bool = False,
    since: str | None = None,
    until: str | None = None,
    sort: str | None = None,
    q: str | None = None,
) -> QueueFilter:
    """``until`` is a day included in the listing."""
    last_day = local_day(until, "until")
    return QueueFilter(
        state=state or None,
        category=category or None,
        district=district or None,
        platform=platform or None,
        urgent=urgent,
        since=local_day(since, "since"),
        until=last_day + timedelta(days=1) if last_day else None,
        sort=sort or "priority",
        query=(q or "").strip()[:100] or None,
    )


@lru_cache(maxsize=4)
def _district_names(path: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    from clue_pipeline.locate import load_gazetteer

    return tuple(load_gazetteer(path).district_names())


def district_names() -> tuple[str, ...]:
    """The gazetteer's districts, read again only when the file changes."""
    path = settings.gazetteer_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return ()
    return _district_names(path, stat.st_mtime_ns, stat.st_size)


def choices(session: Session) -> dict[str, Any]:
    """Categories (catalogue), districts (gazetteer), platforms (stored posts)."""
    from clue_pipeline.catalog import load_catalog

    catalog = load_catalog(settings.catalog_file())
    platforms = sorted(session.scalars(select(Post.platform).distinct()))
    return {
        "categories": [c.name for c in catalog.categories],
        "districts": list(district_names()),
        "platforms": platforms,
        "sorts": SORTS,
    }
