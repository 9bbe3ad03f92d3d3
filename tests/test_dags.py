"""The Airflow DAGs of ``dags/``, loaded and run by Airflow itself.

Every DAG file loads into a DagBag (the class Airflow's DAG processor uses)
with the expected tasks, schedules, pools and retries; importing a DAG file
in a fresh interpreter loads nothing heavy. The nightly DAG runs end to end
with ``dag.test()`` against the demo platforms served on 127.0.0.1: the Airflow
metadata database is SQLite in a temporary AIRFLOW_HOME shared by the module,
the clue database is SQLite (through CLUES_DATABASE_URL) in one run and the
real PostgreSQL (through the Airflow connection ``clues_db``) in the other.
The supervision DAG runs twice (escalation, then nothing to do) and the weekly
review DAG lists the overdue order, both on a SQLite clue database."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from clue_pipeline.demo.corpus import load_corpus
from clue_pipeline.demo.server import DemoServer

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
HEAVY = ("torch", "faiss", "scrapy", "sentence_transformers", "twisted.internet.reactor")
NIGHT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 02:00 in Asia/Shanghai


def airflow_env(home: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "CLUES_HOME": str(ROOT),
    }


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A migrated Airflow metadata database (SQLite) with the pools of
    config/orchestration.yaml imported the way the README says."""
    home = tmp_path_factory.mktemp("airflow")
    env = airflow_env(home)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        full = {**os.environ, **env}
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"],
            capture_output=True,
            text=True,
            env=full,
            timeout=240,
        )
        assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
        pools = subprocess.run(
            [str(BIN / "clues"), "orchestration", "pools"], capture_output=True, text=True, env=full
        )
        assert pools.returncode == 0, pools.stderr
        (home / "pools.json").write_text(pools.stdout, encoding="utf-8")
        imported = subprocess.run(
            [str(BIN / "airflow"), "pools", "import", str(home / "pools.json")],
            capture_output=True,
            text=True,
            env=full,
            timeout=240,
        )
        assert imported.returncode == 0, imported.stdout[-2000:] + imported.stderr[-2000:]
        yield home


def load_dagbag() -> Any:
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")


# ------------------------------------------------------------------ loading


def test_every_dag_file_loads_with_its_tasks_schedule_and_pools(airflow_home: Path) -> None:
    from airflow.models.pool import Pool
    from airflow.sdk import TriggerRule
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    bag = load_dagbag()
    assert bag.import_errors == {}
    dag_files = {Path(dag.fileloc).name for dag in bag.dags.values()}
    assert dag_files == {p.name for p in DAGS.glob("*.py")} - {"clues_common.py"}
    assert set(bag.dags) == {"clue_nightly", "clue_supervision", "clue_weekly_review"}

    nightly = bag.dags["clue_nightly"]
    assert set(nightly.task_ids) == {
        "platforms",
        "browser_platforms",
        "crawl",
        "crawl_browser",
        "process",
        "summary",
    }
    schedules = {
        dag_id: (dag.timetable.expression, str(dag.timetable.timezone))
        for dag_id, dag in bag.dags.items()
    }
    assert schedules == {
        "clue_nightly": ("0 2 * * *", "Asia/Shanghai"),
        "clue_supervision": ("0 * * * *", "Asia/Shanghai"),
        "clue_weekly_review": ("0 7 * * 1", "Asia/Shanghai"),
    }
    assert nightly.max_active_runs == 1 and not nightly.catchup

    crawl, browser = nightly.get_task("crawl"), nightly.get_task("crawl_browser")
    assert isinstance(crawl, MappedOperator) and isinstance(browser, MappedOperator)
    assert (crawl.pool, crawl.pool_slots) == ("clue_crawl", 1)
    assert (browser.pool, browser.pool_slots, browser.max_active_tis_per_dagrun) == (
        "clue_crawl",
        2,
        1,
    )
    assert crawl.retries == 2 and crawl.retry_exponential_backoff
    assert crawl.retry_delay.total_seconds() == 300
    assert crawl.upstream_task_ids == {"platforms"}
    assert browser.upstream_task_ids == {"browser_platforms"}
    process = nightly.get_task("process")
    assert process.trigger_rule == TriggerRule.ALL_DONE
    assert process.upstream_task_ids == {"crawl", "crawl_browser"}
    assert process.pool == "clue_process"
    summary = nightly.get_task("summary")
    assert summary.trigger_rule == TriggerRule.ALL_DONE and summary.retries == 0
    assert summary.upstream_task_ids == {"process"}

    assert bag.dags["clue_supervision"].task_ids == ["supervise"]
    assert sorted(bag.dags["clue_weekly_review"].task_ids) == ["class_case_report", "review_list"]

    # the pools the tasks run in exist (a task in a missing pool never runs)
    used = {t.pool for dag in bag.dags.values() for t in dag.tasks}
    assert used == {"clue_crawl", "clue_process", "default_pool"}
    assert Pool.get_pool("clue_crawl").slots == 4
    assert Pool.get_pool("clue_process").slots == 1


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS.glob("clue_*.py")))
def test_importing_a_dag_file_loads_nothing_heavy(airflow_home: Path, dag_file: str) -> None:
    probe = (
        "import importlib.util, json, sys\n"
        f"sys.path.insert(0, {str(DAGS)!r})\n"
        f"spec = importlib.util.spec_from_file_location('probe', {str(DAGS / dag_file)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, **airflow_env(airflow_home)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_wrong_orchestration_file_is_one_import_error_line(
    airflow_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "orchestration.yaml"
    bad.write_text("nightly:\n  schedule: '0 2 * *'\n", encoding="utf-8")
    monkeypatch.setenv("CLUES_ORCHESTRATION", str(bad))
    bag = load_dagbag()
    assert set(bag.import_errors) == {
        "clue_nightly.py",
        "clue_supervision.py",
        "clue_weekly_review.py",
    }
    message = (
        f"clue_pipeline.errors.ConfigError: {bad}: field 'nightly.schedule': '0 2 * *' is not "
        "a cron expression; expected five fields (minute hour day month weekday) such as "
        "'0 2 * * *', one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, "
        "@annually, or null for manual runs only; hint: see the comments in "
        "config/orchestration.yaml"
    )
    for error in bag.import_errors.values():
        assert error.strip().splitlines()[-1] == message  # the line Airflow's UI ends with


@pytest.mark.parametrize(
    ("uri", "extra", "expected"),
    [
        (
            "postgresql://clues:s%40cret@db.internal:5433/clues",
            None,
            "postgresql+psycopg://clues:s%40cret@db.internal:5433/clues",
        ),
        (
            "postgres://postgres@127.0.0.1/clues",
            None,
            "postgresql+psycopg://postgres@127.0.0.1/clues",
        ),
        ("sqlite:////srv/clues/clues.db", None, "sqlite:////srv/clues/clues.db"),
        ("generic://", {"sqlalchemy_url": "sqlite:////tmp/x.db"}, "sqlite:////tmp/x.db"),
    ],
)
def test_the_database_connection_becomes_a_sqlalchemy_url(
    airflow_home: Path, uri: str, extra: dict[str, str] | None, expected: str
) -> None:
    sys.path.insert(0, str(DAGS))
    try:
        import clues_common
    finally:
        sys.path.remove(str(DAGS))
    from airflow.sdk import Connection

    conn = Connection(conn_id="clues_db", uri=uri)
    assert (
        clues_common.url_from_connection(
            "clues_db",
            conn.conn_type,
            host=conn.host,
            login=conn.login,
            password=conn.password,
            port=conn.port,
            schema=conn.schema,
            extra=extra or conn.extra_dejson,
        )
        == expected
    )


def test_a_connection_that_names_no_database_is_refused(airflow_home: Path) -> None:
    sys.path.insert(0, str(DAGS))
    try:
        import clues_common
    finally:
        sys.path.remove(str(DAGS))
    from clue_pipeline.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        clues_common.url_from_connection("clues_db", "http", host="example.org")
    assert str(caught.value) == (
        "Airflow connection 'clues_db': conn_type 'http' does not name a clue database; "
        "expected a postgres connection (host, login, password, port, schema), a sqlite one "
        "(host: the file), or an extra field sqlalchemy_url; hint: airflow connections add "
        "clues_db --conn-uri postgresql://USER:PASSWORD@HOST/DB"
    )


# ------------------------------------------------------------------ running


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/board/list?page=1"


def demo_platforms(tmp_path: Path, *, broken: str | None = None, browser: bool = True) -> Path:
    """config/platforms.demo.yaml, with ``broken`` pointed at a closed port and
    the browser platform left out when ``browser`` is false."""
    data = yaml.safe_load((ROOT / "config" / "platforms.demo.yaml").read_text(encoding="utf-8"))
    for platform in data["platforms"]:
        if platform["name"] == broken:
            platform["start_urls"] = [dead_url()]
        if platform.get("render") and not browser:
            platform["enabled"] = False
    path = tmp_path / "platforms.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def task_states(run: Any) -> dict[tuple[str, str], tuple[str, int]]:
    """(task id, rendered map index or '') -> (state, try number)."""
    from airflow.utils.session import create_session

    with create_session() as session:
        return {
            (ti.task_id, ti.rendered_map_index or ""): (str(ti.state), ti.try_number)
            for ti in run.get_task_instances(session=session)
        }


def xcom(run: Any, task_id: str, key: str = "return_value") -> list[Any]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
            )
        ).all()
        return [XComModel.deserialize_value(row) for row in rows]


def queue(database_url: str) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The clue queue (``clues queue list``) and the posts stored per platform."""
    from sqlalchemy import func, select

    from clue_pipeline.cli.process_commands import clue_summaries
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import Post

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            clues = clue_summaries(session)
            posts = Counter(
                dict(
                    session.execute(
                        select(Post.platform, func.count()).group_by(Post.platform)
                    ).all()
                )
            )
    finally:
        engine.dispose()
    return clues, posts


def crawl_runs(database_url: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import CrawlRun

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return [
                (run.platform, run.status)
                for run in session.scalars(select(CrawlRun).order_by(CrawlRun.id))
            ]
    finally:
        engine.dispose()


def test_nightly_run_fills_the_queue_and_a_rerun_of_the_night_duplicates_nothing(
    airflow_home: Path, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = CHROMIUM.exists()  # without Chromium the microblog cannot be read
    monkeypatch.setenv("CLUES_PLATFORMS", str(demo_platforms(tmp_path, browser=browser)))
    # the demo's own processing (too few posts to train the sentence model)
    monkeypatch.setenv("CLUES_PROCESSING", str(ROOT / "config" / "processing.demo.yaml"))
    monkeypatch.setenv("CLUES_DATABASE_URL", sqlite_url)
    corpus = load_corpus()
    expected = Counter(p.platform for p in corpus if browser or p.platform != "microblog")

    with DemoServer(corpus) as server:
        monkeypatch.setenv("DEMO_BASE_URL", server.base_url)
        dag = load_dagbag().dags["clue_nightly"]
        run = dag.test(logical_date=NIGHT)
        states = task_states(run)
        assert str(run.state) == "success", states
        clues, posts = queue(sqlite_url)
        first_summary = xcom(run, "summary")

        rerun = dag.test(logical_date=NIGHT)  # the same night again
        rerun_states = task_states(rerun)
        assert str(rerun.state) == "success", rerun_states
        clues_again, posts_again = queue(sqlite_url)
        second_summary = xcom(rerun, "summary")

    crawls = {(task, index) for task, index in states if task.startswith("crawl")}
    assert crawls == {("crawl", name) for name in expected if name != "microblog"} | (
        {("crawl_browser", "microblog")} if browser else set()
    )
    if not browser:
        assert states[("crawl_browser", "")][0] == "skipped"  # mapped over no platform
    assert all(
        state == "success"
        for (task, _), (state, _) in states.items()
        if task != "crawl_browser" or browser
    )

    # every demo post is stored and processed into the queue
    assert posts == expected
    assert clues, "the queue is empty"
    platforms_in_queue = {p["platform"] for clue in clues for p in clue["posts"]}
    assert platforms_in_queue == set(expected)
    assert any(clue["urgent"] for clue in clues)

    # the summary's figures are the database's
    [summary] = first_summary
    by_platform = {line["platform"]: line for line in summary["platforms"]}
    assert {name: line["items"] for name, line in by_platform.items()} == dict(expected)
    assert {name: line["new"] for name, line in by_platform.items()} == dict(expected)
    assert all(line["status"] == "ok" and line["errors"] == 0 for line in by_platform.values())
    assert summary["posts_processed"] == sum(expected.values())
    assert summary["clues_new"] == len(clues)
    assert summary["clues_merged"] > 0
    assert summary["urgent_clues"] == sum(clue["urgent"] for clue in clues)
    assert summary["failed"] == []

    # the re-run crawled again (a second crawl_runs row per platform, each
    # closed) and duplicated nothing: no post, no clue, no figure twice
    assert posts_again == posts
    assert [c["id"] for c in clues_again] == [c["id"] for c in clues]
    assert [c["post_count"] for c in clues_again] == [c["post_count"] for c in clues]
    runs = Counter(crawl_runs(sqlite_url))
    assert runs == Counter({(name, "ok"): 2 for name in expected})
    [again] = second_summary
    # (incremental: the list pages show nothing new, so few posts are re-read)
    assert {line["platform"]: (line["status"], line["new"]) for line in again["platforms"]} == {
        name: ("ok", 0) for name in expected
    }
    assert (again["posts_processed"], again["clues_new"], again["clues_merged"]) == (0, 0, 0)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as connection:
        [(duplicates,)] = connection.execute(
            "SELECT count(*) FROM (SELECT platform, external_id FROM posts "
            "GROUP BY platform, external_id HAVING count(*) > 1)"
        ).fetchall()
    assert duplicates == 0


@pytest.mark.postgres
def test_a_failing_platform_is_retried_recorded_and_the_others_fill_the_queue(
    airflow_home: Path, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clue database comes from the Airflow connection, not CLUES_DATABASE_URL.
    monkeypatch.delenv("CLUES_DATABASE_URL", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_CLUES_DB", postgres_url.replace("postgresql+psycopg://", "postgresql://")
    )
    orchestration = tmp_path / "orchestration.yaml"
    orchestration.write_text(
        "nightly:\n  retries: 1\n  retry_delay_seconds: 1\n  max_retry_delay_seconds: 2\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CLUES_ORCHESTRATION", str(orchestration))
    monkeypatch.setenv(
        "CLUES_PLATFORMS", str(demo_platforms(tmp_path, broken="gov_board", browser=False))
    )
    monkeypatch.setenv("CLUES_PROCESSING", str(ROOT / "config" / "processing.demo.yaml"))
    corpus = load_corpus()
    healthy = Counter(p.platform for p in corpus if p.platform not in ("gov_board", "microblog"))

    with DemoServer(corpus) as server:
        monkeypatch.setenv("DEMO_BASE_URL", server.base_url)
        dag = load_dagbag().dags["clue_nightly"]
        assert dag.get_task("crawl").retries == 1
        run = dag.test(logical_date=NIGHT)
        states = task_states(run)

    # the run is marked failed (by its summary, after the log), and only gov_board failed
    assert str(run.state) == "failed", states
    assert states[("crawl", "gov_board")] == ("failed", 2)  # tried, retried, failed
    for name in healthy:
        assert states[("crawl", name)] == ("success", 1), name
    assert states[("crawl_browser", "")][0] == "skipped"  # no browser platform enabled
    assert states[("process", "")][0] == "success"
    assert states[("summary", "")][0] == "failed"

    # the failure is recorded: a failed crawl_runs row per try, with the reason
    runs = crawl_runs(postgres_url)
    assert [status for name, status in runs if name == "gov_board"] == ["failed", "failed"]
    assert {(name, status) for name, status in runs if name != "gov_board"} == {
        (name, "ok") for name in healthy
    }
    [result] = [r for r in xcom(run, "crawl", "crawl_result") if r["platform"] == "gov_board"]
    assert result["status"] == "failed"
    assert result["error_samples"][0]["kind"] == "connection"

    # ... and the others filled the queue
    clues, posts = queue(postgres_url)
    assert posts == healthy
    assert clues
    assert {p["platform"] for clue in clues for p in clue["posts"]} == set(healthy)


def _overdue_order(database_url: str) -> int:
    """An urgent clue filed as an order days ago and never dispatched."""
    from workflow_data import T0, make_clue

    from clue_pipeline.storage.db import make_engine
    from verification import claims, decisions, filing
    from verification.transactions import transaction

    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            clue = make_clue(session, ("红星路路灯杆漏电冒火花",), urgent=True, at=T0)
            claims.claim(session, clue.id, by="alice", now=T0)
            decisions.verify(session, clue.id, by="alice", now=T0)
            return filing.file_clue(session, clue.id, by="alice", now=T0).id
    finally:
        engine.dispose()


def test_supervision_and_weekly_review_run_on_the_clue_database(
    airflow_home: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.models import WorkOrder

    monkeypatch.setenv("CLUES_DATABASE_URL", sqlite_url)
    order_id = _overdue_order(sqlite_url)
    bag = load_dagbag()

    supervision = bag.dags["clue_supervision"]
    run = supervision.test()
    assert str(run.state) == "success", task_states(run)
    [report] = xcom(run, "supervise")
    assert report["dispatch_overdue"] == [order_id]
    assert [(e["order_id"], e["level"], e["to"]) for e in report["escalated"]] == [
        (order_id, 2, "department_head")  # days overdue: straight to the department head
    ]
    again = supervision.test()  # the next hour: nothing new to do
    assert str(again.state) == "success"
    [second] = xcom(again, "supervise")
    assert second["changes"] == 0
    engine = make_engine(sqlite_url)
    try:
        with session_scope(engine) as session:
            order = session.get(WorkOrder, order_id)
            assert (order.escalation_level, order.dispatch_late) == (2, True)
    finally:
        engine.dispose()

    review = bag.dags["clue_weekly_review"]
    run = review.test(logical_date=NIGHT)
    assert str(run.state) == "success", task_states(run)
    [listing] = xcom(run, "review_list")
    [item] = listing["items"]
    assert (item["order_id"], item["escalation_level"]) == (order_id, 2)
    assert item["reasons"]
