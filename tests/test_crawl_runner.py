"""Platform isolation (each platform in its own process) and the ``clues
crawl`` / ``clues platforms check`` commands."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import crawl_server
import pytest
from crawl_server import (
    CRASH_SETTINGS,
    FixtureServer,
    crawl_runs,
    stored_posts,
    write_platforms,
)
from typer.testing import CliRunner

from crawlers.runner import crawl_platforms

fixture_server = crawl_server.fixture_server  # the 127.0.0.1 server fixture

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><guid>n1</guid><title>井盖松动</title><description>东湖路井盖松动。</description>
<pubDate>Wed, 01 May 2024 10:00:00 +0800</pubDate></item></channel></rss>"""


def dead_url() -> str:
    """A URL on a port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed"


def two_platforms(tmp_path, server: FixtureServer, first_url: str):  # noqa: ANN001, ANN201
    server.add_page("/feed", FEED, content_type="application/rss+xml")
    body = f"""\
platforms:
  - name: broken
    kind: feed
    url: "{first_url}"
  - name: healthy
    kind: feed
    url: "{server.url("/feed")}"
"""
    return write_platforms(tmp_path, body)


def test_a_dead_server_fails_its_platform_and_the_others_go_on(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    config = two_platforms(tmp_path, fixture_server, dead_url())

    broken, healthy = crawl_platforms(config, database_url=db_url)

    assert broken.status == "failed"
    assert broken.error_samples[0]["kind"] == "connection"
    assert healthy.status == "ok"
    assert sorted(stored_posts(db_url, "healthy")) == ["n1"]
    assert [r.status for r in crawl_runs(db_url, "broken")] == ["failed"]


def test_a_crashed_process_is_recorded_failed_and_the_others_go_on(
    tmp_path, fixture_server: FixtureServer, db_url: str
) -> None:
    config = two_platforms(tmp_path, fixture_server, fixture_server.url("/feed"))
    overrides = {**CRASH_SETTINGS, "CRASH_PLATFORM": "broken"}

    broken, healthy = crawl_platforms(
        config, database_url=db_url, settings_overrides=overrides, max_parallel=1
    )

    assert (broken.status, broken.stop_reason) == ("failed", "crashed")
    assert "exited with code 3" in broken.error_samples[0]["message"]
    assert healthy.status == "ok"
    assert sorted(stored_posts(db_url, "healthy")) == ["n1"]
    [run] = crawl_runs(db_url, "broken")  # the row the dead process started, closed
    assert (run.status, run.stop_reason, run.id) == ("failed", "crashed", broken.run_id)
    assert run.error_samples[0]["kind"] == "crashed"


# -- the command line ------------------------------------------------------------


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    from clue_pipeline.cli import app
    from clue_pipeline.cli.app import load_plugins

    load_plugins()
    monkeypatch.setenv("CLUES_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_crawl_command_exit_code_0_with_a_summary(
    tmp_path, fixture_server: FixtureServer, cli, sqlite_url: str
) -> None:
    config = two_platforms(tmp_path, fixture_server, fixture_server.url("/feed"))

    result = cli("crawl", "--config", str(config), "--platform", "healthy")

    assert result.exit_code == 0, result.output
    assert "crawl summary" in result.output
    assert "healthy" in result.output and "broken" not in result.output
    assert sorted(stored_posts(sqlite_url, "healthy")) == ["n1"]


def test_crawl_command_exit_code_1_with_one_line_per_failure(
    tmp_path, fixture_server: FixtureServer, cli
) -> None:
    config = two_platforms(tmp_path, fixture_server, dead_url())

    result = cli("crawl", "--config", str(config), "--json", "--since", "2024-04-01")

    assert result.exit_code == 1
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["failed"] == ["broken"]
    statuses = {p["platform"]: p["status"] for p in payload["platforms"]}
    assert statuses == {"broken": "failed", "healthy": "ok"}
    failure_lines = [line for line in result.stderr.splitlines() if "failed:" in line]
    assert len(failure_lines) == 1
    assert failure_lines[0].startswith("platform 'broken' failed: ")


def test_crawl_command_rejects_an_unknown_platform_and_a_bad_date(
    tmp_path, fixture_server: FixtureServer, cli
) -> None:
    config = two_platforms(tmp_path, fixture_server, fixture_server.url("/feed"))

    unknown = cli("crawl", "--config", str(config), "--platform", "nope")
    bad_date = cli("crawl", "--config", str(config), "--since", "someday")

    assert unknown.exit_code != 0
    assert "no platform named 'nope'" in str(unknown.exception or unknown.output)
    assert bad_date.exit_code == 2
    assert "--since" in bad_date.output


def test_platforms_check_command_prints_posts_and_stores_nothing(
    tmp_path, fixture_server: FixtureServer, cli, sqlite_url: str
) -> None:
    config = two_platforms(tmp_path, fixture_server, fixture_server.url("/feed"))

    shown = cli("platforms", "check", "healthy", "--config", str(config))
    as_json = cli("platforms", "check", "healthy", "--config", str(config), "--json")

    assert shown.exit_code == 0, shown.output
    assert "healthy: 1 posts from 1 pages (not stored)" in shown.stdout
    assert "no extraction problems found" in shown.stdout
    payload = json.loads(as_json.stdout)
    assert [(p["external_id"], p["text"]) for p in payload["posts"]] == [("n1", "东湖路井盖松动。")]
    assert payload["status"] == "ok"
    assert stored_posts(sqlite_url, "healthy") == {}
    assert crawl_runs(sqlite_url) == []


def test_platforms_check_reports_extraction_problems(
    tmp_path, fixture_server: FixtureServer, cli
) -> None:
    fixture_server.add_page("/list", "<html><body><div class='x'>a</div></body></html>")
    body = f"""\
platforms:
  - name: forum
    kind: html
    start_urls: ["{fixture_server.url("/list")}"]
    list: {{item: "li.post"}}
    fields: {{text: "p::text"}}
"""
    config = write_platforms(tmp_path, body)

    result = cli("platforms", "check", "forum", "--config", str(config), "--json")

    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert any("no_items" in p and "li.post" in p for p in problems)


def test_the_crawl_commands_do_not_import_scrapy_at_start() -> None:
    code = "import sys, crawlers.cli, crawlers.runner; print('scrapy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_run_command_says_a_broken_catalogue_before_it_crawls(
    tmp_path, fixture_server: FixtureServer, cli, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clue_pipeline.errors import ClueError

    config = two_platforms(tmp_path, fixture_server, fixture_server.url("/feed"))
    broken = tmp_path / "catalog.yaml"
    broken.write_text("categories: []\n", encoding="utf-8")
    monkeypatch.setenv("CLUES_CATALOG", str(broken))

    result = cli("run", "--config", str(config), "--platform", "healthy")

    assert isinstance(result.exception, ClueError), result.output
    assert str(result.exception) == (
        f"{broken}: categories: expected at least 1 entries, got []; "
        "hint: the catalogue needs at least one category"
    )
    assert stored_posts(sqlite_url, "healthy") == {}  # nothing was crawled
