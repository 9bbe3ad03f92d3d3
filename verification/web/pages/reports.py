"""The weekly class-case report page: the same data and charts as the
files of ``clues report weekly``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from verification.accounts.roles import SUPERVISOR
from verification.reports.class_cases import class_case_report
from verification.reports.weekly_files import report_charts
from verification.web.auth import Viewer, need
from verification.web.pages.common import page
from verification.web.state import reading

router = APIRouter()


@router.get("/reports/weekly", response_class=HTMLResponse)
def weekly(
    request: Request,
    weeks: int = Query(8, ge=2, le=52),
    who: Viewer = Depends(need(SUPERVISOR)),
) -> HTMLResponse:
    with reading(request) as session:
        report = class_case_report(session, weeks=weeks)
    return page(
        request,
        "report_weekly.html",
        who,
        report=report,
        data=report.to_dict(),
        charts=report_charts(report),
        weeks=weeks,
    )
