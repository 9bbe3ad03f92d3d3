"""Shared fixtures: a migrated database on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from clue_pipeline.storage.db import make_engine
from clue_pipeline.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUES_SHARED", ROOT.parent / "shared"))
SHARED_DATA = Path(os.environ.get("CLUES_SHARED_DATA", SHARED / "data"))
SHARED_FIXTURES = SHARED / "fixtures"
PG_ADMIN_URL = os.environ.get(
    "CLUES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def shared_data(name: str) -> Path:
    """A file of the real third-party data, or skip the test with the reason."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data {path} absent: it lives outside the repository in ../shared/data")
    return path


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own CLUES_HOME/var so nothing leaks into the checkout."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CLUES_VAR", str(home / "var"))
    monkeypatch.delenv("CLUES_DATABASE_URL", raising=False)
    yield


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'clues.db'}"
    upgrade(url)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    if not postgres_available():
        pytest.skip("PostgreSQL is not answering on 127.0.0.1:5432")
    name = f"clues_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        from clue_pipeline.storage.db import get_engine

        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated database URL, once per backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def web(db_url: str, engine: Engine):  # noqa: ANN201
    """The web app's parts over a migrated database with the users of
    ``tests/web_helpers.PASSWORDS`` (alice analyst, bob supervisor, carol admin)."""
    from web_helpers import Web, add_users

    from verification.web.config import WebConfig

    add_users(engine)
    return Web(db_url, engine, WebConfig(login_attempts=3))


@pytest.fixture
def sqlite_web(sqlite_url: str):  # noqa: ANN201
    """As ``web``, on SQLite only."""
    from web_helpers import Web, add_users

    from verification.web.config import WebConfig

    engine = make_engine(sqlite_url)
    add_users(engine)
    yield Web(sqlite_url, engine, WebConfig(login_attempts=3))
    engine.dispose()
