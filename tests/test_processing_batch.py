"""The per-batch helpers of the processing stage (clue_pipeline/processing/batch.py) and
the window the grouping searches (processing/window.py), on real SQLite/PostgreSQL and
real FAISS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from clue_pipeline.errors import ConfigError
from clue_pipeline.index import IndexSettings, VectorIndex
from clue_pipeline.processing.batch import BatchNeighbours, PendingClues, insert_clue_posts
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.grouping import Place
from clue_pipeline.processing.runner import _eligible_clue_ids
from clue_pipeline.processing.window import WindowedIndex
from clue_pipeline.storage.db import session_scope
from clue_pipeline.storage.models import Clue, CluePost
from clue_pipeline.storage.posts import upsert_posts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_batch_neighbours_match_the_per_post_search(k: int) -> None:
    rng = np.random.default_rng(5)
    vectors = _unit(rng, 40)
    assigned = [
        None if i % 4 == 1 else (100 + i, i // 3, Place(district=f"d{i % 2}"), f"a{i % 5}")
        for i in range(40)
    ]
    neighbours = BatchNeighbours(vectors)
    for i in range(40):
        # one matrix-vector product per post: the k most similar earlier posts with a clue
        # that can take posts (None: none), as the window holds only those
        sims = vectors[:i] @ vectors[i]
        nearest = [j for j in np.argsort(-sims) if assigned[j] is not None][:k]
        found = neighbours(i, assigned[:i], k)
        assert [n.post_id for n in found] == [assigned[j][0] for j in nearest]
        assert [n.clue_id for n in found] == [assigned[j][1] for j in nearest]
        assert [n.author for n in found] == [assigned[j][3] for j in nearest]
        # float32 rounding of gemm vs gemv
        assert np.allclose([n.similarity for n in found], sims[nearest], atol=1e-6)


def test_batch_neighbours_of_the_first_post_and_an_empty_batch() -> None:
    vectors = _unit(np.random.default_rng(1), 3)
    assert BatchNeighbours(vectors)(0, [], 5) == []
    assert BatchNeighbours(np.zeros((0, 16), dtype=np.float32))(0, [], 5) == []


def _store_posts(engine, count: int) -> list[int]:  # noqa: ANN001
    items = [
        {"external_id": f"e{n}", "url": f"http://t.invalid/{n}", "title": None, "text": f"帖子{n}"}
        for n in range(count)
    ]
    with session_scope(engine) as session:
        upsert_posts(session, "city_forum", items)
    with session_scope(engine) as session:
        from clue_pipeline.storage.models import Post

        return list(session.scalars(select(Post.id).order_by(Post.id)))


def test_pending_clues_get_real_ids_in_order_and_memberships_are_written(engine) -> None:  # noqa: ANN001
    post_ids = _store_posts(engine, 3)
    with session_scope(engine) as session:
        existing = Clue(state="pending", created_at=NOW, updated_at=NOW)
        session.add(existing)
        session.flush()
        pending = PendingClues(NOW)
        first, second = pending.new(), pending.new()
        assert first < 0 and second < 0 and first != second and len(pending) == 2
        pending.insert(session)
        real = [pending.real(first), pending.real(second)]
        assert pending.real(existing.id) == existing.id
        assert len(set(real)) == 2 and existing.id not in real
        insert_clue_posts(
            session,
            [
                {
                    "clue_id": clue_id,
                    "post_id": post_id,
                    "membership": "seed",
                    "similarity": None,
                    "matched_post_id": None,
                    "added_at": NOW,
                }
                for clue_id, post_id in zip([*real, existing.id], post_ids, strict=True)
            ],
        )
    with session_scope(engine) as session:
        clues = {c.id: c for c in session.scalars(select(Clue))}
        assert set(clues) == {existing.id, *real}
        assert all(clues[c].state == "pending" and clues[c].last_post_at == NOW for c in real)
        members = dict(session.execute(select(CluePost.post_id, CluePost.clue_id)).all())
        assert members == dict(zip(post_ids, [*real, existing.id], strict=True))
    with session_scope(engine) as session:
        nothing = PendingClues(NOW)
        nothing.insert(session)  # no clue started: no statement, no error
        insert_clue_posts(session, [])


def test_index_reconstructs_the_vectors_it_holds() -> None:
    rng = np.random.default_rng(2)
    vectors = _unit(rng, 5)
    index = VectorIndex(16)
    index.add(np.array([10, 11, 12, 13, 14]), vectors)
    found, rows = index.reconstruct(np.array([12, 99, 10]))
    assert found.tolist() == [12, 10]
    assert np.allclose(rows, vectors[[2, 0]])
    empty, none = index.reconstruct(np.array([99]))
    assert len(empty) == 0 and none.shape == (0, 16)


def _grouped_world(engine):  # noqa: ANN001, ANN202
    """Six grouped posts: two in a recent open clue, two in an open clue whose last post is
    older than the window, two in a clue closed last week (recurrence)."""
    post_ids = _store_posts(engine, 6)
    old = NOW - timedelta(days=200)
    with session_scope(engine) as session:
        active = Clue(state="pending", last_post_at=NOW - timedelta(days=2))
        stale = Clue(state="pending", last_post_at=old)
        closed = Clue(state="closed", last_post_at=old, closed_at=NOW - timedelta(days=7))
        session.add_all([active, stale, closed])
        session.flush()
        clue_ids = [active.id, active.id, stale.id, stale.id, closed.id, closed.id]
        for post_id, clue_id in zip(post_ids, clue_ids, strict=True):
            session.add(CluePost(clue_id=clue_id, post_id=post_id, membership="seed", added_at=NOW))
        ids = {"active": active.id, "stale": stale.id, "closed": closed.id}
    vectors = _unit(np.random.default_rng(9), 6)
    index = VectorIndex(16)
    index.add(np.array(post_ids, dtype=np.int64), vectors)
    return post_ids, ids, vectors, index


def _eligible():  # noqa: ANN202
    config = ProcessingConfig()
    return lambda session, clue_ids: _eligible_clue_ids(session, clue_ids, NOW, config)


def test_the_window_holds_only_posts_of_clues_that_can_take_posts(engine) -> None:  # noqa: ANN001
    post_ids, _ids, vectors, index = _grouped_world(engine)
    with session_scope(engine) as session:
        windowed = WindowedIndex.open(session, index, _eligible(), approximate_above=1000)
    assert windowed.uses_window and len(windowed.window) == 4 and len(windowed) == 6
    # the stale clue's posts are never returned, even to a query equal to one of them
    sims, found = windowed.search(vectors[2:3], 6)
    assert set(found[0].tolist()) == {post_ids[0], post_ids[1], post_ids[4], post_ids[5]}
    whole_sims, whole = index.search(vectors[2:3], 1)
    assert whole[0][0] == post_ids[2]  # the persisted index still holds every post


def test_settle_moves_only_posts_of_eligible_clues_into_the_window(engine) -> None:  # noqa: ANN001
    post_ids, ids, _vectors, index = _grouped_world(engine)
    with session_scope(engine) as session:
        windowed = WindowedIndex.open(session, index, _eligible(), approximate_above=1000)
    more = _store_posts(engine, 8)[6:]
    new_vectors = _unit(np.random.default_rng(4), 2)
    with session_scope(engine) as session:
        session.add(CluePost(clue_id=ids["active"], post_id=more[0], added_at=NOW))
        session.add(CluePost(clue_id=ids["stale"], post_id=more[1], added_at=NOW))
        session.flush()
        windowed.add(np.array(more, dtype=np.int64), new_vectors, [ids["active"], ids["stale"]])
        assert len(windowed) == 8 and len(windowed.window) == 4  # not before settle
        windowed.settle(session, _eligible())
        windowed.settle(session, _eligible())  # nothing pending: no change
    assert len(windowed.window) == 5
    _sims, found = windowed.search(new_vectors[1:2], 10)
    assert more[0] in found[0] and more[1] not in found[0]


def test_a_window_past_approximate_above_searches_the_persisted_index(engine) -> None:  # noqa: ANN001
    post_ids, _ids, vectors, index = _grouped_world(engine)
    with session_scope(engine) as session:
        windowed = WindowedIndex.open(session, index, _eligible(), approximate_above=3)
    assert not windowed.uses_window
    _sims, found = windowed.search(vectors[2:3], 1)
    assert found[0][0] == post_ids[2]


def test_an_empty_database_opens_an_empty_window(engine) -> None:  # noqa: ANN001
    index = VectorIndex(16, IndexSettings())
    with session_scope(engine) as session:
        windowed = WindowedIndex.open(session, index, _eligible(), approximate_above=10)
    sims, found = windowed.search(_unit(np.random.default_rng(0), 2), 3)
    assert (found == -1).all() and sims.shape == (2, 3)


def test_eligibility_is_measured_from_the_post_time(engine) -> None:  # noqa: ANN001
    from clue_pipeline.processing.eligibility import ClueEligibility

    _post_ids, ids, _vectors, _index = _grouped_world(engine)
    config = ProcessingConfig()  # window 30 days, recurrence 90
    with session_scope(engine) as session:
        merged = Clue(state="pending", last_post_at=NOW, merged_into_id=ids["active"])
        session.add(merged)
        session.flush()
        ids["merged"] = merged.id
    everything = set(ids.values())
    expected = {
        NOW - timedelta(days=190): {"active", "stale", "closed"},  # the stale one: 10 days
        NOW: {"active", "closed"},
        NOW + timedelta(days=29): {"closed"},  # the active one's last post: 31 days back
        NOW + timedelta(days=84): set(),  # closed 91 days back
    }
    with session_scope(engine) as session:
        clues = ClueEligibility(session, config.grouping)
        for at, names in expected.items():
            want = {ids[n] for n in names}
            assert _eligible_clue_ids(session, everything, at, config) == want
            assert _eligible_clue_ids(session, None, at, config) == want
            assert {c for c in everything if clues.eligible(c, at)} == want
        # a post of the batch joins the stale clue: its last post moves forward with it
        clues.joined(ids["stale"], NOW - timedelta(days=20))
        assert clues.eligible(ids["stale"], NOW)
        assert not clues.eligible(ids["stale"], NOW + timedelta(days=11))
        clues.started(-1, NOW - timedelta(days=100))  # a clue started in the batch
        assert clues.eligible(-1, NOW - timedelta(days=70))
        assert not clues.eligible(-1, NOW - timedelta(days=69))
        assert not clues.eligible(-2, NOW)  # unknown


def test_the_window_moves_with_the_time_of_the_posts(engine) -> None:  # noqa: ANN001
    post_ids, ids, vectors, index = _grouped_world(engine)
    config = ProcessingConfig()
    clock = {"at": NOW - timedelta(days=190)}

    def eligible(session, clue_ids):  # noqa: ANN001, ANN202
        return _eligible_clue_ids(session, clue_ids, clock["at"], config)

    with session_scope(engine) as session:
        windowed = WindowedIndex.open(session, index, eligible, approximate_above=1000)
        assert len(windowed.window) == 6  # 190 days back, the stale clue was active
        clock["at"] = NOW
        assert windowed.move(session, eligible) == (2, 0)  # its posts are evicted
        assert windowed.move(session, eligible) == (0, 0)
        _sims, found = windowed.search(vectors[2:3], 6)
        assert set(found[0].tolist()) == {post_ids[i] for i in (0, 1, 4, 5)}
        clock["at"] = NOW - timedelta(days=190)  # back in time: they come back
        assert windowed.move(session, eligible) == (0, 2)
        assert sorted(windowed.window.ids().tolist()) == sorted(post_ids)
    assert len(windowed) == 6  # the persisted index keeps every post
    approximate = VectorIndex(16, IndexSettings(approximate_above=2))
    approximate.add(np.array([1, 2, 3]), vectors[:3])
    with pytest.raises(ValueError, match="cannot remove"):
        approximate.remove(np.array([1]))


def test_a_configured_ngram_dimension_must_match_the_trained_model(tmp_path) -> None:  # noqa: ANN001
    from clue_pipeline.embedding import CharNgramEmbedder, load_embedder

    CharNgramEmbedder.fit(["红星路积水", "柳岸社区垃圾"], dim=64).save(tmp_path / "ng")
    spec = {"kind": "char_ngram", "path": str(tmp_path / "ng")}
    assert load_embedder({**spec, "dim": 64}).dim == 64
    with pytest.raises(ConfigError, match=r"embedder\.dim: .* has 64 dimensions.*asks for 256"):
        load_embedder({**spec, "dim": 256})
    with pytest.raises(ConfigError, match=r"embedder\.dim: expected an integer"):
        load_embedder({**spec, "dim": "big"})


def test_a_never_trained_ngram_part_is_trained_at_its_configured_dimension(tmp_path) -> None:  # noqa: ANN001
    from clue_pipeline.embedding import load_embedder
    from clue_pipeline.embedding.training import bootstrap_missing_parts

    spec = {"kind": "char_ngram", "path": str(tmp_path / "ng"), "dim": 128}
    bootstrap_missing_parts(spec, ["红星路一下雨就内涝", "柳岸社区的垃圾桶满了"])
    assert load_embedder(spec).dim == 128


def test_a_first_run_trains_never_trained_parts_on_a_bounded_sample(
    engine, tmp_path, monkeypatch, caplog
) -> None:  # noqa: ANN001
    import logging

    from clue_pipeline.embedding import load_embedder
    from clue_pipeline.processing import runner

    _store_posts(engine, 10)
    monkeypatch.setattr(runner, "BOOTSTRAP_TEXTS", 4)
    spec = {"kind": "char_ngram", "path": str(tmp_path / "ng"), "dim": 32}
    with caplog.at_level(logging.INFO, logger=runner.__name__):
        runner.bootstrap_embedder(engine, ProcessingConfig(embedder=spec))
    assert "embedder part trained on 4 of 10 stored posts" in caplog.text
    assert load_embedder(spec).dim == 32
