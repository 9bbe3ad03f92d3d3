"""A backlog processed in one run (a first install crawling months of history) is grouped
by the window measured from each post's own time, not from the run's clock: posts about
one problem group however old they are, posts further apart than ``window_days`` still do
not, and the clues are those that batches of any size, or nightly runs, give. On SQLite
and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clue_sets import clue_sets as clues_as_sets
from sqlalchemy import select, text

from clue_pipeline.demo.corpus import load_corpus
from clue_pipeline.normalise import normalise
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.context import ProcessingContext
from clue_pipeline.processing.runner import index_path, process_pending
from clue_pipeline.storage.db import make_engine, session_scope
from clue_pipeline.storage.models import Clue, CluePost, Post
from clue_pipeline.storage.posts import upsert_posts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LAMP = "江北区红星路红星小区门口的路灯坏了半个月了，晚上一片漆黑，老人走路摔倒了，希望尽快修好"
# the same problem in other words
LAMP_AGAIN = "红星小区门口那排路灯又不亮了，上个月刚修过，晚上黑乎乎的根本看不清路"
#: the demo's 10 days of posts spread over 150 (a problem's posts stay within 21 days)
SPREAD = 15


def _corpus(end: datetime, spread: int = 1) -> list[tuple[str, dict[str, object]]]:
    """The demo posts as (platform, upsert item), the newest published at ``end``, the
    others ``spread`` times as far apart as in the demo, oldest first."""
    items = [
        (
            post.platform,
            {
                "external_id": post.id,
                "url": f"http://demo.invalid/{post.platform}/{post.id}",
                "title": post.title,
                "text": post.text,
                "author": post.author,
                "published_at": end - timedelta(minutes=post.age_minutes * spread),
                "likes": post.likes,
                "comments": post.comments,
                "reposts": post.reposts,
                "location_text": post.location,
            },
        )
        for post in load_corpus()
    ]
    return sorted(items, key=lambda p: (p[1]["published_at"], p[1]["external_id"]))


def _store(engine, posts: list[tuple[str, dict[str, object]]]) -> None:  # noqa: ANN001
    by_platform: dict[str, list[dict[str, object]]] = defaultdict(list)
    for platform, item in posts:
        by_platform[platform].append(item)
    with session_scope(engine) as session:
        for platform, items in by_platform.items():
            upsert_posts(session, platform, items)


def _lamp(external_id: str, body: str, at: datetime) -> dict[str, object]:
    return {
        "external_id": external_id,
        "url": f"http://forum.invalid/{external_id}",
        "text": body,
        "author": f"居民{external_id}",
        "published_at": at,
    }


def _config(tmp_path: Path, **changes: object) -> ProcessingConfig:
    path = tmp_path / "var" / "models" / "char_ngram"
    return ProcessingConfig(embedder={"kind": "char_ngram", "path": str(path)}, **changes)


def _clue_of(engine) -> dict[str, tuple[int, str]]:  # noqa: ANN001
    """External id -> (clue id, membership)."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(Post.external_id, CluePost.clue_id, CluePost.membership).join(
                CluePost, CluePost.post_id == Post.id
            )
        ).all()
    return {e: (c, m) for e, c, m in rows}


def test_a_backlog_older_than_the_window_is_grouped_in_one_run(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    start = NOW - timedelta(days=100)  # all the lamp's posts are far older than the window
    _store(engine, _corpus(NOW - timedelta(days=200)))  # too far back to join the lamp
    with session_scope(engine) as session:
        upsert_posts(
            session,
            "city_forum",
            [_lamp("lamp", LAMP, start), _lamp("again", LAMP_AGAIN, start + timedelta(days=4))],
        )
        # the very same text, reposted the next day
        upsert_posts(session, "microblog", [_lamp("copy", LAMP, start + timedelta(days=1))])
    config = _config(tmp_path)
    assert config.grouping.window_days < 96
    report = process_pending(engine, config=config, now=NOW)
    clues = _clue_of(engine)
    lamp = clues["lamp"][0]
    assert [clues[e] for e in ("lamp", "copy")] == [(lamp, "seed"), (lamp, "exact")]
    assert clues["again"][0] == lamp and clues["again"][1] in ("auto", "suggested")
    assert report.joined_exact >= 1
    with session_scope(engine) as session:
        clue = session.get(Clue, lamp)
        assert (clue.post_count, clue.first_post_at) == (3, start)
        assert clue.last_post_at == start + timedelta(days=4)
    engine.dispose()


def test_posts_further_apart_than_the_window_do_not_join(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window still bites, measured from each post: the lamp reported twice 150 days
    ago and twice again 65 days later makes two clues, whatever the run's clock."""
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    first, later = NOW - timedelta(days=150), NOW - timedelta(days=85)
    _store(engine, _corpus(NOW - timedelta(days=200)))  # too far back to join the lamp
    with session_scope(engine) as session:
        upsert_posts(
            session,
            "city_forum",
            [_lamp("lamp", LAMP, first), _lamp("again", LAMP_AGAIN, first + timedelta(days=5))],
        )
        # the same two texts elsewhere, 65 days later: the first clue's last post is older
        # than the window for them, so neither the exact copy nor the near one joins it
        upsert_posts(
            session,
            "microblog",
            [_lamp("lamp", LAMP, later), _lamp("again", LAMP_AGAIN, later + timedelta(days=5))],
        )
    config = _config(tmp_path, grouping={"window_days": 30})
    process_pending(engine, config=config, now=NOW)
    with session_scope(engine) as session:
        rows = session.execute(
            select(Post.platform, Post.external_id, CluePost.clue_id, CluePost.membership)
            .join(CluePost, CluePost.post_id == Post.id)
            .where(Post.external_id.in_(["lamp", "again"]))
        ).all()
    clue = {(p, e): (c, m) for p, e, c, m in rows}
    old, new = clue[("city_forum", "lamp")][0], clue[("microblog", "lamp")][0]
    assert old != new
    assert clue[("city_forum", "lamp")] == (old, "seed")
    assert clue[("microblog", "lamp")] == (new, "seed")  # not an exact duplicate of the old
    assert clue[("city_forum", "again")][0] == old
    assert clue[("microblog", "again")][0] == new
    engine.dispose()


def test_a_post_crawled_late_joins_no_clue_begun_long_after_it(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window bounds a clue's posts both ways: the lamp reported this week makes a
    clue; the same report published 20 days earlier, crawled only now, joins it; one
    published 200 days earlier starts its own clue (as it would have, crawled in time)."""
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    _store(engine, _corpus(NOW - timedelta(days=400)))  # too far back to join the lamp
    config = _config(tmp_path, grouping={"window_days": 30})
    days_ago = {
        "city_forum": {"lamp": 5, "again": 3},
        "microblog": {"earlier": 25, "long-ago": 200},
    }
    for run, (platform, posts) in enumerate(days_ago.items()):
        with session_scope(engine) as session:
            upsert_posts(
                session,
                platform,
                [
                    _lamp(e, LAMP if e == "lamp" else LAMP_AGAIN, NOW - timedelta(days=d))
                    for e, d in posts.items()
                ],
            )
        process_pending(engine, config=config, now=NOW + timedelta(days=run))
        if run == 0:
            lamp = _clue_of(engine)["lamp"][0]
            assert _clue_of(engine)["again"][0] == lamp
    clues = _clue_of(engine)
    assert clues["earlier"][0] == lamp and clues["earlier"][1] == "exact"
    assert clues["long-ago"] == (clues["long-ago"][0], "seed")
    assert clues["long-ago"][0] != lamp
    with session_scope(engine) as session:
        assert session.get(Clue, lamp).first_post_at == NOW - timedelta(days=25)
    engine.dispose()


def _empty(engine) -> None:  # noqa: ANN001
    with session_scope(engine) as session:
        for table in ("clue_posts", "post_analyses", "embedding_cache", "clues", "posts"):
            session.execute(text(f"DELETE FROM {table}"))
    index_path(engine).unlink(missing_ok=True)


def test_a_backlog_over_several_windows_gives_the_clues_of_any_batch_size_and_of_nightly_runs(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """150 days of posts with a 30-day window, processed in one run in batches of 7 or 512,
    or as they came, one run every 3 days: the same clues (the embedder trained once, on all
    the posts, so that every run encodes alike). The window follows the batches, evicting
    the clues no later post can join."""
    import logging

    from clue_pipeline.embedding.training import bootstrap_missing_parts
    from clue_pipeline.processing import runner

    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    end = NOW - timedelta(days=1)
    posts = _corpus(end, SPREAD)
    config = _config(tmp_path, grouping={"window_days": 30})
    bootstrap_missing_parts(
        config.embedder, [normalise(p["title"], p["text"]).text for _, p in posts]
    )
    context = ProcessingContext.load(config)
    engine = make_engine(db_url)
    clue_sets = []
    for batch_size in (7, 512):
        _empty(engine)
        _store(engine, posts)
        batched = config.model_copy(update={"batch_size": batch_size})
        with caplog.at_level(logging.DEBUG, logger=runner.__name__):
            process_pending(engine, config=batched, context=context, now=NOW)
        if batch_size == 7:
            moves = [r.args for r in caplog.records if r.msg.startswith("window moved")]
            assert len(moves) >= 20 and sum(evicted for _, evicted, _ in moves) >= 50, moves
        clue_sets.append(clues_as_sets(engine))
    spans = _member_gaps(engine)
    _empty(engine)
    every = timedelta(days=3)
    clock = posts[0][1]["published_at"]
    while clock <= end:
        clock += every
        _store(engine, [p for p in posts if clock - every <= p[1]["published_at"] < clock])
        process_pending(engine, config=config, context=context, now=clock)
    clue_sets.append(clues_as_sets(engine))
    engine.dispose()

    assert clue_sets[0] == clue_sets[1] == clue_sets[2]
    # clues of posts all older than the window grew (a run's clock would not let them) ...
    assert sum(len(g) >= 2 and span[1] < NOW - timedelta(days=30) for g, span in spans) >= 10
    # ... and no post joined a clue whose last post was further back than the window
    assert max(gap for _, (_, _, gap) in spans) <= timedelta(days=30)


def _member_gaps(engine) -> list[tuple[list[int], tuple[datetime, datetime, timedelta]]]:  # noqa: ANN001
    """Per clue: its posts and (first post, last post, widest gap between consecutive
    posts)."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(CluePost.clue_id, Post.id, Post.published_at)
            .join(Post, Post.id == CluePost.post_id)
            .order_by(Post.published_at, Post.id)
        ).all()
    by_clue: dict[int, list] = defaultdict(list)
    for clue_id, post_id, at in rows:
        by_clue[clue_id].append((post_id, at))
    found = []
    for members in by_clue.values():
        times = [at for _, at in members]
        gap = max((b - a for a, b in zip(times, times[1:], strict=False)), default=timedelta(0))
        found.append(([p for p, _ in members], (times[0], times[-1], gap)))
    return found
