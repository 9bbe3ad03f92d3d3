"""The end of ``clues demo``: demo accounts whose printed passwords log in,
made again with new passwords on a second run (``--keep``); with
``--no-serve`` only a hint is printed (tests/test_demo.py runs the whole
command that way)."""

from __future__ import annotations

from sqlalchemy import select

from clue_pipeline.cli.app import load_plugins, registry
from clue_pipeline.storage.db import make_engine
from clue_pipeline.storage.models import User
from verification.accounts.users import authenticate
from verification.cli.demo_serve import DEMO_ACCOUNTS, demo_accounts, finish_demo
from verification.transactions import transaction


def test_demo_accounts_log_in_with_the_printed_passwords(sqlite_url: str) -> None:
    first = demo_accounts(sqlite_url)
    assert [(name, role) for name, role, _ in first] == list(DEMO_ACCOUNTS)
    again = demo_accounts(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with transaction(engine) as session:
            for (name, _, old), (_, _, new) in zip(first, again, strict=True):
                assert old != new
                assert authenticate(session, name, old) is None
                assert authenticate(session, name, new) is not None
            assert len(session.scalars(select(User)).all()) == 3
    finally:
        engine.dispose()


def test_the_demo_ends_with_the_web_ui_hook(sqlite_url: str, capsys) -> None:
    load_plugins()
    assert finish_demo in registry.demo_finish
    finish_demo(sqlite_url, False, 0)
    assert f"CLUES_DATABASE_URL={sqlite_url} clues serve" in capsys.readouterr().out
