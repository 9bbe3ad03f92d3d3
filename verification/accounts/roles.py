"""Roles, each allowing what the one before it does and more:

- ``analyst`` works clues: claim, verify or reject, merge, split, correct, file;
  sees orders;
- ``supervisor`` also works orders (dispatch ... close, supervision notes),
  escalations, the dashboard, the weekly reports and exports;
- ``admin`` also manages users and sees the configuration."""

from __future__ import annotations

from verification.errors import InvalidInput

ANALYST = "analyst"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ROLES = (ANALYST, SUPERVISOR, ADMIN)
_RANK = {role: rank for rank, role in enumerate(ROLES)}

LABELS = {ANALYST: "分析员", SUPERVISOR: "督办员", ADMIN: "管理员"}


def require_role_name(role: str) -> str:
    value = (role or "").strip().lower()
    if value not in _RANK:
        raise InvalidInput(f"unknown role {role!r}; expected one of: {', '.join(ROLES)}")
    return value


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may."""
    return _RANK.get(role, -1) >= _RANK[needed]
