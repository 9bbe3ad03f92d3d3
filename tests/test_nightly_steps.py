"""The steps the nightly DAG calls (crawlers.nightly), without Airflow: which
platforms a run crawls, the summary of a run, and a crawl process killed when
its caller is interrupted (Airflow's task timeout raises in the caller)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import crawl_server
import pytest
from crawl_server import FixtureServer, Reply, crawl_runs, write_platforms

from clue_pipeline.errors import ConfigError
from crawlers.nightly import build_summary, plan_crawl
from crawlers.result import PlatformResult
from crawlers.runner import crawl_platform_process

fixture_server = crawl_server.fixture_server

PLATFORMS = """\
platforms:
  - name: forum
    kind: feed
    url: https://forum.example.org/rss.xml
  - name: weibo
    kind: html
    render: true
    start_urls: [https://weibo.example.org/]
    list: {item: div.card}
    fields: {text: p}
  - name: parked
    kind: feed
    enabled: false
    url: https://parked.example.org/rss.xml
"""


def test_the_plan_is_every_enabled_platform_browser_ones_apart(tmp_path: Path) -> None:
    plan = plan_crawl(write_platforms(tmp_path, PLATFORMS))
    assert (plan.plain, plan.browser) == (["forum"], ["weibo"])
    assert plan.names == ["forum", "weibo"]


def test_named_platforms_are_crawled_even_when_disabled(tmp_path: Path) -> None:
    plan = plan_crawl(write_platforms(tmp_path, PLATFORMS), ["parked", "parked"])
    assert plan.to_dict() == {"plain": ["parked"], "browser": []}


def test_an_unknown_platform_or_a_missing_file_is_one_line(tmp_path: Path) -> None:
    path = write_platforms(tmp_path, PLATFORMS)
    with pytest.raises(ConfigError) as caught:
        plan_crawl(path, ["tieba"])
    assert str(caught.value) == (
        f"{path}: no platform named 'tieba'; expected one of: forum, weibo, parked"
    )
    with pytest.raises(ConfigError) as caught:
        plan_crawl(tmp_path / "none.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'none.yaml'}: platforms file not found; "
        "hint: set CLUES_PLATFORMS or CLUES_HOME"
    )


def result(platform: str, status: str = "ok", **figures: object) -> dict[str, object]:
    return PlatformResult(platform=platform, run_id=1, status=status, **figures).to_dict()


def test_the_summary_counts_each_platform_once_and_names_the_failed() -> None:
    failed = result(
        "board",
        "failed",
        errors=2,
        error_samples=[{"kind": "connection", "url": "http://b/1", "message": "refused"}],
    )
    summary = build_summary(
        ["forum", "board", "video", "news"],
        [result("forum", items=40, new_items=12, errors=1), failed, None, result("news")],
        {
            "posts": 12,
            "new_clues": 5,
            "joined_exact": 2,
            "joined_auto": 3,
            "suggested": 1,
            "urgent_clues": 2,
            "pending_urgent_clues": 4,
        },
    )
    assert [(p.platform, p.status, p.items, p.new, p.errors) for p in summary.platforms] == [
        ("forum", "ok", 40, 12, 1),
        ("board", "failed", 0, 0, 2),
        ("video", "no result", 0, 0, 0),
        ("news", "ok", 0, 0, 0),
    ]
    assert summary.failed == ["board", "video"]
    assert summary.platforms[1].why == "platform 'board' failed: refused (http://b/1)"
    assert (summary.clues_new, summary.clues_merged, summary.urgent_clues) == (5, 5, 2)
    lines = summary.lines()
    assert lines[0] == "4 platforms crawled: 2 ok or partial, 2 failed"
    assert lines[1].split() == ["forum", "ok", "items", "40", "new", "12", "errors", "1"]
    assert lines[-1] == (
        "processing: 12 posts; clues: 5 new, 5 merged into open clues, 1 suggested "
        "duplicates; urgent clues: 2 with new posts, 4 pending in the queue"
    )
    assert json.loads(json.dumps(summary.to_dict()))["failed"] == ["board", "video"]


def test_a_summary_without_processing_says_so() -> None:
    summary = build_summary(["forum"], [result("forum", items=1, new_items=1)], None)
    assert not summary.processed
    assert summary.lines()[-1] == "processing: did not finish (see the process task's log)"


def test_an_interrupted_caller_kills_the_crawl_process_and_records_it(
    tmp_path: Path, fixture_server: FixtureServer, sqlite_url: str
) -> None:
    def page(request: crawl_server.RequestInfo) -> Reply:
        number = int(request.arg("page", "1"))
        if number > 1:
            time.sleep(20)  # the crawl is still running when its caller gives up
        items = [{"id": f"p{number}-{i}", "desc": f"路灯不亮 {number}-{i}"} for i in range(3)]
        return Reply(json.dumps({"items": items}), content_type="application/json")

    fixture_server.add_route("/api", page)
    config = write_platforms(
        tmp_path,
        f"""\
platforms:
  - name: slow
    kind: json
    url: "{fixture_server.url("/api")}?page={{page}}"
    items: items
    pagination: {{type: page}}
    politeness: {{timeout: 60}}
    fields: {{external_id: id, text: desc}}
""",
    )

    class Timeout(Exception):
        pass

    def give_up(name: str, pages: int, items: int) -> None:
        raise Timeout(f"{name} took too long")

    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        crawl_platform_process(config, "slow", database_url=sqlite_url, on_progress=give_up)
    assert time.monotonic() - started < 15  # not the 20 s the second page would take

    pid = caught.value.crawl_pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the child is gone, not crawling on alone
    [run] = crawl_runs(sqlite_url, "slow")
    assert (run.status, run.pid, run.stop_reason) == ("failed", pid, "crashed")
    assert run.error_samples[0]["message"] == ("crawl process killed: Timeout: slow took too long")
