"""The clue state machine on SQLite and PostgreSQL: claims with leases,
verify, reject, reopen, suggested duplicates, merge, split, corrections,
filing; every refusal is one pinned line, every action an audit row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from workflow_data import T0, make_clue

from clue_pipeline.storage.models import (
    AnalystLabel,
    AuditEvent,
    Clue,
    ClueClaim,
    CluePost,
    PostAnalysis,
    WorkOrder,
)
from verification import claims, decisions, filing, membership
from verification.corrections import Correction, edit
from verification.errors import ClaimConflict, InvalidInput, NotFound, TransitionForbidden
from verification.transactions import transaction

LATER = T0 + timedelta(minutes=5)


def _clue(engine, *texts, **kwargs) -> int:  # noqa: ANN001
    with transaction(engine) as session:
        return make_clue(session, texts or ("红星路路灯坏了一个月了",), **kwargs).id


def _do(engine, action, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    with transaction(engine) as session:
        return action(session, *args, **kwargs)


def _trail(engine, clue_id: int) -> list[tuple[str, str | None, str | None, str]]:  # noqa: ANN001
    with transaction(engine) as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.clue_id == clue_id, AuditEvent.order_id.is_(None))
            .order_by(AuditEvent.id)
        )
        return [(e.action, e.from_state, e.to_state, e.actor) for e in rows]


def test_claim_verify_file_is_audited_step_by_step(engine) -> None:  # noqa: ANN001
    clue_id = _clue(engine)
    result = _do(engine, claims.claim, clue_id, by="alice", now=T0)
    assert result.clue.state == "claimed"
    assert result.claim.expires_at == T0 + timedelta(minutes=30)
    _do(engine, decisions.verify, clue_id, by="alice", now=LATER, note="看过现场照片")
    order = _do(engine, filing.file_clue, clue_id, by="alice", now=LATER)
    assert order.state == "filed" and order.department == "城市管理和综合执法局"
    assert _trail(engine, clue_id) == [
        ("claim", "pending", "claimed", "alice"),
        ("verify", "claimed", "verified", "alice"),
        ("file", "verified", "filed", "alice"),
    ]
    with transaction(engine) as session:
        assert session.get(Clue, clue_id).state == "filed"
        assert claims.live_claim(session, clue_id) is None  # filing ends the claim
        labels = session.scalars(select(AnalystLabel.label)).all()
        assert labels == ["城乡建设"]  # verifying confirms the category


def test_a_claim_held_by_someone_else_is_refused_until_its_lease_ends(engine) -> None:  # noqa: ANN001
    clue_id = _clue(engine)
    _do(engine, claims.claim, clue_id, by="alice", now=T0)
    with pytest.raises(ClaimConflict) as caught:
        _do(engine, claims.claim, clue_id, by="bob", now=LATER)
    assert str(caught.value) == (
        f"clue {clue_id} is claimed by alice until 2026-11-20 16:30; "
        "hint: wait for the lease to end or ask alice to release it"
    )
    with pytest.raises(ClaimConflict) as caught:
        _do(engine, decisions.verify, clue_id, by="bob", now=LATER)
    assert "claimed by alice" in str(caught.value)
    with pytest.raises(ClaimConflict):
        _do(engine, edit, clue_id, Correction(urgent=True), by="bob", now=LATER)
    # alice's own actions renew the lease
    _do(engine, claims.claim, clue_id, by="alice", now=T0 + timedelta(minutes=20))
    with transaction(engine) as session:
        assert claims.live_claim(session, clue_id).expires_at == T0 + timedelta(minutes=50)
    # after the lease, bob takes it over: the expiry and the new claim are audited
    result = _do(engine, claims.claim, clue_id, by="bob", now=T0 + timedelta(minutes=51))
    assert result.taken_over_from == "alice"
    assert _trail(engine, clue_id)[-3:] == [
        ("renew", "claimed", "claimed", "alice"),
        ("expire", "claimed", "pending", "bob"),
        ("claim", "pending", "claimed", "bob"),
    ]
    with pytest.raises(ClaimConflict) as caught:
        _do(engine, decisions.verify, clue_id, by="alice", now=T0 + timedelta(minutes=52))
    assert "claimed by bob" in str(caught.value)
    with transaction(engine) as session:
        rows = session.scalars(select(ClueClaim).where(ClueClaim.clue_id == clue_id)).all()
        assert [(c.analyst, c.release_reason) for c in rows] == [
            ("alice", "expired"),
            ("bob", None),
        ]


def test_forbidden_transitions_and_wrong_ids_are_one_clear_line(engine) -> None:  # noqa: ANN001
    clue_id = _clue(engine)
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, decisions.verify, clue_id, by="alice", now=T0)
    assert str(caught.value) == (
        f"cannot verify clue {clue_id}: it is pending; "
        f"hint: claim it first: clues clue claim {clue_id}"
    )
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, filing.file_clue, clue_id, by="alice", now=T0)
    assert str(caught.value) == (
        f"cannot file clue {clue_id}: it is pending; "
        f"hint: claim and verify it first: clues clue claim {clue_id}"
    )
    with pytest.raises(NotFound) as caught:
        _do(engine, claims.claim, 999_999, by="alice", now=T0)
    assert str(caught.value) == "clue 999999 does not exist"
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, claims.release, clue_id, by="alice", now=T0)
    assert str(caught.value) == (
        f"cannot release clue {clue_id}: it is pending; hint: nobody holds it"
    )
    with pytest.raises(InvalidInput) as caught:
        _do(engine, claims.claim, clue_id, by="  ", now=T0)
    assert str(caught.value) == "the acting analyst's name is empty; hint: pass --by NAME"
    assert _trail(engine, clue_id) == []  # refusals change nothing


def test_reject_reasons_labels_and_reopen(engine) -> None:  # noqa: ANN001
    noise = _clue(engine, "今天天气真好，去公园跑步了", "跑步打卡第三天")
    other = _clue(engine)
    _do(engine, claims.claim, noise, by="alice", now=T0)
    with pytest.raises(InvalidInput) as caught:
        _do(engine, decisions.reject, noise, by="alice", reason="boring", now=T0)
    assert str(caught.value) == (
        "unknown reject reason 'boring'; expected one of: not_public_service, duplicate, "
        "cannot_verify, already_handled, other"
    )
    _do(engine, decisions.reject, noise, by="alice", reason="not_public_service", now=T0)
    _do(engine, claims.claim, other, by="alice", now=T0)
    with pytest.raises(InvalidInput) as caught:
        _do(engine, decisions.reject, other, by="alice", reason="other", now=T0)
    assert str(caught.value) == "reason 'other' needs a note; hint: pass --note TEXT"
    _do(engine, decisions.reject, other, by="alice", reason="other", note="已在12345受理", now=T0)
    with transaction(engine) as session:
        rejected = session.get(Clue, noise)
        assert (rejected.state, rejected.reject_reason) == ("rejected", "not_public_service")
        assert sorted(session.scalars(select(AnalystLabel.label))) == ["noise", "noise"]
        overrides = session.scalars(
            select(PostAnalysis.relevance_override).where(PostAnalysis.clue_id == noise)
        ).all()
        assert overrides == [False, False]  # reprocessing keeps them out of the queue
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, claims.claim, noise, by="bob", now=LATER)
    assert str(caught.value) == (
        f"cannot claim clue {noise}: it is rejected; "
        f"hint: reopen it first: clues clue reopen {noise}"
    )
    reopened = _do(engine, decisions.reopen, noise, by="bob", now=LATER, note="其实是路灯问题")
    assert (reopened.state, reopened.reject_reason) == ("pending", None)
    with transaction(engine) as session:
        overrides = session.scalars(
            select(PostAnalysis.relevance_override).where(PostAnalysis.clue_id == noise)
        ).all()
        assert overrides == [None, None]
    assert [a for a, *_ in _trail(engine, noise)] == ["claim", "reject", "reopen"]


def test_suggested_duplicates_are_decided_before_verifying(engine) -> None:  # noqa: ANN001
    clue_id = _clue(
        engine, "红星路路灯坏了", suggested=("红星路路灯不亮好几天", "楼下超市鸡蛋打折")
    )
    with transaction(engine) as session:
        seed, lamp, eggs = session.scalars(
            select(CluePost.post_id).where(CluePost.clue_id == clue_id).order_by(CluePost.id)
        ).all()
    _do(engine, claims.claim, clue_id, by="alice", now=T0)
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, decisions.verify, clue_id, by="alice", now=T0)
    assert str(caught.value) == (
        f"cannot verify clue {clue_id}: 2 suggested duplicate posts wait for a decision "
        f"({lamp} {eggs}); hint: confirm them with clues clue confirm {clue_id} {lamp} {eggs} "
        f"or split them out with clues clue split {clue_id} POST_ID"
    )
    with pytest.raises(InvalidInput) as caught:
        _do(engine, membership.confirm_duplicates, clue_id, [seed], by="alice", now=T0)
    assert str(caught.value) == f"post {seed} of clue {clue_id} is no suggested duplicate"
    _do(engine, membership.confirm_duplicates, clue_id, [lamp], by="alice", now=T0)
    new = _do(engine, membership.split, clue_id, [eggs], by="alice", now=T0)  # rejected
    _do(engine, decisions.verify, clue_id, by="alice", now=T0)
    with transaction(engine) as session:
        members = dict(
            session.execute(
                select(CluePost.post_id, CluePost.membership).where(CluePost.clue_id == clue_id)
            ).all()
        )
        assert members == {seed: "seed", lamp: "confirmed"}
        moved = session.get(PostAnalysis, eggs)
        assert moved.clue_id == new.id
        fresh = session.get(Clue, new.id)
        assert (fresh.state, fresh.post_count) == ("pending", 1)
        assert session.get(Clue, clue_id).post_count == 2
    assert _trail(engine, new.id) == [("split_off", None, "pending", "alice")]


def test_merge_moves_posts_and_points_to_the_survivor(engine) -> None:  # noqa: ANN001
    survivor = _clue(engine, "红星路路灯坏了", "红星路路灯不亮")
    duplicate = _clue(engine, "红星路口路灯一直不亮")
    earlier = _clue(engine, "红星路的灯坏了")
    _do(engine, membership.merge, earlier, duplicate, by="alice", now=T0)
    _do(engine, membership.merge, duplicate, survivor, by="alice", now=LATER)
    with transaction(engine) as session:
        for merged in (duplicate, earlier):
            clue = session.get(Clue, merged)
            assert (clue.state, clue.merged_into_id, clue.post_count) == (
                "merged",
                survivor,
                0,
            )
            assert not session.scalars(select(CluePost).where(CluePost.clue_id == merged)).all()
            assert not session.scalars(
                select(PostAnalysis).where(PostAnalysis.clue_id == merged)
            ).all()
        assert session.get(Clue, survivor).post_count == 4
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, claims.claim, duplicate, by="bob", now=LATER)
    assert str(caught.value) == (
        f"cannot claim clue {duplicate}: it is merged; hint: it was merged into clue "
        f"{survivor}; work on that one"
    )
    with pytest.raises(InvalidInput) as caught:
        _do(engine, membership.merge, survivor, survivor, by="bob", now=LATER)
    assert str(caught.value) == f"cannot merge clue {survivor} into itself"


def test_split_refuses_foreign_posts_and_emptying_a_clue(engine) -> None:  # noqa: ANN001
    clue_id = _clue(engine, "红星路路灯坏了", "红星路路灯不亮")
    other = _clue(engine, "别处的问题")
    with transaction(engine) as session:
        posts = session.scalars(
            select(CluePost.post_id).where(CluePost.clue_id == clue_id).order_by(CluePost.id)
        ).all()
        foreign = session.scalars(select(CluePost.post_id).where(CluePost.clue_id == other)).one()
    with pytest.raises(InvalidInput) as caught:
        _do(engine, membership.split, clue_id, [foreign], by="alice", now=T0)
    assert str(caught.value) == (
        f"post {foreign} is not in clue {clue_id}; hint: clues clue show {clue_id} lists its posts"
    )
    with pytest.raises(InvalidInput) as caught:
        _do(engine, membership.split, clue_id, posts, by="alice", now=T0)
    assert str(caught.value) == (
        f"cannot split every post out of clue {clue_id}; hint: leave at least one, "
        "or reject the clue instead"
    )


def test_grouping_decisions_become_embedder_training_pairs(engine) -> None:  # noqa: ANN001
    from clue_pipeline.cli.model_commands import decided_posts, decision_pairs
    from clue_pipeline.processing.grouping import Place
    from clue_pipeline.storage.grouping_decisions import DecidedPair, decided_pairs

    clue_id = _clue(
        engine,
        "红星路路灯坏了",
        "红星路路灯晚上不亮",
        suggested=("红星路路灯不亮好几天", "楼下超市鸡蛋打折", "红星路灯杆歪了"),
    )
    other = _clue(engine, "红星路口路灯一直不亮")
    with transaction(engine) as session:
        seed, auto, lamp, eggs, pole = session.scalars(
            select(CluePost.post_id).where(CluePost.clue_id == clue_id).order_by(CluePost.id)
        ).all()
        other_seed = session.scalars(
            select(CluePost.post_id).where(CluePost.clue_id == other)
        ).one()
        # what processing records: the post each one was matched to
        for row in session.scalars(select(CluePost).where(CluePost.clue_id == clue_id)):
            row.matched_post_id = None if row.post_id == seed else seed
    with transaction(engine) as session:
        assert decided_pairs(session) == []  # suggestions and auto merges are no decision
    _do(engine, claims.claim, clue_id, by="alice", now=T0)
    _do(engine, membership.confirm_duplicates, clue_id, [lamp, pole], by="alice", now=T0)
    _do(engine, membership.split, clue_id, [eggs], by="alice", now=T0)  # a rejected suggestion
    _do(engine, membership.split, clue_id, [auto], by="alice", now=T0)  # a wrong auto merge
    _do(engine, membership.split, clue_id, [pole], by="alice", now=LATER)  # thought better of it
    _do(engine, membership.merge, other, clue_id, by="alice", now=LATER)
    with transaction(engine) as session:
        assert decided_pairs(session) == [
            DecidedPair(lamp, seed, 1),
            DecidedPair(eggs, seed, 0),
            DecidedPair(auto, seed, 0),
            DecidedPair(pole, seed, 0),  # the latest decision about a pair wins
            DecidedPair(other_seed, seed, 1),
        ]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "absorb")).one()
        assert event.details["same_problem"] == [[other_seed, seed]]
    # a confirmation recorded before the audit events carried pairs still counts
    with transaction(engine) as session:
        confirm = session.scalars(select(AuditEvent).where(AuditEvent.action == "confirm")).one()
        confirm.details = {"posts": confirm.details["posts"]}
    with transaction(engine) as session:
        assert DecidedPair(lamp, seed, 1) in decided_pairs(session)
    pairs = decision_pairs(engine.url.render_as_string(hide_password=False))
    assert [(p.sentence1, p.sentence2, p.label, p.source) for p in pairs][:2] == [
        ("红星路路灯不亮好几天", "红星路路灯坏了", 1, "analysts"),
        ("楼下超市鸡蛋打折", "红星路路灯坏了", 0, "analysts"),
    ]
    # what `clues eval dedup --from-decisions` scores: the texts with the posts' places
    decided = decided_posts(engine.url.render_as_string(hide_password=False))
    with transaction(engine) as session:
        place_of = {a.post_id: Place.of(a) for a in session.scalars(select(PostAnalysis))}
    assert [(d.place_a, d.place_b) for d in decided][:2] == [
        (place_of[lamp], place_of[seed]),
        (place_of[eggs], place_of[seed]),
    ]
    assert decided[0].text_a == pairs[0].sentence1 and decided[0].label == 1


def test_corrections_are_checked_against_catalogue_and_gazetteer(engine) -> None:  # noqa: ANN001
    clue_id = _clue(engine)
    with pytest.raises(InvalidInput) as caught:
        _do(engine, edit, clue_id, Correction(item_code="ZZ-99-99"), by="alice", now=T0)
    assert str(caught.value) == (
        "unknown catalogue item 'ZZ-99-99'; hint: item codes look like CX-03-02, "
        "see config/catalog.yaml"
    )
    with pytest.raises(InvalidInput) as caught:
        _do(engine, edit, clue_id, Correction(district="火星区"), by="alice", now=T0)
    assert str(caught.value).startswith("unknown district '火星区'; expected one of: 东湖区")
    with pytest.raises(InvalidInput) as caught:
        _do(engine, edit, clue_id, Correction(), by="alice", now=T0)
    assert str(caught.value).startswith("nothing to change; hint: pass --category")
    clue = _do(
        engine,
        edit,
        clue_id,
        Correction(category="劳动和社会保障", urgent=True),
        by="alice",
        now=T0,
        note="其实是欠薪",
    )
    assert clue.category == "劳动和社会保障"
    assert clue.item_code and clue.department and clue.urgent and clue.dispatch_tier == "urgent"
    assert set(clue.corrections) >= {"category", "item_code", "department", "urgent"}
    with transaction(engine) as session:
        label = session.scalars(select(AnalystLabel)).one()
        assert (label.label, label.by, label.note) == (
            "劳动和社会保障",
            "alice",
            "corrected from 城乡建设",
        )
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "edit")).one()
        assert event.details["changed"]["category"] == ["城乡建设", "劳动和社会保障"]


def test_filing_needs_a_catalogue_item_and_takes_deadlines_from_it(engine) -> None:  # noqa: ANN001
    bare = _clue(engine, category=None)
    _do(engine, claims.claim, bare, by="alice", now=T0)
    _do(engine, decisions.verify, bare, by="alice", now=T0)
    with pytest.raises(InvalidInput) as caught:
        _do(engine, filing.file_clue, bare, by="alice", now=T0)
    assert str(caught.value) == (
        f"cannot file clue {bare}: it has no catalogue item; "
        f"hint: clues clue edit {bare} --item CODE"
    )
    _do(engine, edit, bare, Correction(item_code="CX-01-03"), by="alice", now=T0)  # 安全隐患
    order = _do(engine, filing.file_clue, bare, by="alice", now=T0)
    assert (order.item_code, order.department, order.deadline_days) == ("CX-01-03", "应急管理局", 2)
    assert order.dispatch_due_at == T0 + timedelta(minutes=120)  # not urgent: 2 h
    assert order.handle_due_at == order.dispatch_due_at + timedelta(days=2)
    assert len(order.evidence) == 1 and order.evidence[0]["url"].startswith("http://")
    urgent = _clue(engine, urgent=True)
    _do(engine, claims.claim, urgent, by="bob", now=T0)
    _do(engine, decisions.verify, urgent, by="bob", now=T0)
    order = _do(engine, filing.file_clue, urgent, by="bob", now=T0)
    assert order.dispatch_tier == "urgent"
    assert order.dispatch_due_at == T0 + timedelta(minutes=30)
    with transaction(engine) as session:
        assert session.scalars(select(WorkOrder.clue_id).order_by(WorkOrder.id)).all() == [
            bare,
            urgent,
        ]


def test_a_verified_clue_left_unfiled_comes_back_through_claim_next(engine) -> None:  # noqa: ANN001
    from verification.supervision import supervise

    clue_id = _clue(engine)
    _do(engine, claims.claim, clue_id, by="alice", now=T0)
    _do(engine, decisions.verify, clue_id, by="alice", now=T0)
    assert _do(engine, claims.claim_next, by="bob", now=T0 + timedelta(minutes=10)) is None
    report = supervise(engine, now=T0 + timedelta(minutes=31))
    assert report.claims_expired == [clue_id]
    taken = _do(engine, claims.claim_next, by="bob", now=T0 + timedelta(minutes=32))
    assert (taken.clue.id, taken.clue.state, taken.claim.analyst) == (clue_id, "verified", "bob")
    order = _do(engine, filing.file_clue, clue_id, by="bob", now=T0 + timedelta(minutes=33))
    assert order.filed_by == "bob"
    assert _trail(engine, clue_id) == [
        ("claim", "pending", "claimed", "alice"),
        ("verify", "claimed", "verified", "alice"),
        ("expire", "verified", "verified", "supervise"),
        ("claim", "verified", "verified", "bob"),
        ("file", "verified", "filed", "bob"),
    ]


def test_a_corrected_region_is_stored_as_processing_stores_it_and_can_be_cleared(
    engine,  # noqa: ANN001
) -> None:
    clue_id = _clue(engine)
    clue = _do(engine, edit, clue_id, Correction(region="K6县 K市"), by="alice", now=T0)
    assert (clue.region, clue.corrections["region"]["value"]) == ("K市/K6县", "K市/K6县")
    clue = _do(engine, edit, clue_id, Correction(region="/A7县"), by="alice", now=T0)
    assert (clue.region, clue.corrections["region"]["from"]) == ("/A7县", "K市/K6县")
    clue = _do(engine, edit, clue_id, Correction(region="-"), by="alice", now=T0)
    assert (clue.region, clue.corrections["region"]["value"]) == (None, None)
    for wrong in ("K市/L市", "红星路", "K市 K6县 K7县", "/"):
        with pytest.raises(InvalidInput) as caught:
            _do(engine, edit, clue_id, Correction(region=wrong), by="alice", now=T0)
        assert str(caught.value) == (
            f"region {wrong!r} is not one city and one county; expected a city, a county or "
            "both, e.g. K市/K6县, 长沙市 or K6县 (hint: - says the clue is about no other "
            "city or county)"
        )


def test_a_corrected_road_is_kept_and_carried_to_the_order(engine) -> None:  # noqa: ANN001
    from verification.config import load_workflow_config
    from verification.export import address_of, csv_row

    clue_id = _clue(engine)
    clue = _do(
        engine,
        edit,
        clue_id,
        Correction(street="铁塔街道", road="红星路", community="红星社区"),
        by="alice",
        now=T0,
    )
    assert (clue.road, clue.corrections["road"]["value"]) == ("红星路", "红星路")
    _do(engine, claims.claim, clue_id, by="alice", now=T0)
    _do(engine, decisions.verify, clue_id, by="alice", now=T0)
    order = _do(engine, filing.file_clue, clue_id, by="alice", now=T0)
    assert order.road == "红星路"
    assert address_of(order) == "江北区铁塔街道红星路红星社区"
    assert csv_row(order, load_workflow_config())["road"] == "红星路"
