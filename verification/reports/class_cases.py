"""The data of the weekly class-case report. A *class* is a category in a
district (城乡建设 × 江北区); its reports are the posts of its clues, counted
in the week they were published. Weeks are the 7-day spans ending at
``until`` (the newest last). Post titles are masked (phone and ID numbers):
the report is meant to be passed on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clue_pipeline.privacy import mask_personal
from clue_pipeline.storage.models import Clue, CluePost, Post, WorkOrder
from verification.clue_states import MERGED
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import InvalidInput
from verification.inputs import moment
from verification.review import weekly_review
from verification.sla import overdue
from verification.transactions import session_of
from verification.views import iso

NO_CATEGORY = "未分类"
NO_DISTRICT = "未定位"
RECURRING_WEEKS = 2  # a class with reports in this many weeks recurs
RECURRING_CLUES = 3  # ... or with this many clues in the period
TOP_PROBLEMS = 10
TOP_RISING = 10
MAX_WEEKS = 52


@dataclass(frozen=True)
class Week:
    start: datetime
    end: datetime
    label: str  # the first day, local: 11-13

    def to_dict(self) -> dict[str, Any]:
        return {"start": iso(self.start), "end": iso(self.end), "label": self.label}


@dataclass
class ClassRow:
    """One class over the weeks: reports (posts) and clues per week."""

    category: str
    district: str
    reports: list[int]
    clues: list[int]
    total_reports: int = 0
    total_clues: int = 0
    weeks_present: int = 0
    orders: int = 0
    recurring: bool = False


@dataclass
class RisingClass:
    category: str
    district: str
    this_week: int
    baseline: float  # mean reports per week before the last
    rise: float  # this_week - baseline
    ratio: float  # (this_week + 1) / (baseline + 1)


@dataclass
class RepeatedProblem:
    clue_id: int
    title: str
    category: str
    district: str
    state: str
    reports: int  # posts of the clue, all time (suggested duplicates not counted)
    reports_in_period: int
    platforms: int
    order: dict[str, Any] | None = None


@dataclass
class ClassCaseReport:
    generated_at: datetime
    since: datetime
    until: datetime
    weeks: list[Week]
    classes: list[ClassRow]  # recurring ones first
    rising: list[RisingClass]
    top_problems: list[RepeatedProblem]
    category_trend: dict[str, list[int]]  # reports per week, by category
    review: dict[str, Any] = field(default_factory=dict)

    @property
    def recurring(self) -> list[ClassRow]:
        return [c for c in self.classes if c.recurring]

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": iso(self.generated_at),
            "since": iso(self.since),
            "until": iso(self.until),
            "weeks": [w.to_dict() for w in self.weeks],
            "recurring_classes": [asdict(c) for c in self.recurring],
            "classes": [asdict(c) for c in self.classes],
            "rising": [asdict(r) for r in self.rising],
            "top_problems": [asdict(p) for p in self.top_problems],
            "category_trend": self.category_trend,
            "review": self.review,
        }


def weeks_until(until: datetime, count: int, config: WorkflowConfig) -> list[Week]:
    if count < 1 or count > MAX_WEEKS:
        raise InvalidInput(f"weeks must be 1 to {MAX_WEEKS}, got {count}")
    spans = []
    for back in range(count, 0, -1):
        start = until - timedelta(days=7 * back)
        end = start + timedelta(days=7)
        spans.append(Week(start, end, start.astimezone(config.zone).strftime("%m-%d")))
    return spans


def class_case_report(
    session_or_engine: Session | Engine,
    *,
    now: datetime | None = None,
    weeks: int = 8,
    config: WorkflowConfig | None = None,
    with_review: bool = True,
) -> ClassCaseReport:
    """The class-case report for the ``weeks`` weeks before ``now``."""
    config = config or load_workflow_config()
    now = moment(now)
    spans = weeks_until(now, weeks, config)
    session, owned = session_of(session_or_engine)
    try:
        report = _report(session, now, spans, config)
        if with_review:
            review = weekly_review(session, now=now, config=config).to_dict()
            for item in review["items"]:
                item["title"] = mask_personal(item["title"])
            report.review = review
        return report
    finally:
        if owned:
            session.close()


def _week_of(spans: list[Week], when: datetime) -> int | None:
    first = spans[0].start
    index = int((when - first).total_seconds() // (7 * 86400))
    return index if 0 <= index < len(spans) else None


def _report(
    session: Session, now: datetime, spans: list[Week], config: WorkflowConfig
) -> ClassCaseReport:
    since, until = spans[0].start, spans[-1].end
    posted = func.coalesce(Post.published_at, Post.first_seen_at)
    rows = session.execute(
        select(Clue.id, Clue.category, Clue.district, posted)
        .join(CluePost, CluePost.clue_id == Clue.id)
        .join(Post, Post.id == CluePost.post_id)
        .where(
            Clue.state != MERGED,
            # clues rejected as no public-service issue are noise, not a class
            (Clue.reject_reason.is_(None)) | (Clue.reject_reason != "not_public_service"),
            CluePost.membership != "suggested",
            posted >= since,
            posted < until,
        )
    ).all()
    n = len(spans)
    reports: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * n)
    clue_weeks: dict[tuple[str, str], list[set[int]]] = defaultdict(lambda: [set() for _ in spans])
    trend: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    in_period: dict[int, int] = defaultdict(int)
    for clue_id, category, district, when in rows:
        week = _week_of(spans, moment(when))
        if week is None:
            continue
        key = (category or NO_CATEGORY, district or NO_DISTRICT)
        reports[key][week] += 1
        clue_weeks[key][week].add(clue_id)
        trend[key[0]][week] += 1
        in_period[clue_id] += 1

    clue_class = {cid: None for cid in in_period}
    all_time: dict[int, int] = {}
    orders_by_clue: dict[int, WorkOrder] = {}
    clues: dict[int, Clue] = {}
    if in_period:
        ids = list(in_period)
        clues = {c.id: c for c in session.scalars(select(Clue).where(Clue.id.in_(ids)))}
        orders_by_clue = {
            o.clue_id: o
            for o in session.scalars(select(WorkOrder).where(WorkOrder.clue_id.in_(ids)))
        }
        clue_class = {
            cid: (c.category or NO_CATEGORY, c.district or NO_DISTRICT) for cid, c in clues.items()
        }
        all_time = dict(
            session.execute(
                select(CluePost.clue_id, func.count())
                .where(CluePost.clue_id.in_(ids), CluePost.membership != "suggested")
                .group_by(CluePost.clue_id)
            ).all()
        )

    classes = []
    for key, per_week in reports.items():
        sets = clue_weeks[key]
        all_clues = set().union(*sets)
        row = ClassRow(
            category=key[0],
            district=key[1],
            reports=per_week,
            clues=[len(s) for s in sets],
            total_reports=sum(per_week),
            total_clues=len(all_clues),
            weeks_present=sum(1 for v in per_week if v),
            orders=sum(1 for cid in all_clues if cid in orders_by_clue),
        )
        row.recurring = row.weeks_present >= RECURRING_WEEKS or row.total_clues >= RECURRING_CLUES
        classes.append(row)
    classes.sort(
        key=lambda c: (not c.recurring, -c.weeks_present, -c.total_reports, c.category, c.district)
    )

    rising = []
    for row in classes:
        this_week = row.reports[-1]
        before = row.reports[:-1]
        baseline = sum(before) / len(before) if before else 0.0
        rise = this_week - baseline
        if this_week and rise > 0:
            rising.append(
                RisingClass(
                    row.category,
                    row.district,
                    this_week,
                    round(baseline, 2),
                    round(rise, 2),
                    round((this_week + 1) / (baseline + 1), 2),
                )
            )
    rising.sort(key=lambda r: (-r.rise, -r.ratio, r.category, r.district))

    top = []
    ranked = sorted(in_period, key=lambda cid: (-all_time.get(cid, 0), -in_period[cid], cid))
    for clue_id in ranked[:TOP_PROBLEMS]:
        clue = clues[clue_id]
        order = orders_by_clue.get(clue_id)
        category, district = clue_class[clue_id]
        top.append(
            RepeatedProblem(
                clue_id=clue_id,
                title=mask_personal(clue.title),
                category=category,
                district=district,
                state=clue.state,
                reports=all_time.get(clue_id, in_period[clue_id]),
                reports_in_period=in_period[clue_id],
                platforms=clue.platform_count,
                order=_order_brief(order, now) if order is not None else None,
            )
        )
    ordered_trend = dict(sorted(trend.items(), key=lambda kv: (-sum(kv[1]), kv[0])))
    return ClassCaseReport(
        generated_at=now,
        since=since,
        until=until,
        weeks=spans,
        classes=classes,
        rising=rising[:TOP_RISING],
        top_problems=top,
        category_trend=ordered_trend,
    )


def _order_brief(order: WorkOrder, now: datetime) -> dict[str, Any]:
    missed = overdue(order, now)
    return {
        "id": order.id,
        "state": order.state,
        "department": order.department,
        "item_code": order.item_code,
        "item": order.item_name,
        "filed_at": iso(order.filed_at),
        "recurrence_count": order.recurrence_count,
        "return_count": order.return_count,
        "escalation_level": order.escalation_level,
        "overdue": missed.describe() if missed else None,
    }
