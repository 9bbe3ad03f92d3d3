"""Engine and sessions. SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from clue_pipeline import settings


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _json(value: object) -> str:
    """JSON columns keep Chinese as UTF-8, not as \\uXXXX escapes (half the bytes)."""
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str | None = None) -> Engine:
    """A new engine for ``url`` (default: the configured database)."""
    url = url or settings.database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, json_serializer=_json)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """A shared engine per URL for the life of the process."""
    return make_engine(url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
