"""The workflow from the command line, as analysts use it: actions print the
new state, listings have --json, mistakes are one red line with exit code 2
(pinned here), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from workflow_data import make_clue

from clue_pipeline.storage.db import make_engine
from verification.transactions import transaction

CLUES = Path(sys.executable).with_name("clues")


@dataclass
class Done:
    code: int
    out: str
    err: str


@pytest.fixture
def clues(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Run ``clues ...`` in this process (fast), as the console script does."""
    from clue_pipeline.cli import main

    monkeypatch.setenv("CLUES_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("USER", "tester")
    monkeypatch.setenv("LOGNAME", "tester")

    def run(*args: str) -> Done:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["clues", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Done(code, captured.out, captured.err)

    return run


@pytest.fixture
def seeded(sqlite_url: str) -> list[int]:
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        ids = [
            make_clue(session, ("红星路路灯坏了一个月",), priority=5).id,
            make_clue(session, ("东湖路井盖丢了，很危险",), urgent=True, priority=1).id,
            make_clue(session, ("楼下超市鸡蛋打折",), category=None, priority=3).id,
        ]
    engine.dispose()
    return ids


def _error(done: Done) -> str:
    assert done.code == 2, (done.code, done.out, done.err)
    assert "Traceback" not in done.err
    lines = done.err.strip().splitlines()
    assert len(lines) == 1, done.err
    return lines[0]


def test_an_analyst_works_a_clue_to_a_closed_order(clues, seeded) -> None:  # noqa: ANN001
    lamp, manhole, _eggs = seeded
    queue = json.loads(clues("queue", "list", "--json").out)
    assert [r["id"] for r in queue] == [manhole, lamp, _eggs]  # urgent first, then priority
    assert {"claimed_by", "order_id", "suggested", "posts"} <= set(queue[0])

    done = clues("clue", "claim", "--next", "--by", "alice")
    assert done.code == 0
    assert done.out.startswith(f"clue {manhole}: claimed (claimed by alice until ")
    assert clues("clue", "verify", str(manhole), "--by", "alice").out.strip() == (
        f"clue {manhole}: verified (claimed by alice until "
        + done.out.split("until ")[1].split(")")[0]
        + ")"
    )
    filed = clues("clue", "file", str(manhole), "--by", "alice").out
    assert filed.startswith(f"clue {manhole}: filed as order 1 (CX-02-04 城市公共设施 → ")
    assert "urgent); dispatch due" in filed

    assert clues("orders", "dispatch", "1", "--by", "alice").out.startswith(
        "order 1: dispatched, 城市管理和综合执法局; handling due"
    )
    assert clues("orders", "progress", "1", "--note", "已派人", "--by", "城管").code == 0
    assert clues("orders", "note", "1", "--text", "请今天内处理", "--by", "督办").code == 0
    assert clues("orders", "resolve", "1", "--note", "已补装", "--by", "城管").code == 0
    closed = clues("orders", "close", "1", "--unsatisfied", "--note", "还有异味", "--by", "alice")
    assert closed.out.strip() == (
        "order 1: closed, 城市管理和综合执法局; resident not satisfied: "
        "reopen with clues orders reopen 1"
    )
    view = json.loads(clues("orders", "show", "1", "--json").out)
    assert view["state"] == "closed" and view["satisfied"] is False
    assert [n["kind"] for n in view["notes"]] == ["progress", "supervision"]
    assert [e["action"] for e in view["history"]] == [
        "create",
        "dispatch",
        "progress",
        "note",
        "resolve",
        "close",
    ]
    listing = json.loads(clues("orders", "list", "--state", "closed", "--json").out)
    assert [o["id"] for o in listing] == [1]
    shown = json.loads(clues("clue", "show", str(manhole), "--json").out)
    assert shown["state"] == "filed" and shown["order_id"] == 1
    text = clues("clue", "show", str(manhole)).out
    assert "order: 1 (clues orders show 1)" in text and "东湖路井盖丢了" in text


def test_mistakes_are_one_line_and_exit_code_2(clues, seeded) -> None:  # noqa: ANN001
    lamp, _manhole, eggs = seeded
    assert clues("clue", "claim", str(lamp), "--by", "alice").code == 0
    line = _error(clues("clue", "claim", str(lamp), "--by", "bob"))
    assert line.startswith(f"error: clue {lamp} is claimed by alice until 20")
    assert line.endswith("; hint: wait for the lease to end or ask alice to release it")
    assert _error(clues("clue", "verify", "999", "--by", "alice")) == (
        "error: clue 999 does not exist"
    )
    assert _error(clues("clue", "file", str(eggs), "--by", "alice")) == (
        f"error: cannot file clue {eggs}: it is pending; "
        f"hint: claim and verify it first: clues clue claim {eggs}"
    )
    assert _error(clues("clue", "reject", str(lamp), "--reason", "meh", "--by", "alice")) == (
        "error: unknown reject reason 'meh'; expected one of: not_public_service, duplicate, "
        "cannot_verify, already_handled, other"
    )
    assert _error(clues("queue", "list", "--state", "bogus")) == (
        "error: unknown clue state 'bogus'; expected one of: pending, claimed, verified, "
        "rejected, filed, all"
    )
    assert _error(clues("orders", "show", "7")) == "error: order 7 does not exist"
    assert _error(clues("orders", "list", "--state", "done")) == (
        "error: unknown order state 'done'; expected one of: filed, dispatched, in_progress, "
        "resolved, closed, reopened"
    )
    assert _error(clues("clue", "edit", str(lamp), "--item", "XX-1", "--by", "alice")) == (
        "error: unknown catalogue item 'XX-1'; hint: item codes look like CX-03-02, "
        "see config/catalog.yaml"
    )


def test_by_defaults_to_the_login_name_and_the_queue_can_run_dry(clues, seeded) -> None:  # noqa: ANN001
    for _ in seeded:
        assert "claimed by tester" in clues("clue", "claim", "--next").out
    done = clues("clue", "claim", "--next")
    assert done.code == 1
    assert done.err.strip() == "the queue is empty: no clue waits for an analyst"
    rows = json.loads(clues("queue", "list", "--state", "claimed", "--json").out)
    assert {r["claimed_by"] for r in rows} == {"tester"}


def test_corrections_merge_split_from_the_command_line(clues, seeded) -> None:  # noqa: ANN001
    lamp, manhole, eggs = seeded
    edited = clues(
        "clue", "edit", str(eggs), "--category", "城乡建设", "--district", "东湖区", "--urgent"
    ).out
    assert edited.strip().endswith("urgent; 东湖区")
    elsewhere = clues("clue", "edit", str(eggs), "--region", "K6县 K市").out
    assert elsewhere.strip().endswith("urgent; 东湖区 (elsewhere: K市/K6县)")
    refused = clues("clue", "edit", str(eggs), "--region", "红星路")
    assert refused.code != 0 and "region '红星路' is not one city and one county" in refused.err
    merged = clues("clue", "merge", str(lamp), "--into", str(manhole)).out
    assert merged.strip() == (
        f"clue {lamp}: merged into clue {manhole}; clue {manhole}: pending, 2 posts"
    )
    view = json.loads(clues("clue", "show", str(manhole), "--json").out)
    moved = view["posts"][-1]["post_id"]
    split = clues("clue", "split", str(manhole), str(moved)).out
    assert split.strip().startswith(f"clue {manhole}: pending; posts {moved} moved to new clue ")
    assert [r["id"] for r in json.loads(clues("queue", "list", "--json").out)].count(lamp) == 0


def test_supervise_review_stats_and_exports(clues, seeded, tmp_path: Path) -> None:  # noqa: ANN001
    lamp = seeded[0]
    for step in (("claim", str(lamp)), ("verify", str(lamp)), ("file", str(lamp))):
        assert clues("clue", *step, "--by", "alice").code == 0
    report = json.loads(clues("supervise", "--json").out)
    assert report["orders_checked"] == 1 and report["changes"] == 0
    assert "open orders checked" in clues("supervise").out
    stats = json.loads(clues("stats", "--json").out)
    assert (stats["clues_found"], stats["orders_filed"], stats["clues_verified"]) == (3, 1, 1)
    assert stats["verified_rate"] == {"part": 1, "whole": 1, "rate": 1.0}
    assert "first-dispatch success" in clues("stats").out
    review = json.loads(clues("review", "weekly", "--json").out)
    assert review["classes"][0]["item_code"] == "CX-02-04"
    out = tmp_path / "exports" / "open311.json"
    done = clues("orders", "export", "--format", "open311", "--out", str(out))
    assert done.err.strip() == f"wrote 1 orders (open311) to {out}"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["requests"][0]["service_code"] == "CX-02-04"
    csv_text = clues("orders", "export", "--format", "csv").out
    assert csv_text.splitlines()[0].startswith("order_id,clue_id,state,status,")
    assert len(csv_text.splitlines()) == 2


def test_an_old_schema_asks_for_an_upgrade_from_the_console_script(tmp_path: Path) -> None:
    from clue_pipeline.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    done = subprocess.run(
        [str(CLUES), "queue", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "CLUES_DATABASE_URL": url, "NO_COLOR": "1", "COLUMNS": "250"},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: the database schema is at revision 0002, this version needs 0007; "
        "hint: run `clues db upgrade`"
    )
