"""``/api/v1`` figures for supervisors: dashboard, stats, crawl health, the
weekly review and the class-case report; running supervision now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from clue_pipeline.privacy import mask_personal
from verification.accounts.roles import SUPERVISOR
from verification.dashboard import crawl_health, dashboard
from verification.inputs import moment
from verification.reports.class_cases import class_case_report
from verification.review import weekly_review
from verification.stats import compute_stats
from verification.web.auth import Viewer, api_action, need
from verification.web.state import acting, reading

router = APIRouter(tags=["reports"])


@router.get("/dashboard")
def show_dashboard(request: Request, who: Viewer = Depends(need(SUPERVISOR))) -> dict[str, Any]:
    """Clues and orders by state, overdue, figures, crawl health, the trend."""
    with reading(request) as session:
        return dashboard(session)


@router.get("/stats")
def stats(request: Request, who: Viewer = Depends(need(SUPERVISOR))) -> dict[str, Any]:
    with reading(request) as session:
        return compute_stats(session).to_dict()


@router.get("/platforms")
def platforms(request: Request, who: Viewer = Depends(need(SUPERVISOR))) -> dict[str, Any]:
    """Each platform's crawl health; ``silent`` ones need a look."""
    with reading(request) as session:
        rows, note = crawl_health(session, moment(None))
    return {"items": rows, "total": len(rows), "note": note}


@router.get("/reports/weekly")
def weekly(
    request: Request,
    weeks: int = Query(8, ge=2, le=52),
    who: Viewer = Depends(need(SUPERVISOR)),
) -> dict[str, Any]:
    """The class-case report (the data of ``clues report weekly``)."""
    with reading(request) as session:
        return class_case_report(session, weeks=weeks).to_dict()


@router.get("/review/weekly")
def review(
    request: Request,
    days: int | None = Query(None, ge=1, le=366),
    who: Viewer = Depends(need(SUPERVISOR)),
) -> dict[str, Any]:
    """每周一评: the orders most worth review."""
    with reading(request) as session:
        data = weekly_review(session, days=days).to_dict()
    for item in data["items"]:
        item["title"] = mask_personal(item["title"])
    return data


@router.post("/supervise")
def supervise(request: Request, who: Viewer = Depends(api_action(SUPERVISOR))) -> dict[str, Any]:
    """Run the hourly supervision now (expired claims, recurrence, overdue, escalation)."""
    from verification.supervision import supervise_session

    with acting(request) as session:
        report = supervise_session(session).to_dict()
    for item in report["recurred"]:
        for post in item["posts"]:
            post["text"] = mask_personal(post["text"])
    return report
