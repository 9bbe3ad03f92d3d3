"""The end of ``clues demo``: demo accounts whose printed passwords log in,
made again with new passwords on a second run (``--keep``); with
``--no-serve`` only a hint is printed (tests/test_demo.py runs the whole
command that way)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cli_run import run_clues
from sqlalchemy import select

from clue_pipeline.cli.app import load_plugins, registry
from clue_pipeline.storage.db import make_engine
from clue_pipeline.storage.models import User
from verification.accounts.users import authenticate
from verification.cli.demo_serve import DEMO_ACCOUNTS, demo_accounts, finish_demo
from verification.transactions import transaction

ROOT = Path(__file__).resolve().parents[1]


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


def _serve_in(home: Path, **variables: str) -> subprocess.CompletedProcess:
    """`clues serve` with ``home`` as the project home (and ``variables`` set), run there."""
    env = {**os.environ, "CLUES_HOME": str(home), "COLUMNS": "200", **variables}
    for name in ("CLUES_CATALOG", "CLUES_GAZETTEER", "CLUES_WORKFLOW", "CLUES_VAR"):
        if name not in variables:
            env.pop(name, None)
    return run_clues("serve", env=env, cwd=home, timeout=60)


def test_serve_says_a_missing_catalogue_before_it_listens(tmp_path: Path) -> None:
    """The pages read the catalogue: without one, `clues serve` stops at once with one line
    (it used to serve, and every clue page answered 500)."""
    home = tmp_path / "home"
    home.mkdir()
    done = _serve_in(home, CLUES_DATABASE_URL=f"sqlite:///{tmp_path / 'clues.db'}")
    assert done.returncode == 2, done.stdout + done.stderr
    catalogue = home / "config" / "catalog.yaml"
    assert (done.stdout + done.stderr).strip() == (
        f"error: {catalogue}: cannot read the catalogue (No such file or directory); "
        "hint: set CLUES_CATALOG or create config/catalog.yaml"
    )


def test_serve_says_a_broken_workflow_or_gazetteer_before_it_listens(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    workflow = home / "config" / "workflow.yaml"
    workflow.write_text("dispatch: [\n", encoding="utf-8")
    catalogue = {"CLUES_CATALOG": str(ROOT / "config" / "catalog.yaml")}
    database = {"CLUES_DATABASE_URL": f"sqlite:///{tmp_path / 'clues.db'}"}
    done = _serve_in(home, **catalogue, **database)
    assert done.returncode == 2, done.stdout + done.stderr
    said = (done.stdout + done.stderr).strip()
    assert said.startswith(f"error: {workflow}: not valid YAML at line 2"), said
    assert "serving" not in said
    workflow.unlink()
    gazetteer = home / "config" / "gazetteer.yaml"
    gazetteer.write_text("districts: 3\n", encoding="utf-8")
    done = _serve_in(home, **catalogue, **database)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (done.stdout + done.stderr).startswith(f"error: {gazetteer}: "), done.stdout
