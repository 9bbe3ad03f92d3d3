"""Paged listings: ``{"items", "total", "limit", "offset", "next", "prev"}``
with ``next``/``prev`` the same request's URL at the neighbouring offsets."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request


def paged(
    request: Request, items: list[Any], *, total: int, limit: int, offset: int, **extra: Any
) -> dict[str, Any]:
    def at(value: int) -> str:
        return str(request.url.include_query_params(limit=limit, offset=value))

    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next": at(offset + limit) if offset + limit < total else None,
        "prev": at(max(offset - limit, 0)) if offset > 0 else None,
        **extra,
    }
