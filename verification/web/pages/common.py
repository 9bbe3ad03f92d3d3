"""What every page shares: rendering with the layout's context, redirects
after a form, and the page shown for an error."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from clue_pipeline.storage.types import utcnow
from verification.accounts.roles import ADMIN, SUPERVISOR
from verification.web.auth import CSRF_FIELD, Viewer
from verification.web.templating import render

# messages a redirect may name (?done=KEY): fixed text, never echoed input
DONE = {
    "claim": "已认领线索",
    "release": "已释放线索",
    "verify": "已核实线索",
    "reject": "已驳回线索",
    "reopen": "已重新打开",
    "merge": "已合并线索",
    "split": "已拆分出新线索",
    "confirm": "已确认疑似重复帖",
    "edit": "已保存修改",
    "file": "已立案，生成工单",
    "dispatch": "已派遣",
    "progress": "已记录处理进展",
    "resolve": "已办结",
    "close": "已回访并关闭",
    "order_reopen": "已重启工单",
    "return": "已退单",
    "note": "已添加督办意见",
    "supervise": "已运行督办检查",
    "user_add": "已添加用户",
    "user_disable": "已停用用户",
    "user_enable": "已启用用户",
    "user_password": "已重置密码",
    "user_role": "已修改角色",
    "token": "已生成 API 令牌",
    "token_revoke": "已撤销 API 令牌",
    "password": "已修改密码，请重新登录",
    "none": "队列中没有可认领的线索",
}


def nav(who: Viewer | None) -> list[tuple[str, str]]:
    if who is None:
        return []
    items = [("/queue", "线索队列"), ("/orders", "工单")]
    if who.allows(SUPERVISOR):
        items += [("/dashboard", "总览"), ("/reports/weekly", "类案周报")]
    if who.allows(ADMIN):
        items.append(("/admin", "系统管理"))
    items.append(("/account", "我的账户"))
    return items


def page(
    request: Request,
    template: str,
    who: Viewer | None,
    *,
    status: int = 200,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    done = request.query_params.get("done")
    html = render(
        template,
        request_path=request.url.path,
        viewer=who,
        nav=nav(who),
        csrf_field=CSRF_FIELD,
        csrf_token=who.csrf_token if who else "",
        notice=DONE.get(done or ""),
        error=error,
        now=utcnow(),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def redirect(path: str, done: str | None = None, **params: Any) -> RedirectResponse:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if done:
        query["done"] = done
    target = path + ("?" + urlencode(query) if query else "")
    return RedirectResponse(target, status_code=303)


def safe_next(value: str | None) -> str:
    """A local path to go to after logging in; never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/queue"
    return value
