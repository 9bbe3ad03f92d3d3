"""Many analysts at once. Twenty workers take clues off the queue of the real
PostgreSQL (``FOR UPDATE SKIP LOCKED``) and decide them: no clue is claimed
twice, no decision is lost, the audit trail is complete. SQLite serialises
the same workload (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, func, select
from workflow_data import make_clue

from clue_pipeline.storage.models import AuditEvent, Clue, ClueClaim, WorkOrder
from verification import claims, decisions, filing
from verification.errors import ClaimConflict, TransitionForbidden
from verification.transactions import transaction


@dataclass
class Worker:
    name: str
    seed: int
    claimed: list[int] = field(default_factory=list)
    decided: dict[int, str] = field(default_factory=dict)
    conflicts: int = 0
    forbidden: int = 0
    errors: list[str] = field(default_factory=list)

    def run(self, engine, start: threading.Barrier, clue_ids: list[int]) -> None:  # noqa: ANN001
        rng = random.Random(self.seed)
        start.wait()
        try:
            while True:
                if rng.random() < 0.2:  # try someone else's clue: refused or already decided
                    self._poke(engine, rng.choice(clue_ids))
                with transaction(engine) as session:
                    taken = claims.claim_next(session, by=self.name)
                    if taken is None:
                        return
                    clue_id = taken.clue.id
                self.claimed.append(clue_id)
                time.sleep(rng.random() * 0.005)  # reads the posts
                self.decided[clue_id] = self._decide(engine, clue_id, rng)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _poke(self, engine, clue_id: int) -> None:  # noqa: ANN001
        try:
            with transaction(engine) as session:
                decisions.verify(session, clue_id, by=self.name)
        except ClaimConflict:
            self.conflicts += 1
        except TransitionForbidden:
            self.forbidden += 1

    def _decide(self, engine, clue_id: int, rng: random.Random) -> str:  # noqa: ANN001
        with transaction(engine) as session:
            if rng.random() < 0.3:
                decisions.reject(session, clue_id, by=self.name, reason="cannot_verify")
                return "rejected"
            decisions.verify(session, clue_id, by=self.name)
            if rng.random() < 0.5:
                return "verified"
            filing.file_clue(session, clue_id, by=self.name)
            return "filed"


def _workload(url: str, *, workers: int, clues: int, pool: int) -> dict[str, object]:
    engine = create_engine(
        url if url.startswith("sqlite") else url.replace("postgresql://", "postgresql+psycopg://"),
        pool_size=pool,
        max_overflow=0,
        **({"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}),
    )
    if url.startswith("sqlite"):
        from sqlalchemy import event

        from clue_pipeline.storage.db import _sqlite_pragmas

        event.listen(engine, "connect", _sqlite_pragmas)
    with transaction(engine) as session:
        ids = [
            make_clue(session, (f"第{i}号问题：路灯坏了",), priority=float(i)).id
            for i in range(clues)
        ]
    crew = [Worker(f"analyst{n:02d}", seed=n) for n in range(workers)]
    start = threading.Barrier(workers)
    threads = [threading.Thread(target=w.run, args=(engine, start, ids)) for w in crew]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    seconds = time.perf_counter() - began
    with transaction(engine) as session:
        states = dict(session.execute(select(Clue.id, Clue.state).where(Clue.id.in_(ids))).all())
        claim_events = Counter(
            session.scalars(
                select(AuditEvent.clue_id).where(
                    AuditEvent.action == "claim", AuditEvent.clue_id.in_(ids)
                )
            )
        )
        trails: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
        for event in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.clue_id.in_(ids), AuditEvent.order_id.is_(None))
            .order_by(AuditEvent.id)
        ):
            trails[event.clue_id].append((event.action, event.actor))
        live = session.scalar(
            select(func.count()).select_from(ClueClaim).where(ClueClaim.released_at.is_(None))
        )
        orders = session.scalar(select(func.count()).select_from(WorkOrder))
    engine.dispose()
    return {
        "crew": crew,
        "ids": ids,
        "states": states,
        "claim_events": claim_events,
        "trails": trails,
        "live_claims": live,
        "orders": orders,
        "seconds": seconds,
        "alive": [t for t in threads if t.is_alive()],
    }


def _check(result: dict[str, object]) -> None:
    crew, ids, states = result["crew"], result["ids"], result["states"]
    assert not result["alive"], "a worker hung"
    assert [e for w in crew for e in w.errors] == []
    claimed = [c for w in crew for c in w.claimed]
    assert sorted(claimed) == sorted(ids)  # every clue claimed, none twice
    assert set(result["claim_events"].values()) == {1}
    decided = {c: s for w in crew for c, s in w.decided.items()}
    assert decided == states  # no decision lost
    owner = {c: w.name for w in crew for c in w.claimed}
    for clue_id, trail in result["trails"].items():  # audit complete, by the right analyst
        expected = {"rejected": ["claim", "reject"], "verified": ["claim", "verify"]}.get(
            states[clue_id], ["claim", "verify", "file"]
        )
        assert [action for action, _ in trail] == expected, (clue_id, trail)
        assert {actor for _, actor in trail} == {owner[clue_id]}
    assert result["live_claims"] == sum(s == "verified" for s in states.values())
    assert result["orders"] == sum(s == "filed" for s in states.values())


@pytest.mark.postgres
def test_twenty_workers_on_postgresql_claim_each_clue_once(postgres_url: str) -> None:
    # 500 clues: enough that some claims race with decisions committed meanwhile
    result = _workload(postgres_url, workers=20, clues=500, pool=20)
    _check(result)
    crew = result["crew"]
    print(
        f"\n20 workers, PostgreSQL: {len(result['ids'])} clues claimed once each and decided "
        f"in {result['seconds']:.1f} s; pokes at other clues refused: "
        f"{sum(w.conflicts for w in crew)} held by others, "
        f"{sum(w.forbidden for w in crew)} in a state that forbids it; "
        f"per worker {min(len(w.claimed) for w in crew)}-"
        f"{max(len(w.claimed) for w in crew)} clues"
    )
    assert sum(1 for w in crew if w.claimed) > 1  # the work really was shared


def test_eight_workers_on_sqlite_are_serialised(sqlite_url: str) -> None:
    result = _workload(sqlite_url, workers=8, clues=60, pool=8)
    _check(result)
