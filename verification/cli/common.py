"""What every workflow command shares: who acts, the database, output."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clue_pipeline.errors import ClueError

T = TypeVar("T")


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): make the user say
        return ""


BY = typer.Option(None, "--by", help="The acting analyst (default: your login name).")
DATABASE_URL = typer.Option(None, "--database-url", help="Default: CLUES_DATABASE_URL.")
JSON = typer.Option(False, "--json", help="Print JSON.")


def actor_name(by: str | None) -> str:
    return by if by is not None else default_actor()


def open_engine(database_url: str | None) -> Engine:
    """An engine on a database migrated to this version's schema."""
    from alembic.script import ScriptDirectory

    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.migrate import alembic_config, current_revision, require_schema

    url = require_schema(database_url)
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    current = current_revision(url)
    if current != head:
        raise ClueError(
            f"the database schema is at revision {current}, this version needs {head}; "
            "hint: run `clues db upgrade`"
        )
    return make_engine(url)


@contextmanager
def engine_for(database_url: str | None) -> Iterator[Engine]:
    engine = open_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def act(database_url: str | None, action: Callable[[Session], T]) -> T:
    """Run one workflow action in its own transaction."""
    from verification.transactions import transaction

    with engine_for(database_url) as engine, transaction(engine) as session:
        return action(session)


def read(database_url: str | None, query: Callable[[Session], T]) -> T:
    from sqlalchemy.orm import sessionmaker

    with (
        engine_for(database_url) as engine,
        sessionmaker(bind=engine, expire_on_commit=False)() as session,
    ):
        return query(session)


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str))


def short(value: str | None, limit: int = 60) -> str:
    text = " ".join((value or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(value: str | None) -> str:
    """An ISO time of a view as the analysts' local time, ``-`` for None."""
    from datetime import datetime

    from verification.timefmt import local

    return local(datetime.fromisoformat(value)) if value else "-"
