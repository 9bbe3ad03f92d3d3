"""Property tests: hypothesis drives random sequences of analysts' actions
(claims, decisions, merges, splits, corrections, filing, order work,
supervision, time passing) against a real database and checks after every
step that the invariants hold: one live claim per clue, every state change
audited and allowed by the state machine, merged clues hold no posts, a
refused action changes nothing, a filed clue has exactly one order."""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import PG_ADMIN_URL, postgres_available
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session
from workflow_data import T0, make_clue

from clue_pipeline.storage.db import make_engine
from clue_pipeline.storage.migrate import upgrade
from clue_pipeline.storage.models import (
    AuditEvent,
    Clue,
    ClueClaim,
    CluePost,
    PostAnalysis,
    WorkOrder,
)
from verification import claims, clue_states, decisions, filing, membership, order_states, orders
from verification.corrections import Correction, edit
from verification.errors import WorkflowError
from verification.supervision import supervise
from verification.transactions import transaction

ANALYSTS = ("alice", "bob", "chen")
REASONS = ("not_public_service", "cannot_verify", "other")
ORDER_ACTIONS = ("dispatch", "progress", "resolve", "close", "reopen", "return", "note")


class Databases:
    """A fresh migrated database for every hypothesis example, cheaply: a
    copy of a migrated SQLite file, or a PostgreSQL database made from a
    migrated template."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder = backend, folder
        if backend == "sqlite":
            self.template = folder / "template.db"
            upgrade(f"sqlite:///{self.template}")
        else:
            self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            self.template = f"clues_tmpl_{uuid.uuid4().hex[:10]}"
            self._create(self.template)
            upgrade(self._url(self.template))
        self.made: list[str] = []

    def _url(self, name: str) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def _create(self, name: str, template: str | None = None) -> None:
        suffix = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))

    def fresh(self) -> Engine:
        if self.backend == "sqlite":
            path = self.folder / f"{uuid.uuid4().hex[:10]}.db"
            shutil.copyfile(self.template, path)
            return make_engine(f"sqlite:///{path}")
        name = f"clues_prop_{uuid.uuid4().hex[:10]}"
        self._create(name, self.template)
        self.made.append(name)
        return make_engine(self._url(name))

    def drop(self, engine: Engine) -> None:
        engine.dispose()
        if self.backend == "postgres":
            name = engine.url.database
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.backend == "postgres":
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            self.admin.dispose()


def machine_for(databases: Databases) -> type[RuleBasedStateMachine]:
    class Workflow(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.engine = databases.fresh()
            self.now = T0
            with transaction(self.engine) as session:
                self.first = make_clue(
                    session, ("红星路路灯坏了", "红星路路灯不亮"), suggested=("路灯闪",)
                ).id
                filed = make_clue(session, ("东湖路井盖丢了",), urgent=True).id
                claims.claim(session, filed, by="alice", now=T0)
                decisions.verify(session, filed, by="alice", now=T0)
                filing.file_clue(session, filed, by="alice", now=T0)
                make_clue(session, ("小区噪音扰民", "晚上施工"), suggested=("噪音", "施工"))

        def teardown(self) -> None:
            databases.drop(self.engine)

        # ------------------------------------------------------------ helpers
        def read(self) -> Session:
            """A plain session for looking (no write lock taken)."""
            return Session(self.engine)

        def clue_ids(self) -> list[int]:
            with self.read() as session:
                return list(session.scalars(select(Clue.id).order_by(Clue.id)))

        def audit_count(self) -> int:
            with self.read() as session:
                return session.scalar(select(func.count()).select_from(AuditEvent))

        def attempt(self, action: Callable[..., object]) -> None:
            """Run an action; a refusal must be a WorkflowError and change nothing."""
            before = self.audit_count()
            try:
                with transaction(self.engine) as session:
                    action(session)
            except WorkflowError:
                assert self.audit_count() == before

        def pick(self, data: st.DataObject, values: list[int]) -> int:
            return data.draw(st.sampled_from(values))

        def who(self, data: st.DataObject, clue_id: int) -> str:
            """Mostly the analyst holding the clue (so that work gets done),
            sometimes anyone."""
            with self.read() as session:
                claim = claims.live_claim(session, clue_id)
            if claim is not None and data.draw(st.integers(0, 3)) > 0:
                return claim.analyst
            return data.draw(st.sampled_from(ANALYSTS))

        def suggested_or_any(self, data: st.DataObject, clue_id: int) -> int:
            with self.read() as session:
                waiting = membership.suggested_posts(session, clue_id)
            return self.pick(data, waiting or self.posts_of(clue_id) or [0])

        def posts_of(self, clue_id: int) -> list[int]:
            with self.read() as session:
                return list(
                    session.scalars(select(CluePost.post_id).where(CluePost.clue_id == clue_id))
                )

        # -------------------------------------------------------------- rules
        @rule(minutes=st.sampled_from([1, 1, 5, 10, 31, 125, 60 * 25, 60 * 24 * 11]))
        def time_passes(self, minutes: int) -> None:
            self.now += timedelta(minutes=minutes)

        @rule(data=st.data(), by=st.sampled_from(ANALYSTS))
        def claim(self, data: st.DataObject, by: str) -> None:
            clue_id = self.pick(data, self.clue_ids())
            self.attempt(lambda s: claims.claim(s, clue_id, by=by, now=self.now))

        @rule(by=st.sampled_from(ANALYSTS))
        def claim_next(self, by: str) -> None:
            self.attempt(lambda s: claims.claim_next(s, by=by, now=self.now))

        @rule(data=st.data())
        def release(self, data: st.DataObject) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            self.attempt(lambda s: claims.release(s, clue_id, by=by, now=self.now))

        @rule(data=st.data())
        def verify(self, data: st.DataObject) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            self.attempt(lambda s: decisions.verify(s, clue_id, by=by, now=self.now))

        @rule(data=st.data(), reason=st.sampled_from(REASONS))
        def reject(self, data: st.DataObject, reason: str) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            note = "已受理" if reason == "other" else ""
            self.attempt(
                lambda s: decisions.reject(
                    s, clue_id, by=by, reason=reason, note=note, now=self.now
                )
            )

        @rule(data=st.data())
        def reopen(self, data: st.DataObject) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            self.attempt(lambda s: decisions.reopen(s, clue_id, by=by, now=self.now))

        @rule(data=st.data())
        def confirm(self, data: st.DataObject) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            post = self.suggested_or_any(data, clue_id)
            self.attempt(
                lambda s: membership.confirm_duplicates(s, clue_id, [post], by=by, now=self.now)
            )

        @rule(data=st.data())
        def split(self, data: st.DataObject) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            post = self.suggested_or_any(data, clue_id)
            self.attempt(lambda s: membership.split(s, clue_id, [post], by=by, now=self.now))

        @rule(data=st.data(), by=st.sampled_from(ANALYSTS))
        def merge(self, data: st.DataObject, by: str) -> None:
            ids = self.clue_ids()
            clue_id, into = self.pick(data, ids), self.pick(data, ids)
            self.attempt(lambda s: membership.merge(s, clue_id, into, by=by, now=self.now))

        @rule(data=st.data(), urgent=st.booleans())
        def correct(self, data: st.DataObject, urgent: bool) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            item = data.draw(st.sampled_from([None, "CX-01-03", "CX-02-04"]))
            change = Correction(urgent=urgent, item_code=item)
            self.attempt(lambda s: edit(s, clue_id, change, by=by, now=self.now))

        @rule(data=st.data())
        def file(self, data: st.DataObject) -> None:
            clue_id = self.pick(data, self.clue_ids())
            by = self.who(data, clue_id)
            self.attempt(lambda s: filing.file_clue(s, clue_id, by=by, now=self.now))

        @rule(data=st.data(), action=st.sampled_from(ORDER_ACTIONS))
        def work_order(self, data: st.DataObject, action: str) -> None:
            with self.read() as session:
                ids = list(session.scalars(select(WorkOrder.id)))
            if not ids:
                return
            order_id = self.pick(data, ids)
            calls = {
                "dispatch": lambda s: orders.dispatch(s, order_id, by="dispatcher", now=self.now),
                "progress": lambda s: orders.progress(
                    s, order_id, by="城管", note="在办", now=self.now
                ),
                "resolve": lambda s: orders.resolve(
                    s, order_id, by="城管", note="办结", now=self.now
                ),
                "close": lambda s: orders.close(
                    s, order_id, by="alice", satisfied=data.draw(st.booleans()), now=self.now
                ),
                "reopen": lambda s: orders.reopen(
                    s, order_id, by="alice", reason="未解决", now=self.now
                ),
                "return": lambda s: orders.return_order(
                    s, order_id, by="城管", reason="非本部门", now=self.now
                ),
                "note": lambda s: orders.supervise_note(
                    s, order_id, by="督办", text="请加快", now=self.now
                ),
            }
            self.attempt(calls[action])

        @rule(data=st.data())
        def next_step_of_a_clue(self, data: st.DataObject) -> None:
            """What a diligent analyst does next, so that sequences reach filing."""
            clue_id = self.pick(data, self.clue_ids())
            with self.read() as session:
                clue = session.get(Clue, clue_id)
                claim = claims.live_claim(session, clue_id)
                waiting = membership.suggested_posts(session, clue_id)
            by = claim.analyst if claim is not None else data.draw(st.sampled_from(ANALYSTS))
            if clue.state == clue_states.PENDING or (claim is None and clue.state == "claimed"):
                step = lambda s: claims.claim(s, clue_id, by=by, now=self.now)  # noqa: E731
            elif clue.state == clue_states.CLAIMED and waiting:
                step = lambda s: membership.confirm_duplicates(  # noqa: E731
                    s, clue_id, waiting, by=by, now=self.now
                )
            elif clue.state == clue_states.CLAIMED:
                step = lambda s: decisions.verify(s, clue_id, by=by, now=self.now)  # noqa: E731
            elif clue.state == clue_states.VERIFIED:
                step = lambda s: filing.file_clue(s, clue_id, by=by, now=self.now)  # noqa: E731
            elif clue.state == clue_states.REJECTED:
                step = lambda s: decisions.reopen(s, clue_id, by=by, now=self.now)  # noqa: E731
            else:
                return
            self.attempt(step)

        @rule(data=st.data())
        def next_step_of_an_order(self, data: st.DataObject) -> None:
            with self.read() as session:
                found = list(session.execute(select(WorkOrder.id, WorkOrder.state)))
            if not found:
                return
            order_id, state = data.draw(st.sampled_from(found))
            steps = {
                "filed": lambda s: orders.dispatch(s, order_id, by="dispatcher", now=self.now),
                "reopened": lambda s: orders.dispatch(s, order_id, by="dispatcher", now=self.now),
                "dispatched": lambda s: orders.progress(
                    s, order_id, by="城管", note="在办", now=self.now
                ),
                "in_progress": lambda s: orders.resolve(
                    s, order_id, by="城管", note="办结", now=self.now
                ),
                "resolved": lambda s: orders.close(
                    s, order_id, by="alice", satisfied=True, now=self.now
                ),
            }
            if state in steps:
                self.attempt(steps[state])

        @rule()
        def supervision(self) -> None:
            supervise(self.engine, now=self.now)
            assert supervise(self.engine, now=self.now).changes == 0  # idempotent

        # --------------------------------------------------------- invariants
        @invariant()
        def one_live_claim_per_clue_and_claims_match_states(self) -> None:
            with self.read() as session:
                live = Counter(
                    session.scalars(
                        select(ClueClaim.clue_id).where(ClueClaim.released_at.is_(None))
                    )
                )
                assert all(n == 1 for n in live.values())
                for clue in session.scalars(select(Clue)):
                    if clue.state == clue_states.CLAIMED:
                        assert live[clue.id] == 1, clue.id
                    elif clue.state != clue_states.VERIFIED:
                        assert live[clue.id] == 0, (clue.id, clue.state)

        @invariant()
        def every_state_change_is_audited_and_allowed(self) -> None:
            with self.read() as session:
                trails: dict[int, list[AuditEvent]] = {}
                for event in session.scalars(
                    select(AuditEvent).where(AuditEvent.order_id.is_(None)).order_by(AuditEvent.id)
                ):
                    trails.setdefault(event.clue_id, []).append(event)
                for clue in session.scalars(select(Clue)):
                    state = clue_states.PENDING
                    for event in trails.get(clue.id, []):
                        if event.action == "split_off":
                            assert event.from_state is None and event.to_state == "pending"
                        else:
                            assert event.from_state == state, (clue.id, event.action)
                            assert (
                                clue_states.TRANSITIONS[(event.from_state, event.action)]
                                == event.to_state
                            )
                        state = event.to_state
                    assert state == clue.state, (clue.id, clue.state, state)

        @invariant()
        def orders_follow_their_state_machine(self) -> None:
            with self.read() as session:
                filed = set(session.scalars(select(Clue.id).where(Clue.state == clue_states.FILED)))
                counted = Counter(session.scalars(select(WorkOrder.clue_id)))
                assert set(counted) == filed and set(counted.values()) <= {1}
                for order in session.scalars(select(WorkOrder)):
                    events = session.scalars(
                        select(AuditEvent)
                        .where(AuditEvent.order_id == order.id)
                        .order_by(AuditEvent.id)
                    ).all()
                    assert events[0].action == "create" and events[0].to_state == "filed"
                    state = "filed"
                    for event in events[1:]:
                        assert event.from_state == state
                        assert (
                            order_states.TRANSITIONS[(event.from_state, event.action)]
                            == event.to_state
                        )
                        state = event.to_state
                    assert state == order.state

        @invariant()
        def merged_clues_hold_no_posts_and_posts_sit_in_one_clue(self) -> None:
            with self.read() as session:
                clues = {c.id: c for c in session.scalars(select(Clue))}
                members = dict(session.execute(select(CluePost.post_id, CluePost.clue_id)).all())
                analysed = dict(
                    session.execute(select(PostAnalysis.post_id, PostAnalysis.clue_id)).all()
                )
                assert members == analysed
                holding = Counter(members.values())
                for clue in clues.values():
                    if clue.state == clue_states.MERGED:
                        assert holding[clue.id] == 0 and clue.post_count == 0
                        survivor = clues[clue.merged_into_id]
                        assert survivor.state != clue_states.MERGED
                    else:
                        assert holding[clue.id] == clue.post_count >= 1

    return Workflow


@pytest.fixture
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    if request.param == "postgres" and not postgres_available():
        pytest.skip("PostgreSQL is not answering on 127.0.0.1:5432")
    made = Databases(request.param, tmp_path)
    yield made
    made.close()


EXAMPLES = {"sqlite": 20, "postgres": 6}


@pytest.mark.parametrize(
    "databases",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_random_action_sequences_keep_the_invariants(databases: Databases) -> None:
    run_state_machine_as_test(
        machine_for(databases),
        settings=settings(
            max_examples=EXAMPLES[databases.backend],
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
