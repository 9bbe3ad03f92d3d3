"""Login sessions of the web UI. The cookie carries a random token; the
database keeps its SHA-256, the user, the session's CSRF token and when it
ends. Disabling a user or changing their password ends their sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import User, WebSession
from verification.inputs import moment

TOUCH_EVERY = timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoggedIn:
    user: User
    csrf_token: str
    expires_at: datetime


def start_session(
    session: Session,
    user: User,
    *,
    lifetime: timedelta,
    ip: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> tuple[str, WebSession]:
    """A new session for the user; returns the cookie's token and the row."""
    now = moment(now)
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
        last_seen_at=now,
        ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(row)
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.flush()
    return token, row


def session_user(
    session: Session, token: str | None, *, now: datetime | None = None
) -> LoggedIn | None:
    """Who the session token belongs to, while it lasts and the user is active."""
    if not token:
        return None
    now = moment(now)
    row = session.get(WebSession, token_hash(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return LoggedIn(user, row.csrf_token, row.expires_at)


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def sessions_of(session: Session, user: User) -> list[WebSession]:
    return list(
        session.scalars(
            select(WebSession).where(WebSession.user_id == user.id).order_by(WebSession.created_at)
        )
    )
