"""A post's field values as another system gives them (a crawled page, an API's JSON, an
export file) turned into what storage keeps: one line of text, an aware time, a count, a
list of absolute addresses. The crawlers (``crawlers/posts.py``) and ``clues import`` read
values the same way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from clue_pipeline.timeparse import parse_count, parse_time


def as_text(value: Any) -> str | None:
    """White space folded to single spaces (a list joined); None when nothing is left."""
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v is not None)
    value = " ".join(str(value).split())
    return value or None


def as_time(value: Any, *, now: datetime, tz: str) -> datetime | None:
    """An aware time from text (see ``parse_time``), a Unix time in seconds or
    milliseconds, or a datetime (naive: UTC); None when empty or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 100_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_time(str(value), now=now, tz=tz)


def as_count(value: Any) -> int | None:
    """A count from a number or its text (``1.2万``, see ``parse_count``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = int(value)
    if isinstance(value, int):
        return value
    return parse_count(str(value))


def _is_plain_absolute(url: str) -> bool:
    """An http(s) URL that ``urljoin`` would return unchanged (no dot segments)."""
    return url.startswith(("https://", "http://")) and "/." not in url and "\\" not in url


def as_urls(value: Any, base_url: str) -> list[str]:
    """Addresses (one, or a list of them or of objects with ``url``, ``href`` or ``src``),
    resolved against ``base_url``, each once, in order."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    urls: list[str] = []
    for entry in values:
        if isinstance(entry, Mapping):
            entry = entry.get("url") or entry.get("href") or entry.get("src")
        if not entry:
            continue
        entry = str(entry).strip()
        url = entry if _is_plain_absolute(entry) else urljoin(base_url, entry)
        if url not in urls:
            urls.append(url)
    return urls
