"""``clues platforms validate|list`` run as the operator runs them: a real
subprocess of the installed console script, against a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from clue_pipeline.storage.crawl_runs import RunTotals, finish_run, start_run
from clue_pipeline.storage.db import make_engine, session_scope
from clue_pipeline.storage.types import utcnow

ROOT = Path(__file__).resolve().parents[1]
CLUES = Path(sys.executable).with_name("clues")
BAD = ROOT / "tests" / "data" / "bad_platforms"

PLATFORMS = """\
platforms:
  - name: fresh
    kind: feed
    url: https://fresh.example.org/rss.xml
  - name: stale
    kind: json
    url: https://api.example.org/feed?page={page}
    items: data.items
    fields: {external_id: id, text: desc}
  - name: broken
    kind: html
    render: true
    start_urls: [https://broken.example.org/list]
    list: {item: li}
    fields: {text: p}
  - name: newcomer
    kind: feed
    url: https://new.example.org/rss.xml
  - name: parked
    kind: feed
    enabled: false
    url: https://parked.example.org/rss.xml
"""


def clues(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert CLUES.exists(), f"console script {CLUES} missing: pip install -e ."
    return subprocess.run(
        [str(CLUES), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1", **env},
        timeout=120,
        cwd=env.get("CLUES_HOME", ROOT),
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "var").mkdir()
    return {
        "CLUES_HOME": str(tmp_path),
        "CLUES_VAR": str(tmp_path / "var"),
        "CLUES_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'clues.db'}",
    }


@pytest.fixture
def platforms_file(tmp_path: Path) -> Path:
    path = tmp_path / "platforms.yaml"
    path.write_text(PLATFORMS, encoding="utf-8")
    return path


def test_validate_ok(platforms_file: Path, env: dict[str, str]) -> None:
    result = clues("platforms", "validate", str(platforms_file), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{platforms_file}: 5 platforms OK (html: 1, json: 1, feed: 3; 1 disabled)"
    )


def test_validate_shipped_config_by_default(env: dict[str, str]) -> None:
    result = clues("platforms", "validate", env={**env, "CLUES_HOME": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{ROOT / 'config' / 'platforms.yaml'}: 4 platforms OK "
        "(html: 2, json: 1, feed: 1; 4 disabled)"
    )


@pytest.mark.parametrize(
    "name", ["unknown_key_start_url.yaml", "yaml_syntax.yaml", "empty.yaml", "missing.yaml"]
)
def test_validate_bad_file_is_one_line_and_exit_2(name: str, env: dict[str, str]) -> None:
    path = BAD / name
    result = clues("platforms", "validate", str(path), env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {path}")
    if name == "unknown_key_start_url.yaml":
        assert lines[0].endswith("hint: did you mean 'start_urls'?")


def test_list_without_database_says_never_ran(platforms_file: Path, env: dict[str, str]) -> None:
    result = clues("platforms", "list", "--config", str(platforms_file), env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for name in ("fresh", "stale", "broken", "newcomer", "parked"):
        assert name in result.stdout
    assert result.stdout.count("silent: never ran") == 4  # parked is disabled
    assert "run `clues db upgrade`" in result.stdout
    assert not Path(env["CLUES_VAR"], "clues.db").exists()


def seed_runs(url: str) -> None:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            run = start_run(session, "fresh")
            finish_run(session, run.id, RunTotals(pages=3, items=40, new_items=12), [])
            old = start_run(session, "stale")
            finish_run(session, old.id, RunTotals(pages=1, items=5, new_items=5), [])
            old.started_at = utcnow() - timedelta(days=4)
            old.finished_at = old.started_at + timedelta(minutes=2)
            good = start_run(session, "broken")
            finish_run(session, good.id, RunTotals(pages=2, items=9, new_items=9), [])
            bad = start_run(session, "broken")
            finish_run(
                session,
                bad.id,
                RunTotals(errors=2),
                [{"kind": "http", "url": "https://broken.example.org/list", "message": "503"}],
            )
    finally:
        engine.dispose()


def test_list_json_with_runs(platforms_file: Path, env: dict[str, str], tmp_path: Path) -> None:
    from clue_pipeline.storage.migrate import upgrade

    upgrade(env["CLUES_DATABASE_URL"])
    seed_runs(env["CLUES_DATABASE_URL"])
    result = clues("platforms", "list", "--json", "--config", str(platforms_file), env=env)
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["fresh", "stale", "broken", "newcomer", "parked"]
    assert set(rows["fresh"]) == {
        "name",
        "kind",
        "enabled",
        "render",
        "start_url",
        "last_run_id",
        "last_run_started_at",
        "last_run_finished_at",
        "last_run_status",
        "last_run_pages",
        "last_run_items",
        "last_run_new",
        "last_run_errors",
        "last_success_at",
        "silent",
        "silent_reason",
    }
    fresh = rows["fresh"]
    assert (fresh["last_run_status"], fresh["last_run_items"], fresh["last_run_new"]) == (
        "ok",
        40,
        12,
    )
    assert fresh["silent"] is False and fresh["last_success_at"] is not None
    assert rows["stale"]["silent_reason"] == "no successful run in 48 h"
    assert rows["broken"]["last_run_status"] == "failed"
    assert rows["broken"]["last_run_errors"] == 2
    assert rows["broken"]["silent_reason"] == "last run failed"
    assert rows["broken"]["last_success_at"] is not None
    assert rows["broken"]["render"] is True
    assert rows["broken"]["start_url"] == "https://broken.example.org/list"
    assert rows["newcomer"]["silent_reason"] == "never ran"
    assert rows["parked"]["enabled"] is False and rows["parked"]["silent"] is False

    table = clues("platforms", "list", "--config", str(platforms_file), env=env)
    assert table.returncode == 0, table.stderr
    assert "3 silent: stale, broken, newcomer" in table.stdout
    assert "silent: last run failed" in table.stdout


def test_list_names_the_runs_of_platforms_outside_the_file(
    platforms_file: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """An import (or a platform since removed from the file) has runs too: the table lists
    the file's platforms, and a line each names the others' last run."""
    from clue_pipeline.post_import import import_posts
    from clue_pipeline.storage.migrate import upgrade

    upgrade(env["CLUES_DATABASE_URL"])
    seed_runs(env["CLUES_DATABASE_URL"])
    export = tmp_path / "board.jsonl"
    export.write_text(
        '{"id": 1, "text": "小区停水"}\n{"id": 2, "text": "路灯不亮"}\n', encoding="utf-8"
    )
    engine = make_engine(env["CLUES_DATABASE_URL"])
    try:
        import_posts(engine, export, "board")
    finally:
        engine.dispose()
    table = clues("platforms", "list", "--config", str(platforms_file), env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    heading = lines.index(
        f"runs of platforms not in {platforms_file} (imports, or platforms since removed):"
    )
    board = lines[heading + 1]
    assert board.startswith("  board: last run ") and "min ago)" in board, board
    assert board.endswith(", ok, 2 items, 2 new, 0 errors (import)"), board
    listed = clues("platforms", "list", "--json", "--config", str(platforms_file), env=env)
    assert "board" not in [row["name"] for row in json.loads(listed.stdout)]


def test_list_with_unmigrated_database(platforms_file: Path, env: dict[str, str]) -> None:
    engine = make_engine(env["CLUES_DATABASE_URL"])
    with engine.connect():
        pass  # creates an empty SQLite file
    engine.dispose()
    result = clues("platforms", "list", "--json", "--config", str(platforms_file), env=env)
    assert result.returncode == 0, result.stderr
    assert all(row["last_run_id"] is None for row in json.loads(result.stdout))
    assert "is not migrated: run `clues db upgrade`" in result.stderr


def test_list_with_bad_config_is_one_line(env: dict[str, str]) -> None:
    path = BAD / "unknown_kind.yaml"
    result = clues("platforms", "list", "--config", str(path), env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {path}:3: platform 'city_forum' field 'kind': unknown kind 'htm'; "
        "expected one of html, json, feed; hint: did you mean 'html'?"
    )


def test_error_text_is_not_read_as_markup(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "platforms.yaml"
    path.write_text(
        "platforms:\n  - name: a\n    kind: feed\n    url: https://a.example.org/rss\n"
        '    max_pages: "[@bold]x"\n',
        encoding="utf-8",
    )
    result = clues("platforms", "validate", str(path), env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {path}:5: platform 'a' field 'max_pages': wrong type: got the text "
        "'[@bold]x'; expected a whole number; hint: write a whole number without quotes or units"
    )
