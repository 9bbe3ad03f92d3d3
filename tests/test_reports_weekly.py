"""The weekly class-case report (类案周报): recurring classes by category ×
district × week, the fastest-rising classes, the most repeated problems with
their orders; its SVG charts (labels escaped, well-formed); the files of
``clues report weekly --out DIR`` hold the same data as the page and API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from workflow_data import T0, add_post, make_clue

from clue_pipeline.storage.db import make_engine
from verification import claims, decisions, filing
from verification.reports import charts
from verification.reports.class_cases import class_case_report
from verification.reports.weekly_files import write_weekly_report
from verification.transactions import transaction

NOW = T0 + timedelta(days=1)
CLUES = Path(sys.executable).with_name("clues")


def week(n: int) -> object:
    """A moment in the n-th week before NOW (0: this week)."""
    return NOW - timedelta(days=7 * n + 2)


def build(engine) -> dict[str, int]:  # noqa: ANN001
    with transaction(engine) as session:
        lamps = make_clue(session, ("红星路路灯坏了",), at=week(3))
        add_post(session, lamps, "红星路路灯还是坏的", at=week(1))
        add_post(session, lamps, "红星路路灯坏了好久", at=week(0))
        add_post(session, lamps, "红星路路灯没人修", at=week(0))
        claims.claim(session, lamps.id, by="alice", now=NOW)
        decisions.verify(session, lamps.id, by="alice", now=NOW)
        order = filing.file_clue(session, lamps.id, by="alice", now=NOW)
        add_post(session, lamps, "一条疑似重复", at=week(0), membership="suggested")
        # a new class this week: three clues about noise in 江南区
        for text in ("工地夜间施工太吵", "夜里打桩声音很大", "凌晨还在施工"):
            make_clue(
                session, (text,), category="生态环境", district="江南区", at=week(0), item_code=None
            )
        noise = make_clue(
            session,
            ("这是广告",),
            category="生态环境",
            district="江南区",
            at=week(0),
            item_code=None,
        )
        claims.claim(session, noise.id, by="alice", now=NOW)
        decisions.reject(session, noise.id, by="alice", reason="not_public_service", now=NOW)
        make_clue(session, ("很久以前的积水",), at=NOW - timedelta(days=200))
        return {"lamps": lamps.id, "order": order.id}


def test_recurring_rising_and_repeated_classes(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    ids = build(engine)
    report = class_case_report(engine, now=NOW, weeks=4)
    engine.dispose()
    zone = ZoneInfo("Asia/Shanghai")
    assert [w.label for w in report.weeks] == [
        (NOW - timedelta(days=7 * k)).astimezone(zone).strftime("%m-%d") for k in (4, 3, 2, 1)
    ]
    assert report.weeks[-1].end == NOW and report.weeks[0].start == NOW - timedelta(days=28)
    classes = {(c.category, c.district): c for c in report.classes}
    lamps = classes[("城乡建设", "江北区")]
    assert lamps.reports == [1, 0, 1, 2]  # the suggested duplicate does not count
    assert (lamps.weeks_present, lamps.total_clues, lamps.orders, lamps.recurring) == (
        3,
        1,
        1,
        True,
    )
    noise = classes[("生态环境", "江南区")]
    assert noise.reports == [0, 0, 0, 3]  # the rejected advert is no class
    assert noise.total_clues == 3 and noise.recurring  # three clues in the period
    assert [c.category for c in report.recurring] == ["城乡建设", "生态环境"]
    rising = [(r.category, r.district, r.this_week, r.baseline, r.rise) for r in report.rising]
    assert rising == [("生态环境", "江南区", 3, 0.0, 3.0), ("城乡建设", "江北区", 2, 0.67, 1.33)]
    top = report.top_problems[0]
    assert (top.clue_id, top.reports, top.reports_in_period) == (ids["lamps"], 4, 4)
    assert top.order["id"] == ids["order"] and top.order["state"] == "filed"
    assert report.category_trend == {"城乡建设": [1, 0, 1, 2], "生态环境": [0, 0, 0, 3]}
    data = report.to_dict()
    assert data["recurring_classes"][0]["category"] == "城乡建设"
    assert data["review"]["items"][0]["order_id"] == ids["order"]


def test_charts_are_well_formed_svg_with_labels_escaped() -> None:
    hostile = '<script>alert("x")</script>'
    drawn = [
        charts.line_chart({hostile: [1, 3, 2]}, ["11-01", "11-08", "11-15"], title=hostile),
        charts.bar_chart([(hostile, 0.5), ("无数据", None)], title="时限", percent=True),
        charts.heatmap([(hostile, [0, 2, 5])], ["a", "b", "c"], title="类案"),
        charts.line_chart({}, [], title="空"),
    ]
    for svg in drawn:
        text = charts.standalone(svg)
        root = ET.fromstring(text.split("\n", 1)[1])
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "<script" not in text and "style=" not in text
    assert (
        "&lt;script&gt;" in str(drawn[0]) and "50%" in str(drawn[1]) and "暂无数据" in str(drawn[3])
    )


def test_report_files_hold_the_same_data_as_the_page(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    build(engine)
    written = write_weekly_report(engine, tmp_path / "out", now=NOW, weeks=4)
    expected = class_case_report(engine, now=NOW, weeks=4).to_dict()
    engine.dispose()
    assert json.loads(written.json.read_text(encoding="utf-8")) == json.loads(json.dumps(expected))
    html = written.html.read_text(encoding="utf-8")
    assert "反复出现的类案" in html and "上升最快的类案" in html and "报料最多的问题" in html
    assert 'src="charts/classes.svg"' in html and (tmp_path / "out" / "style.css").exists()
    assert sorted(p.name for p in written.charts) == ["classes.svg", "rising.svg", "trend.svg"]
    assert "<script" not in html


def test_clues_report_weekly_writes_html_json_and_charts(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    build(engine)
    engine.dispose()
    out = tmp_path / "weekly"
    done = subprocess.run(
        [str(CLUES), "report", "weekly", "--out", str(out), "--weeks", "6"],
        capture_output=True,
        text=True,
        env={**os.environ, "CLUES_DATABASE_URL": sqlite_url, "COLUMNS": "200"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"weekly class-case report written to {out}:"
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(data["weeks"]) == 6
    assert {"recurring_classes", "rising", "top_problems", "category_trend"} <= set(data)
    for name in ("report.html", "charts/trend.svg", "charts/classes.svg", "charts/rising.svg"):
        assert (out / name).stat().st_size > 200, name
