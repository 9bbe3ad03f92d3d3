"""Turning a platform's raw field values into a post for storage.

``raw`` keeps the values as extracted (strings, or JSON values for json
platforms) so a wrong parse can be redone from the database."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from clue_pipeline.post_values import as_count, as_text, as_time, as_urls
from clue_pipeline.storage.posts import COUNT_FIELDS

TEXT_FIELDS = ("title", "text", "author")


def build_post(
    raw: Mapping[str, Any], *, base_url: str, now: datetime, tz: str, default_url: str | None = None
) -> dict[str, Any]:
    """A post dict for ``upsert_posts`` from raw field values.

    ``base_url`` resolves relative links; ``default_url`` is the post's URL when
    no ``url`` field was extracted. The external id falls back to the URL, then
    to a digest of the text."""
    post = post_identity(raw, base_url=base_url, now=now, tz=tz, default_url=default_url)
    for name in TEXT_FIELDS:
        post[name] = as_text(raw.get(name))
    post["location_text"] = as_text(raw.get("location"))
    for name in COUNT_FIELDS:
        post[name] = as_count(raw.get(name))
    post["media_urls"] = as_urls(raw.get("media"), base_url)
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
    url = as_text(raw.get("url"))
    url = urljoin(base_url, url) if url else (default_url or base_url)
    external_id = as_text(raw.get("external_id"))
    if not external_id and (raw.get("url") or default_url):
        external_id = url
    return {
        "url": url,
        "external_id": external_id[:255] if external_id else None,
        "published_at": as_time(raw.get("published_at"), now=now, tz=tz),
    }
