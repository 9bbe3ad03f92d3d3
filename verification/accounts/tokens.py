"""Personal API tokens: ``Authorization: Bearer clues_...``. Shown once when
made; the database keeps the SHA-256 and a prefix to tell them apart."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import ApiToken, User
from verification.accounts.sessions import token_hash
from verification.errors import InvalidInput, NotFound
from verification.inputs import moment
from verification.views import iso

PREFIX = "clues_"


def create_token(
    session: Session, user: User, name: str, *, now: datetime | None = None
) -> tuple[str, ApiToken]:
    label = (name or "").strip()
    if not label or len(label) > 64:
        raise InvalidInput("the token's name must be 1-64 characters, e.g. 'reporting script'")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=token_hash(token),
        prefix=token[: len(PREFIX) + 6],
        created_at=moment(now),
    )
    session.add(row)
    session.flush()
    return token, row


def token_user(session: Session, token: str | None, *, now: datetime | None = None) -> User | None:
    if not token or not token.startswith(PREFIX):
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = moment(now)
    return user


def revoke_token(
    session: Session, user: User, token_id: int, *, now: datetime | None = None
) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"token {token_id} of {user.name} does not exist")
    row.revoked_at = row.revoked_at or moment(now)
    return row


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def token_view(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked": row.revoked_at is not None,
    }
