"""Orders on SQLite and PostgreSQL: the order state machine, due times by
tier and item, returns (退单) and first-dispatch success, return visits,
supervision (overdue, escalation, idempotent), the weekly review and stats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from workflow_data import T0, add_post, make_clue

from clue_pipeline.storage.models import AuditEvent, Clue, OrderNote, ReturnVisit, WorkOrder
from verification import claims, decisions, filing, orders
from verification.errors import InvalidInput, NotFound, TransitionForbidden
from verification.membership import refresh
from verification.review import weekly_review
from verification.stats import compute_stats
from verification.supervision import supervise
from verification.transactions import transaction

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _do(engine, action, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    with transaction(engine) as session:
        return action(session, *args, **kwargs)


def _filed(engine, *, urgent: bool = False, texts=("红星路路灯坏了",), at=T0) -> int:  # noqa: ANN001
    with transaction(engine) as session:
        clue = make_clue(session, texts, urgent=urgent, at=at - HOUR)
        claims.claim(session, clue.id, by="alice", now=at)
        decisions.verify(session, clue.id, by="alice", now=at)
        return filing.file_clue(session, clue.id, by="alice", now=at).id


def _order(engine, order_id: int) -> WorkOrder:  # noqa: ANN001
    with transaction(engine) as session:
        return session.get(WorkOrder, order_id)


def _order_trail(engine, order_id: int) -> list[tuple[str, str | None, str | None]]:  # noqa: ANN001
    with transaction(engine) as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.order_id == order_id).order_by(AuditEvent.id)
        )
        return [(e.action, e.from_state, e.to_state) for e in rows]


def test_an_order_goes_from_filed_to_closed_with_a_return_visit(engine) -> None:  # noqa: ANN001
    order_id = _filed(engine)
    _do(engine, orders.dispatch, order_id, by="alice", now=T0 + 10 * timedelta(minutes=1))
    _do(engine, orders.progress, order_id, by="城管", note="已派人查看", now=T0 + HOUR)
    _do(engine, orders.progress, order_id, by="城管", note="已订购灯具", now=T0 + 2 * HOUR)
    _do(engine, orders.resolve, order_id, by="城管", note="更换了灯具", now=T0 + DAY)
    _do(
        engine,
        orders.close,
        order_id,
        by="alice",
        satisfied=True,
        note="居民满意",
        now=T0 + 2 * DAY,
    )
    order = _order(engine, order_id)
    assert (order.state, order.satisfied, order.resolution) == ("closed", True, "更换了灯具")
    assert not order.dispatch_late and not order.handle_late
    assert order.handle_due_at == T0 + 10 * timedelta(minutes=1) + 10 * DAY  # item: 10 days
    assert _order_trail(engine, order_id) == [
        ("create", None, "filed"),
        ("dispatch", "filed", "dispatched"),
        ("progress", "dispatched", "in_progress"),
        ("progress", "in_progress", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("close", "resolved", "closed"),
    ]
    with transaction(engine) as session:
        visit = session.scalars(select(ReturnVisit)).one()
        assert (visit.satisfied, visit.by, visit.note) == (True, "alice", "居民满意")
        kinds = session.scalars(select(OrderNote.kind).order_by(OrderNote.id)).all()
        assert kinds == ["progress", "progress"]


def test_order_actions_in_the_wrong_state_are_one_clear_line(engine) -> None:  # noqa: ANN001
    order_id = _filed(engine)
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, orders.resolve, order_id, by="x", note="done", now=T0)
    assert str(caught.value) == (
        f"cannot resolve order {order_id}: it is filed; "
        f"hint: dispatch it first: clues orders dispatch {order_id}"
    )
    with pytest.raises(TransitionForbidden) as caught:
        _do(engine, orders.close, order_id, by="x", satisfied=True, now=T0)
    assert str(caught.value) == (
        f"cannot close order {order_id}: it is filed; "
        f"hint: resolve it first: clues orders resolve {order_id} --note TEXT"
    )
    with pytest.raises(InvalidInput) as caught:
        _do(engine, orders.progress, order_id, by="x", note="  ", now=T0)
    assert str(caught.value) == "the progress note is empty; hint: pass --note TEXT"
    with pytest.raises(NotFound) as caught:
        _do(engine, orders.dispatch, 424242, by="x", now=T0)
    assert str(caught.value) == "order 424242 does not exist"
    assert _order_trail(engine, order_id) == [("create", None, "filed")]


def test_a_wrongly_routed_order_is_returned_rerouted_and_counted(engine) -> None:  # noqa: ANN001
    routed_right = _filed(engine, texts=("东湖路井盖丢了",))
    routed_wrong = _filed(engine)
    for order_id in (routed_right, routed_wrong):
        _do(engine, orders.dispatch, order_id, by="alice", now=T0 + HOUR)
    _do(
        engine,
        orders.return_order,
        routed_wrong,
        by="城管",
        reason="路灯归供电局管",
        to_department="云江供电局",
        now=T0 + 2 * HOUR,
    )
    order = _order(engine, routed_wrong)
    assert (order.state, order.department, order.first_department) == (
        "dispatched",
        "云江供电局",
        "城市管理和综合执法局",
    )
    assert order.return_count == 1
    assert order.handle_due_at == T0 + 2 * HOUR + 10 * DAY  # the new department's full time
    assert _order_trail(engine, routed_wrong)[-2:] == [
        ("return", "dispatched", "filed"),
        ("dispatch", "filed", "dispatched"),
    ]
    stats = compute_stats(engine, now=T0 + 3 * HOUR)
    assert (stats.first_dispatch_success.part, stats.first_dispatch_success.whole) == (1, 2)
    assert stats.returns == 1


def test_supervision_marks_overdue_escalates_and_is_idempotent(engine) -> None:  # noqa: ANN001
    urgent = _filed(engine, urgent=True)
    normal = _filed(engine)
    handled = _filed(engine, texts=("东湖路井盖丢了",))
    _do(engine, orders.dispatch, handled, by="alice", now=T0 + 10 * timedelta(minutes=1))

    # 40 minutes in: only the urgent order (30 min) is overdue for dispatch
    first = supervise(engine, now=T0 + 40 * timedelta(minutes=1))
    assert first.dispatch_overdue == [urgent]
    assert [(e.order_id, e.level, e.to) for e in first.escalated] == [(urgent, 1, "supervisor")]
    assert first.escalated[0].reason == (
        "dispatch overdue by 10 min (due 2026-11-20T08:30+00:00): raised to supervisor (level 1)"
    )
    again = supervise(engine, now=T0 + 40 * timedelta(minutes=1))
    assert again.changes == 0  # idempotent

    # days late: the department head; handling overdue after the item's 10 days
    later = supervise(engine, now=T0 + 12 * DAY)
    assert later.dispatch_overdue == [normal]
    assert later.handle_overdue == [handled]
    assert {(e.order_id, e.level, e.to) for e in later.escalated} == {
        (urgent, 2, "department_head"),
        (normal, 2, "department_head"),
        (handled, 2, "department_head"),
    }
    assert supervise(engine, now=T0 + 12 * DAY).changes == 0
    order = _order(engine, urgent)
    assert order.dispatch_late and order.escalation_level == 2
    assert order.escalation_reason.endswith("raised to department_head (level 2)")
    assert _order_trail(engine, urgent)[1:] == [
        ("dispatch_overdue", "filed", "filed"),
        ("escalate", "filed", "filed"),
        ("escalate", "filed", "filed"),
    ]
    # dispatching late starts a fresh handling deadline; the lateness is kept for stats
    _do(engine, orders.dispatch, urgent, by="alice", now=T0 + 12 * DAY)
    order = _order(engine, urgent)
    assert (order.escalation_level, order.dispatch_overdue_at, order.dispatch_late) == (
        0,
        None,
        True,
    )
    stats = compute_stats(engine, now=T0 + 12 * DAY)
    assert (stats.dispatch_sla.part, stats.dispatch_sla.whole) == (1, 3)  # only `handled`
    assert (stats.handling_sla.part, stats.handling_sla.whole) == (0, 1)
    assert stats.orders_overdue_now == 2


def test_reopened_orders_are_dispatched_again_and_reviewed(engine) -> None:  # noqa: ANN001
    order_id = _filed(engine)
    _do(engine, orders.dispatch, order_id, by="alice", now=T0 + HOUR)
    _do(engine, orders.resolve, order_id, by="城管", note="修好了", now=T0 + DAY)
    clue_id = _order(engine, order_id).clue_id
    with transaction(engine) as session:
        assert session.get(Clue, clue_id).closed_at == T0 + DAY
    _do(
        engine,
        orders.close,
        order_id,
        by="alice",
        satisfied=False,
        note="还是不亮",
        now=T0 + 2 * DAY,
    )
    with pytest.raises(InvalidInput) as caught:
        _do(engine, orders.reopen, order_id, by="alice", reason="", now=T0 + 2 * DAY)
    assert str(caught.value) == "the reason is empty; hint: pass --reason TEXT"
    _do(engine, orders.reopen, order_id, by="alice", reason="回访不满意", now=T0 + 2 * DAY)
    order = _order(engine, order_id)
    assert (order.state, order.satisfied) == ("reopened", None)
    assert order.dispatch_due_at == T0 + 2 * DAY + timedelta(minutes=120)
    with transaction(engine) as session:
        clue = session.get(Clue, order.clue_id)
        assert (clue.state, clue.closed_at) == ("filed", None)  # open again
    review = weekly_review(engine, now=T0 + 3 * DAY)
    assert [i.order_id for i in review.items] == [order_id]
    assert review.items[0].reasons[0].startswith("dispatch overdue by")
    assert "resident not satisfied at the return visit" in review.items[0].reasons
    assert [(c.item_code, c.orders) for c in review.classes] == [("CX-02-04", 1)]


def test_weekly_review_ranks_recurred_returned_and_much_reported_orders(engine) -> None:  # noqa: ANN001
    quiet = _filed(engine)
    many = _filed(engine, texts=tuple(f"红星路路灯坏了第{i}次反映" for i in range(6)))
    returned = _filed(engine, texts=("东湖路井盖丢了",))
    for order_id in (quiet, many, returned):
        _do(engine, orders.dispatch, order_id, by="alice", now=T0 + HOUR)
    _do(engine, orders.return_order, returned, by="城管", reason="不归我们", now=T0 + 2 * HOUR)
    _do(engine, orders.dispatch, returned, by="alice", department="水务局", now=T0 + 2 * HOUR)
    # reports that came after filing count too
    with transaction(engine) as session:
        clue = session.get(Clue, session.get(WorkOrder, quiet).clue_id)
        for n in range(2):
            add_post(session, clue, f"路灯还是不亮{n}", at=T0 + 3 * HOUR)
        refresh(session, {clue.id}, T0 + 3 * HOUR)
    review = weekly_review(engine, now=T0 + DAY)
    ranked = [(i.order_id, i.reasons) for i in review.items]
    assert ranked == [
        (returned, ["returned 1× by departments"]),
        (many, ["6 reports"]),
        (quiet, ["3 reports"]),
    ]
    assert review.to_dict()["items"][0]["order_id"] == returned
