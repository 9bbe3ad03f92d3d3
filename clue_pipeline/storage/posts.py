"""Upserting posts with provenance: (platform, external_id) is unique."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Update, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Post
from clue_pipeline.storage.types import utcnow

POST_FIELDS = (
    "url",
    "title",
    "text",
    "author",
    "published_at",
    "likes",
    "comments",
    "reposts",
    "location_text",
    "media_urls",
)
COUNT_FIELDS = ("likes", "comments", "reposts")
SELECT_CHUNK = 500  # external ids per SELECT (SQLite binds at most 32,766 values)


def content_hash(title: str | None, text: str | None) -> str:
    """SHA-256 of the post's title and text with white space folded."""
    joined = " ".join(f"{title or ''}\n{text or ''}".split())
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged


def upsert_posts(
    session: Session,
    platform: str,
    items: Iterable[Mapping[str, Any]],
    *,
    crawl_run_id: int | None = None,
    fetched_at: datetime | None = None,
) -> UpsertCounts:
    """Insert new posts and update changed ones. A post whose text changed is
    marked unprocessed again; an unchanged one only gets its counters and fetch
    time refreshed. Items need ``external_id``; other keys are POST_FIELDS and
    ``raw``.

    Bulk statements, whatever the batch size: one SELECT of the stored hashes,
    one multi-row INSERT of the new posts, one executemany UPDATE of the
    unchanged ones and one per set of changed fields. They go through the
    session's transaction but bypass its identity map: Post objects already
    loaded in ``session`` are not refreshed."""
    fetched_at = fetched_at or utcnow()
    counts = UpsertCounts()
    batch: dict[str, Mapping[str, Any]] = {}
    for item in items:
        batch[str(item["external_id"])] = item  # last one wins inside a batch
    if not batch:
        return counts
    session.flush()  # objects pending in the session (a crawl run) go first
    stored = _stored_hashes(session, platform, list(batch))
    new_rows: list[dict[str, Any]] = []
    refreshed: list[dict[str, Any]] = []
    changed: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for external_id, item in batch.items():
        digest = content_hash(item.get("title"), item.get("text"))
        found = stored.get(external_id)
        if found is None:
            new_rows.append(_new_row(platform, external_id, item, digest, fetched_at, crawl_run_id))
            continue
        post_id, stored_digest = found
        if stored_digest == digest:
            refreshed.append(
                {
                    "b_id": post_id,
                    "b_fetched_at": fetched_at,
                    **{f"b_{key}": item.get(key) for key in COUNT_FIELDS},
                }
            )
            continue
        values = {f: item.get(f) for f in POST_FIELDS if item.get(f) is not None}
        if "media_urls" in values:
            values["media_urls"] = list(values["media_urls"])
        values.update(
            raw=dict(item.get("raw") or {}),
            content_hash=digest,
            fetched_at=fetched_at,
            updated_at=fetched_at,
            crawl_run_id=crawl_run_id,
            processed_at=None,
        )
        changed.setdefault(tuple(sorted(values)), []).append(
            {"b_id": post_id, **{f"b_{key}": value for key, value in values.items()}}
        )
    table = Post.__table__
    if new_rows:
        session.execute(insert(table), new_rows)
        counts.new = len(new_rows)
    if refreshed:
        session.execute(_refresh_statement(), refreshed)
        counts.unchanged = len(refreshed)
    for keys, rows in changed.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({key: bindparam(f"b_{key}") for key in keys})
        )
        session.execute(statement, rows)
        counts.updated += len(rows)
    return counts


def _stored_hashes(session: Session, platform: str, external_ids: list[str]) -> dict[str, Any]:
    """external_id -> (id, content_hash) of the stored posts among ``external_ids``."""
    found: dict[str, Any] = {}
    for start in range(0, len(external_ids), SELECT_CHUNK):
        chunk = external_ids[start : start + SELECT_CHUNK]
        rows = session.execute(
            select(Post.external_id, Post.id, Post.content_hash).where(
                Post.platform == platform, Post.external_id.in_(chunk)
            )
        )
        found.update((external_id, (post_id, digest)) for external_id, post_id, digest in rows)
    return found


def _new_row(
    platform: str,
    external_id: str,
    item: Mapping[str, Any],
    digest: str,
    fetched_at: datetime,
    crawl_run_id: int | None,
) -> dict[str, Any]:
    """All columns of a new post (every row has the same keys: one executemany)."""
    row = {f: item.get(f) for f in POST_FIELDS}
    row["text"] = row["text"] or ""
    row["media_urls"] = list(row["media_urls"] or [])
    row.update(
        platform=platform,
        external_id=external_id,
        content_hash=digest,
        raw=dict(item.get("raw") or {}),
        first_seen_at=fetched_at,
        fetched_at=fetched_at,
        updated_at=fetched_at,
        crawl_run_id=crawl_run_id,
        processed_at=None,
    )
    return row


def _refresh_statement() -> Update:
    """UPDATE of an unchanged post: fetch time, and the counters that were read."""
    table = Post.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            fetched_at=bindparam("b_fetched_at"),
            **{
                key: func.coalesce(bindparam(f"b_{key}", type_=table.c[key].type), table.c[key])
                for key in COUNT_FIELDS
            },
        )
    )


def known_external_ids(session: Session, platform: str, external_ids: Iterable[str]) -> set[str]:
    """Which of ``external_ids`` are already stored for ``platform``."""
    ids = [str(e) for e in external_ids]
    if not ids:
        return set()
    rows = session.scalars(
        select(Post.external_id).where(Post.platform == platform, Post.external_id.in_(ids))
    )
    return set(rows)


def has_posts(session: Session, platform: str) -> bool:
    """Whether any post of ``platform`` is stored."""
    found = session.execute(select(Post.id).where(Post.platform == platform).limit(1)).first()
    return found is not None
