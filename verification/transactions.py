"""One transaction per workflow action, safe with many analysts at once.

PostgreSQL: the actions lock the rows they change (``SELECT ... FOR NO KEY
UPDATE``, which leaves rows that merely reference a clue free to be inserted;
``SKIP LOCKED`` when taking the next clue of the queue; several clues are
locked in id order, as processing does, so that no two transactions deadlock). SQLite has no row
locks: a workflow transaction takes the database write lock first (``BEGIN
IMMEDIATE``), so writes are serialised and what an action read cannot change
before it writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from clue_pipeline.storage.models import Clue, WorkOrder
from verification.errors import NotFound

_LOCK_KEY = "verification.write_lock"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session for one action: committed when the block ends, rolled back
    when it raises."""
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        serialise_writes(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def serialise_writes(session: Session) -> None:
    """On SQLite, hold the database write lock for the rest of the current
    transaction; elsewhere nothing (row locks do the work)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    current = session.get_transaction()
    if current is not None and session.info.get(_LOCK_KEY) is current:
        return
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if not raw.in_transaction:  # a write already began one: it holds the lock
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    session.info[_LOCK_KEY] = session.get_transaction()


def lock_clue(session: Session, clue_id: int) -> Clue:
    """The clue, locked for this transaction; NotFound when there is none."""
    serialise_writes(session)
    clue = session.scalars(
        select(Clue)
        .where(Clue.id == clue_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).first()
    if clue is None:
        raise NotFound(f"clue {clue_id} does not exist")
    return clue


def lock_order(session: Session, order_id: int) -> WorkOrder:
    """The order, locked for this transaction; NotFound when there is none."""
    serialise_writes(session)
    order = session.scalars(
        select(WorkOrder)
        .where(WorkOrder.id == order_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).first()
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


def session_of(session_or_engine: Session | Engine) -> tuple[Session, bool]:
    """A session for a read-only call, and whether the caller must close it."""
    if isinstance(session_or_engine, Session):
        return session_or_engine, False
    return sessionmaker(bind=session_or_engine, expire_on_commit=False)(), True
