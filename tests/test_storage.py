"""Storage on both SQLite and the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from clue_pipeline.storage.crawl_runs import (
    RunTotals,
    abort_stale_runs,
    finish_run,
    last_runs,
    last_success,
    start_run,
)
from clue_pipeline.storage.db import session_scope
from clue_pipeline.storage.models import CrawlRun, Post
from clue_pipeline.storage.posts import content_hash, known_external_ids, upsert_posts

SHANGHAI = timezone(timedelta(hours=8))


def _item(external_id: str, text: str, **extra: object) -> dict[str, object]:
    return {"external_id": external_id, "url": f"http://x/{external_id}", "text": text, **extra}


def test_upsert_inserts_then_counts_unchanged_and_updates(engine) -> None:
    published = datetime(2026, 3, 1, 8, 30, tzinfo=SHANGHAI)
    with session_scope(engine) as session:
        counts = upsert_posts(
            session,
            "forum",
            [
                _item("1", "路灯不亮", published_at=published, likes=3, raw={"a": 1}),
                _item("2", "井盖丢失", media_urls=["http://img/1.jpg"]),
            ],
        )
    assert (counts.new, counts.updated, counts.unchanged) == (2, 0, 0)

    with session_scope(engine) as session:
        post = session.scalars(select(Post).where(Post.external_id == "1")).one()
        assert post.published_at == published.astimezone(UTC)
        assert post.raw == {"a": 1}
        post.processed_at = datetime.now(UTC)

    with session_scope(engine) as session:
        counts = upsert_posts(
            session,
            "forum",
            [_item("1", "路灯不亮", likes=9), _item("2", "井盖丢失了，很危险")],
        )
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)

    with session_scope(engine) as session:
        one = session.scalars(select(Post).where(Post.external_id == "1")).one()
        two = session.scalars(select(Post).where(Post.external_id == "2")).one()
        assert one.likes == 9 and one.processed_at is not None
        assert two.text == "井盖丢失了，很危险" and two.processed_at is None
        assert two.content_hash == content_hash(None, "井盖丢失了，很危险")
        assert two.media_urls == ["http://img/1.jpg"]
        assert session.query(Post).count() == 2


def test_same_external_id_on_two_platforms_is_two_posts(engine) -> None:
    with session_scope(engine) as session:
        upsert_posts(session, "a", [_item("1", "x")])
        upsert_posts(session, "b", [_item("1", "x")])
    with session_scope(engine) as session:
        assert session.query(Post).count() == 2
        assert known_external_ids(session, "a", ["1", "2"]) == {"1"}


def test_crawl_runs_status_and_last_runs(engine) -> None:
    with session_scope(engine) as session:
        first = start_run(session, "forum").id
        finish_run(session, first, RunTotals(pages=2, items=10, new_items=10), [])
        second = start_run(session, "forum").id
        finish_run(
            session,
            second,
            RunTotals(pages=1, items=3, errors=1),
            [{"kind": "http", "url": "http://x", "message": "500"}],
        )
        dead = start_run(session, "feed").id
        failed = start_run(session, "json").id
        finish_run(session, failed, RunTotals(errors=2), [{"kind": "dns"}] * 30)
    with session_scope(engine) as session:
        assert abort_stale_runs(session) == 1
    with session_scope(engine) as session:
        runs = last_runs(session)
        assert runs["forum"].id == second and runs["forum"].status == "partial"
        assert runs["json"].status == "failed" and len(runs["json"].error_samples) == 20
        assert session.get(CrawlRun, dead).status == "aborted"
        assert last_success(session, "forum").id == second
        assert last_success(session, "feed") is None
