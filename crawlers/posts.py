"""Turning a platform's raw field values into a post for storage.

``raw`` keeps the values as extracted (strings, or JSON values for json
platforms) so a wrong parse can be redone from the database."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from clue_pipeline.timeparse import parse_count, parse_time

COUNT_FIELDS = ("likes", "comments", "reposts")
TEXT_FIELDS = ("title", "text", "author")


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v is not None)
    value = " ".join(str(value).split())
    return value or None


def _as_time(value: Any, *, now: datetime, tz: str) -> datetime | None:
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


def _as_count(value: Any) -> int | None:
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


def _as_urls(value: Any, base_url: str) -> list[str]:
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


def build_post(
    raw: Mapping[str, Any], *, base_url: str, now: datetime, tz: str, default_url: str | None = None
) -> dict[str, Any]:
    """A post dict for ``upsert_posts`` from raw field values.

    ``base_url`` resolves relative links; ``default_url`` is the post's URL when
    no ``url`` field was extracted. The external id falls back to the URL, then
    to a digest of the text."""
    post = post_identity(raw, base_url=base_url, now=now, tz=tz, default_url=default_url)
    for name in TEXT_FIELDS:
        post[name] = _as_text(raw.get(name))
    post["location_text"] = _as_text(raw.get("location"))
    for name in COUNT_FIELDS:
        post[name] = _as_count(raw.get(name))
    post["media_urls"] = _as_urls(raw.get("media"), base_url)
    if post["external_id"] is None:
        digest = hashlib.sha256((post["text"] or "").encode("utf-8")).hexdigest()[:32]
        post["external_id"] = f"sha256:{digest}"
    post["raw"] = {k: v for k, v in raw.items() if v is not None and v != []}
    return post


def post_identity(
    raw: Mapping[str, Any], *, base_url: str, now: datetime, tz: str, default_url: str | None = None
) -> dict[str, Any]:
    """What deciding whether to fetch a post needs, and no more: its ``url``,
    ``external_id`` (None when only a digest of the text could name it) and
    ``published_at``, as ``build_post`` makes them."""
    url = _as_text(raw.get("url"))
    url = urljoin(base_url, url) if url else (default_url or base_url)
    external_id = _as_text(raw.get("external_id"))
    if not external_id and (raw.get("url") or default_url):
        external_id = url
    return {
        "url": url,
        "external_id": external_id[:255] if external_id else None,
        "published_at": _as_time(raw.get("published_at"), now=now, tz=tz),
    }
