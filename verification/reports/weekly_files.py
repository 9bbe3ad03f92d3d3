"""``clues report weekly --out DIR``: the class-case report as files:
``report.html`` (standalone, opens offline), ``report.json`` (the same data),
``charts/*.svg`` and ``style.css``."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from markupsafe import Markup, escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from verification.reports import charts
from verification.reports.class_cases import ClassCaseReport, class_case_report

STYLE = Path(__file__).resolve().parents[1] / "web" / "static" / "app.css"
HEATMAP_ROWS = 20


def report_charts(report: ClassCaseReport) -> dict[str, Markup]:
    labels = [w.label for w in report.weeks]
    recurring = report.recurring[:HEATMAP_ROWS]
    return {
        "trend": charts.line_chart(report.category_trend, labels, title="各类别每周报料数"),
        "classes": charts.heatmap(
            [(f"{c.category} · {c.district}", c.reports) for c in recurring],
            labels,
            title="反复出现的类案：类别 × 区 × 周（报料数）",
        ),
        "rising": charts.bar_chart(
            [(f"{r.category} · {r.district}", r.rise) for r in report.rising],
            title="上升最快的类案（本周比前几周平均多出的报料数）",
        ),
    }


@dataclass(frozen=True)
class WrittenReport:
    folder: Path
    html: Path
    json: Path
    charts: list[Path]


def write_weekly_report(
    session_or_engine: Session | Engine,
    out: Path,
    *,
    now: datetime | None = None,
    weeks: int = 8,
) -> WrittenReport:
    from verification.web.templating import render

    report = class_case_report(session_or_engine, now=now, weeks=weeks)
    out.mkdir(parents=True, exist_ok=True)
    chart_dir = out / "charts"
    chart_dir.mkdir(exist_ok=True)
    drawn = report_charts(report)
    paths = []
    images = {}
    for name, svg in drawn.items():
        path = chart_dir / f"{name}.svg"
        path.write_text(charts.standalone(svg), encoding="utf-8")
        paths.append(path)
        images[name] = Markup(
            f'<img class="chart" src="charts/{escape(path.name)}" alt="{escape(name)}">'
        )
    shutil.copyfile(STYLE, out / "style.css")
    data = report.to_dict()
    json_path = out / "report.json"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(
        render("report_file.html", report=report, data=data, charts=images, weeks=weeks),
        encoding="utf-8",
    )
    return WrittenReport(out, html_path, json_path, paths)
