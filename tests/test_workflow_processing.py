"""The workflow together with processing, on SQLite and PostgreSQL: a
problem posted about again after its order was closed is caught (processing
attaches the post, supervision reopens the order); analysts' corrections
survive later processing; their decisions become training labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from clue_pipeline.cli.process_commands import report_line
from clue_pipeline.demo.corpus import load_corpus
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.runner import process_pending
from clue_pipeline.storage.db import make_engine, session_scope
from clue_pipeline.storage.models import Clue, CluePost, Post, PostAnalysis, WorkOrder
from clue_pipeline.storage.posts import upsert_posts
from verification import claims, decisions, filing, orders
from verification.corrections import Correction, edit
from verification.membership import confirm_duplicates, split, suggested_posts
from verification.supervision import supervise
from verification.transactions import transaction

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BACKGROUND = 80  # demo posts that give the embedder its vocabulary
LAMP = "江北区红星路红星小区门口的路灯坏了半个月了，晚上一片漆黑，老人走路摔倒了，希望尽快修好"
# the same problem, told again in other words after the order was closed
LAMP_AGAIN = "红星小区门口那排路灯又不亮了，上个月刚修过，晚上黑乎乎的根本看不清路"


def _post(external_id: str, text: str, at: datetime, author: str) -> dict[str, object]:
    return {
        "external_id": external_id,
        "url": f"http://forum.invalid/{external_id}",
        "text": text,
        "author": author,
        "published_at": at,
    }


@pytest.fixture
def processed(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    background = [
        {
            **_post(p.id, p.text, NOW - timedelta(minutes=p.age_minutes), p.author),
            "title": p.title,
        }
        for p in load_corpus()[:BACKGROUND]
    ]
    with session_scope(engine) as session:
        upsert_posts(session, "city_forum", [*background, _post("lamp", LAMP, NOW, "居民甲")])
    config = ProcessingConfig(
        embedder={"kind": "char_ngram", "path": str(tmp_path / "var" / "models" / "char_ngram")}
    )
    process_pending(engine, config=config, now=NOW)
    with session_scope(engine) as session:
        lamp_clue = session.scalars(
            select(PostAnalysis.clue_id)
            .join(Post, Post.id == PostAnalysis.post_id)
            .where(Post.external_id == "lamp")
        ).one()
    yield engine, config, lamp_clue
    engine.dispose()


def _file_and_close(engine, clue_id: int, at: datetime) -> int:  # noqa: ANN001
    with transaction(engine) as session:
        claims.claim(session, clue_id, by="li", now=at)
        waiting = suggested_posts(session, clue_id)
        if waiting:
            confirm_duplicates(session, clue_id, waiting, by="li", now=at)
        decisions.verify(session, clue_id, by="li", now=at)
        order_id = filing.file_clue(session, clue_id, by="li", now=at).id
        orders.dispatch(session, order_id, by="li", now=at)
        orders.resolve(session, order_id, by="城管", note="更换了路灯", now=at + timedelta(days=1))
        orders.close(session, order_id, by="li", satisfied=True, now=at + timedelta(days=2))
    return order_id


def test_a_problem_posted_again_after_closing_reopens_its_order(processed) -> None:  # noqa: ANN001
    engine, config, clue_id = processed
    order_id = _file_and_close(engine, clue_id, NOW + timedelta(hours=1))
    later = NOW + timedelta(days=45)
    with session_scope(engine) as session:
        clue = session.get(Clue, clue_id)
        # only the closing keeps the clue open to new posts: its last post is
        # older than grouping.window_days, its order closed within recurrence_days
        assert later - clue.last_post_at > timedelta(days=config.grouping.window_days)
        assert clue.closed_at == NOW + timedelta(hours=1, days=2)
        upsert_posts(session, "short_video", [_post("again", LAMP_AGAIN, later, "居民乙")])
    process_pending(engine, config=config, now=later)
    with session_scope(engine) as session:
        again = session.scalars(
            select(Post).where(Post.external_id == "again", Post.platform == "short_video")
        ).one()
        member = session.scalars(select(CluePost).where(CluePost.post_id == again.id)).one()
        assert member.clue_id == clue_id  # processing attached it to the closed problem

    report = supervise(engine, now=later + timedelta(hours=1))
    assert [(r.order_id, [p.post_id for p in r.posts]) for r in report.recurred] == [
        (order_id, [again.id])
    ]
    assert report.recurred[0].posts[0].url == "http://forum.invalid/again"
    assert supervise(engine, now=later + timedelta(hours=1)).changes == 0  # idempotent
    with session_scope(engine) as session:
        order = session.get(WorkOrder, order_id)
        assert (order.state, order.recurrence_count) == ("reopened", 1)
        assert session.get(Clue, clue_id).closed_at is None
    # two hours on, the reopened order has missed its new dispatch deadline
    assert supervise(engine, now=later + timedelta(hours=4)).dispatch_overdue == [order_id]


def test_corrections_survive_processing_that_adds_posts(processed) -> None:  # noqa: ANN001
    engine, config, clue_id = processed
    at = NOW + timedelta(hours=1)
    with transaction(engine) as session:
        claims.claim(session, clue_id, by="li", now=at)
        edit(
            session,
            clue_id,
            Correction(
                item_code="CX-01-03",
                district="东湖区",
                street="湖滨街道",
                region="K市/K6县",
                urgent=True,
            ),
            by="li",
            now=at,
        )
        before = session.get(Clue, clue_id).post_count
    # the very same text elsewhere joins the clue as an exact duplicate
    with session_scope(engine) as session:
        upsert_posts(session, "microblog", [_post("copy", LAMP, at, "转发者")])
    report = process_pending(engine, config=config, now=at + timedelta(hours=1))
    assert report.joined_exact == 1
    with session_scope(engine) as session:
        clue = session.get(Clue, clue_id)
        assert clue.post_count == before + 1
        assert (clue.item_code, clue.category, clue.department) == (
            "CX-01-03",
            "城乡建设",
            "应急管理局",
        )
        assert (clue.district, clue.street, clue.urgent, clue.dispatch_tier) == (
            "东湖区",
            "湖滨街道",
            True,
            "urgent",
        )
        assert clue.region == "K市/K6县"
        assert clue.state == "claimed"


def test_a_post_like_one_an_analyst_routed_by_hand_follows_it(processed) -> None:  # noqa: ANN001
    engine, config, clue_id = processed
    at = NOW + timedelta(hours=1)
    with transaction(engine) as session:
        # the lamp post was suggested into another clue: the analyst splits it out, then
        # routes it: the catalogue says street lamps (城市公共设施), the analyst the estate's
        claims.claim(session, clue_id, by="li", now=at)
        lamp = session.scalars(select(Post.id).where(Post.external_id == "lamp")).one()
        own = split(session, clue_id, [lamp], by="li", now=at)
        claims.claim(session, own.id, by="li", now=at)
        edit(session, own.id, Correction(item_code="CX-02-12"), by="li", now=at)
    # two months later, the same words about another estate: a clue of its own
    later = NOW + timedelta(days=60)
    again = LAMP.replace("江北区红星路红星小区", "东湖区柳岸路柳岸小区")
    with session_scope(engine) as session:
        upsert_posts(session, "city_forum", [_post("lamp-2", again, later, "居民乙")])
    report = process_pending(engine, config=config, now=later)
    assert (report.new_clues, report.routed_examples) == (1, 1)
    assert report_line(report).endswith(
        "1 new clues, 0 joined, 0 suggested duplicates, 0 urgent posts; 1 posts analysts "
        "routed by hand read as item examples"
    )
    with session_scope(engine) as session:
        new = session.scalars(
            select(Clue)
            .join(PostAnalysis, PostAnalysis.clue_id == Clue.id)
            .join(Post, Post.id == PostAnalysis.post_id)
            .where(Post.external_id == "lamp-2")
        ).one()
        assert (new.item_code, new.item_name) == ("CX-02-12", "小区管理")
        assert new.why["item"]["example"] == LAMP
        assert new.why["item"]["similarity"] > 0.5


def test_decisions_become_training_labels(processed, db_url: str) -> None:  # noqa: ANN001
    from clue_pipeline.cli.model_commands import decision_records

    engine, _config, clue_id = processed
    at = NOW + timedelta(hours=1)
    with session_scope(engine) as session:
        noise_clue = session.scalars(
            select(Clue.id).where(Clue.id != clue_id, Clue.post_count >= 1).order_by(Clue.id)
        ).first()
    with transaction(engine) as session:
        claims.claim(session, clue_id, by="li", now=at)
        edit(session, clue_id, Correction(category="劳动和社会保障"), by="li", now=at)
        claims.claim(session, noise_clue, by="li", now=at)
        decisions.reject(session, noise_clue, by="li", reason="not_public_service", now=at)
    records = decision_records(db_url)
    with session_scope(engine) as session:

        def members(clue: int) -> int:  # posts an analyst decided on: not the suggestions
            return len(
                session.scalars(
                    select(CluePost.post_id).where(
                        CluePost.clue_id == clue, CluePost.membership != "suggested"
                    )
                ).all()
            )

        expected = {"劳动和社会保障": members(clue_id), "noise": members(noise_clue)}
    counted = {label: sum(r["label"] == label for r in records) for label in expected}
    assert counted == expected and len(records) == sum(expected.values())
    assert all(r["text"] for r in records)
