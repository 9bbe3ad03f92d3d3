"""The Jinja2 environment of the pages and of the report files: autoescape
on for every template (scraped text is hostile: it is never marked safe),
and the filters the templates use to show times, states and countdowns."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader

from verification.accounts.roles import LABELS as ROLE_LABELS
from verification.config import load_workflow_config
from verification.inputs import moment

TEMPLATES = Path(__file__).with_name("templates")

CLUE_STATES = {
    "pending": "待认领",
    "claimed": "核实中",
    "verified": "已核实",
    "rejected": "已驳回",
    "filed": "已立案",
    "merged": "已合并",
}
ORDER_STATES = {
    "filed": "待派遣",
    "dispatched": "已派遣",
    "in_progress": "处理中",
    "resolved": "已办结",
    "closed": "已关闭",
    "reopened": "已重启",
}
MEMBERSHIP = {
    "seed": "首帖",
    "exact": "完全相同",
    "auto": "自动归并",
    "suggested": "疑似重复",
    "confirmed": "已确认",
}
ACTIONS = {
    "claim": "认领",
    "renew": "续期",
    "release": "释放",
    "expire": "认领过期",
    "verify": "核实",
    "reject": "驳回",
    "reopen": "重新打开",
    "merge": "合并到其他线索",
    "absorb": "并入线索",
    "edit": "修改",
    "confirm": "确认重复",
    "split": "拆分",
    "split_off": "拆分而来",
    "file": "立案",
    "create": "生成工单",
    "dispatch": "派遣",
    "progress": "处理进展",
    "resolve": "办结",
    "close": "回访关闭",
    "recur": "问题复发",
    "return": "退单",
    "note": "督办意见",
    "dispatch_overdue": "派遣超时",
    "handle_overdue": "办理超时",
    "escalate": "升级督办",
}
REJECT_REASONS = {
    "not_public_service": "非公共服务问题",
    "duplicate": "重复线索",
    "cannot_verify": "无法核实",
    "already_handled": "已在处理",
    "other": "其他（需说明）",
}

SILENT_REASONS = {
    "never ran": "从未运行",
    "last run failed": "最近一次运行失败",
    "last run aborted": "最近一次运行中断",
    "never succeeded": "从未成功",
    "no successful run in 48 h": "48 小时内无成功运行",
}


def local_time(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None or value == "":
        return "-"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment(when).astimezone(load_workflow_config().zone).strftime(fmt)


def span(minutes: float) -> str:
    minutes = abs(minutes)
    if minutes < 60:
        return f"{minutes:.0f} 分钟"
    if minutes < 48 * 60:
        hours, rest = divmod(int(minutes), 60)
        return f"{hours} 小时 {rest} 分" if rest else f"{hours} 小时"
    return f"{minutes / 1440:.1f} 天"


def countdown(due: str | datetime | None, now: datetime | None = None) -> dict[str, Any]:
    """``{"text": "剩余 1 小时 20 分" | "超时 3 小时", "overdue": bool, "due": iso}``."""
    if due is None:
        return {"text": "-", "overdue": False, "due": ""}
    when = moment(datetime.fromisoformat(due) if isinstance(due, str) else due)
    left = (when - moment(now)).total_seconds() / 60
    text = f"剩余 {span(left)}" if left >= 0 else f"超时 {span(left)}"
    return {"text": text, "overdue": left < 0, "due": when.isoformat()}


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        local=local_time,
        percent=percent,
        clue_state=lambda s: CLUE_STATES.get(s, s),
        order_state=lambda s: ORDER_STATES.get(s, s),
        membership=lambda s: MEMBERSHIP.get(s, s),
        action=lambda s: ACTIONS.get(s, s),
        role=lambda s: ROLE_LABELS.get(s, s),
        reason=lambda s: REJECT_REASONS.get(s, s or "-"),
        silent=lambda s: SILENT_REASONS.get(s, s),
    )
    env.globals.update(
        countdown=countdown,
        CLUE_STATES=CLUE_STATES,
        ORDER_STATES=ORDER_STATES,
        REJECT_REASONS=REJECT_REASONS,
    )
    return env


def render(template: str, /, **context: Any) -> str:
    return environment().get_template(template).render(**context)
