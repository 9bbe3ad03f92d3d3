"""The supervisors' dashboard, and running supervision on demand."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from verification.accounts.roles import SUPERVISOR
from verification.dashboard import dashboard
from verification.reports import charts
from verification.web.auth import Viewer, form_action, need
from verification.web.pages.common import page, redirect
from verification.web.state import acting, reading

router = APIRouter()


def dashboard_charts(data: dict) -> dict:
    stats = data["stats"]
    return {
        "trend": charts.line_chart(
            data["trend"]["categories"], data["trend"]["weeks"], title="近 8 周各类别报料数"
        ),
        "sla": charts.bar_chart(
            [
                ("派遣时限达标率", stats["dispatch_sla"]["rate"]),
                ("办理时限达标率", stats["handling_sla"]["rate"]),
                ("首次派遣成功率", stats["first_dispatch_success"]["rate"]),
                ("回访满意率", stats["satisfaction"]["rate"]),
            ],
            title="时限与派遣",
            percent=True,
        ),
    }


@router.get("/dashboard", response_class=HTMLResponse)
def show(request: Request, who: Viewer = Depends(need(SUPERVISOR))) -> HTMLResponse:
    with reading(request) as session:
        data = dashboard(session)
    return page(request, "dashboard.html", who, data=data, charts=dashboard_charts(data))


@router.post("/supervise")
def supervise(request: Request, who: Viewer = Depends(form_action(SUPERVISOR))) -> Response:
    from verification.supervision import supervise_session

    with acting(request) as session:
        supervise_session(session)
    return redirect("/dashboard", "supervise")
