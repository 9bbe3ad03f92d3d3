"""`clues import`: posts of another system's export (JSON lines, CSV) stored as a crawl
stores them, on SQLite and PostgreSQL: a second import stores nothing twice, a changed row is
processed again, bad rows are refused by line with the reason and counted, and the import is
a crawl run."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_run import run_clues
from sqlalchemy import Engine, select

from clue_pipeline.errors import ClueError
from clue_pipeline.post_import import import_posts, parse_mapping
from clue_pipeline.storage.db import session_scope
from clue_pipeline.storage.models import CrawlRun, Post

ROOT = Path(__file__).resolve().parents[1]
BOARD = {"external_id": "msg_id", "text": "detail", "published_at": "time", "author": "user"}

ROWS = [
    {
        "msg_id": 101,
        "user": "A0001",
        "title": "小区停水三天",
        "time": "2024/5/1 9:30:00",
        "detail": "玉泉小区停水三天了，无人处理。",
        "reply": "已协调供水公司抢修。",
    },
    {
        "msg_id": 102,
        "user": "A0002",
        "title": "路灯不亮",
        "time": "2024-05-02T21:00:00+08:00",
        "detail": "书院路的路灯一周没亮了。",
    },
    "not json at all",
    ["a", "list"],
    {"msg_id": 103, "user": "A0003", "time": "2024/5/3 8:00", "detail": "   "},
    {"msg_id": 104, "user": "A0004", "time": "last full moon", "detail": "噪音扰民"},
    {"user": "A0005", "time": "2024/5/4 8:00", "detail": "没有编号的留言"},
    {
        "msg_id": 105,
        "user": "A0006",
        "time": "2024/5/5 8:00",
        "detail": "施工噪音",
        "likes": "1.2万",
    },
]


def write_jsonl(path: Path, rows: list) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def posts_of(engine: Engine) -> dict[str, Post]:
    with session_scope(engine) as session:
        posts = session.scalars(select(Post).where(Post.platform == "board")).all()
        session.expunge_all()
    return {p.external_id: p for p in posts}


def test_an_export_is_stored_once_and_its_bad_rows_are_refused_by_line(
    engine: Engine, tmp_path: Path
) -> None:
    file = write_jsonl(tmp_path / "board.jsonl", ROWS)
    report = import_posts(engine, file, "board", mapping=BOARD)
    assert (report.rows, report.new, report.updated, report.unchanged) == (8, 3, 0, 0)
    assert report.refused == 5
    assert report.samples == [
        (3, "not valid JSON: Expecting value"),
        (4, "expected a JSON object per line"),
        (5, "no text (column 'detail'); hint: --map text=COLUMN"),
        (
            6,
            "time 'last full moon' is no time it can read; hint: e.g. 2024-05-01 10:00 or "
            "2024-05-01T10:00:00+08:00",
        ),
        (7, "no external id (column 'msg_id'); hint: --map external_id=COLUMN"),
    ]
    posts = posts_of(engine)
    assert sorted(posts) == ["101", "102", "105"]
    first = posts["101"]
    assert first.title == "小区停水三天"  # title read from its own column
    assert first.text == "玉泉小区停水三天了，无人处理。"
    assert first.author == "A0001"
    assert first.published_at == datetime(2024, 5, 1, 1, 30, tzinfo=UTC)  # 9:30 in Shanghai
    assert first.raw["reply"] == "已协调供水公司抢修。"  # the whole row is kept
    assert first.processed_at is None
    assert posts["105"].likes == 12000
    with session_scope(engine) as session:
        run = session.get(CrawlRun, report.run_id)
        assert (run.platform, run.status, run.stop_reason) == ("board", "partial", "import")
        assert (run.items, run.new_items, run.errors) == (3, 3, 5)
        assert run.error_samples[0]["message"] == (
            "board.jsonl line 3: not valid JSON: Expecting value"
        )

    # again, with one text changed: nothing stored twice, the changed post processed again
    with session_scope(engine) as session:
        for post in session.scalars(select(Post)):
            post.processed_at = datetime(2024, 6, 1, tzinfo=UTC)
    ROWS_AGAIN = [dict(r) for r in ROWS if isinstance(r, dict)]
    ROWS_AGAIN[1]["detail"] = "书院路的路灯两周没亮了。"
    again = import_posts(engine, write_jsonl(file, ROWS_AGAIN), "board", mapping=BOARD)
    assert (again.new, again.updated, again.unchanged, again.refused) == (0, 1, 2, 3)
    posts = posts_of(engine)
    assert len(posts) == 3
    assert posts["102"].text == "书院路的路灯两周没亮了。"
    assert posts["102"].processed_at is None
    assert posts["101"].processed_at is not None


def test_a_csv_export_with_a_bom_and_repeated_ids(engine: Engine, tmp_path: Path) -> None:
    file = tmp_path / "hotline.csv"
    file.write_text(
        "\ufeffid,title,text,published_at,likes,media_urls\n"
        '1,停水,"玉泉小区停水，\n已经两天",2024-05-01 10:00,35,http://a/1.jpg http://a/2.jpg\n'
        "2,路灯,书院路路灯不亮,2024-05-02 21:00,,\n"
        "2,路灯,书院路路灯还是不亮,2024-05-03 21:00,,\n"
        "3,噪音,夜间施工,2024-05-04 23:00,many,\n"
        "4,多了,夜间施工,2024-05-04 23:00,1,,extra\n",
        encoding="utf-8",
    )
    report = import_posts(engine, file, "hotline")
    assert (report.rows, report.new, report.refused, report.repeated) == (5, 2, 2, 1)
    assert report.samples == [
        (6, "likes 'many' is no count"),
        (7, "1 more cell(s) than the header has"),
    ]
    with session_scope(engine) as session:
        posts = {p.external_id: p for p in session.scalars(select(Post))}
        assert posts["1"].text == "玉泉小区停水，\n已经两天"  # a quoted cell across lines
        assert posts["1"].media_urls == ["http://a/1.jpg", "http://a/2.jpg"]
        assert posts["1"].likes == 35
        assert posts["2"].text == "书院路路灯还是不亮"  # the file's last row of an id


def test_unix_times_and_address_objects_read_as_a_crawl_reads_them(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        {
            "id": 7,
            "text": "停水",
            "published_at": 1714530000,
            "media_urls": [{"src": "http://a/1.jpg"}],
        },
        {"id": 8, "text": "断电", "published_at": 1714530000123, "likes": 3.0},
    ]
    report = import_posts(engine, write_jsonl(tmp_path / "api.jsonl", rows), "api")
    assert (report.new, report.refused) == (2, 0)
    with session_scope(engine) as session:
        posts = {p.external_id: p for p in session.scalars(select(Post))}
        assert posts["7"].published_at == datetime(2024, 5, 1, 2, 20, tzinfo=UTC)
        assert posts["8"].published_at == datetime(2024, 5, 1, 2, 20, 0, 123000, tzinfo=UTC)
        assert posts["7"].media_urls == ["http://a/1.jpg"]
        assert posts["8"].likes == 3


def test_wrong_options_are_one_line_each(engine: Engine, tmp_path: Path) -> None:
    file = write_jsonl(tmp_path / "board.jsonl", ROWS[:1])
    array = tmp_path / "export.json"
    array.write_text('[\n  {"id": 1, "text": "停水"}\n]\n', encoding="utf-8")
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("msg_id,detail\n1,停水\n", encoding="utf-8")
    cases = [
        (
            lambda: parse_mapping(["text"]),
            "--map 'text': expected FIELD=COLUMN; hint: e.g. --map text=detail",
        ),
        (
            lambda: parse_mapping(["body=detail"]),
            "--map 'body=detail': 'body' is no post field; expected one of external_id, url, "
            "title, text, author, published_at, likes, comments, reposts, location_text, "
            "media_urls",
        ),
        (
            lambda: import_posts(engine, file, "Board"),
            "platform 'Board': expected lower-case letters, digits and _ (a letter first, at "
            "most 64); hint: e.g. --platform hotline_2024",
        ),
        (
            lambda: import_posts(engine, tmp_path / "board.xlsx", "board"),
            f"{tmp_path / 'board.xlsx'}: cannot tell the format from the suffix '.xlsx'; "
            "hint: give --format jsonl or --format csv",
        ),
        (
            lambda: import_posts(engine, tmp_path / "gone.jsonl", "board"),
            f"{tmp_path / 'gone.jsonl'}: cannot read (No such file or directory)",
        ),
        (
            lambda: import_posts(engine, array, "board"),
            f"{array}: a JSON array, not JSON lines (one object per line); hint: "
            "jq -c '.[]' export.json > export.jsonl",
        ),
        (
            lambda: import_posts(engine, file, "board\n"),
            "platform 'board\\n': expected lower-case letters, digits and _ (a letter first, at "
            "most 64); hint: e.g. --platform hotline_2024",
        ),
        (
            lambda: import_posts(engine, file, "board", timezone="Mars/Base"),
            "--timezone 'Mars/Base': no such time zone; hint: e.g. Asia/Shanghai",
        ),
        (
            lambda: import_posts(engine, csv_file, "board"),
            f"{csv_file}: no column 'external_id' or 'id' for the post's external_id (the "
            "header has 'msg_id', 'detail'); hint: --map external_id=COLUMN",
        ),
    ]
    for call, said in cases:
        with pytest.raises(ClueError) as raised:
            call()
        assert str(raised.value) == said
    with session_scope(engine) as session:  # nothing stored, no run started
        assert session.scalars(select(Post)).first() is None
        assert session.scalars(select(CrawlRun)).first() is None


def _clues(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_clues(*args, env=env, timeout=240)


def test_clues_import_then_process(sqlite_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CLUES_DATABASE_URL": sqlite_url,
        "CLUES_PROCESSING": str(ROOT / "config" / "processing.demo.yaml"),
        "COLUMNS": "200",
        "HF_HUB_OFFLINE": "1",
    }
    file = write_jsonl(tmp_path / "board.jsonl", ROWS)
    mapping = [w for name, column in BOARD.items() for w in ("--map", f"{name}={column}")]
    done = _clues("import", str(file), "--platform", "board", *mapping, env=env)
    assert done.returncode == 1, done.stdout + done.stderr  # rows were refused
    lines = done.stdout.strip().splitlines()
    assert lines[0] == (
        f"imported {file}: 8 row(s) as posts of board: 3 new, 0 updated, 0 unchanged, "
        "5 refused (crawl run 1)"
    )
    assert lines[1] == "  line 3: not valid JSON: Expecting value"
    assert lines[-1] == "next: clues process (the new and changed posts wait for it)"
    wrong = _clues("import", str(file), "--platform", "board", "--timezone", "Mars/Base", env=env)
    assert wrong.returncode == 2
    assert (
        wrong.stderr.strip()
        == "error: --timezone 'Mars/Base': no such time zone; hint: e.g. Asia/Shanghai"
    )
    processed = _clues("process", env=env)
    assert processed.returncode == 0, processed.stdout + processed.stderr
    assert "processed 3 posts" in processed.stdout
    again = _clues("import", str(file), "--platform", "board", *mapping, env=env)
    assert "0 new, 0 updated, 3 unchanged, 5 refused (crawl run 2)" in again.stdout
    assert "next: clues process" not in again.stdout
