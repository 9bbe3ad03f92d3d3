"""Users: add, list, change role or password, disable, enable, log in.
Each change is one row of the audit trail (action ``user_*``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import ApiToken, User, WebSession
from verification import audit
from verification.accounts.passwords import hash_password, needs_rehash, verify_password
from verification.accounts.roles import require_role_name
from verification.errors import AlreadyExists, InvalidInput, NotFound
from verification.inputs import actor, moment
from verification.views import iso

NAME = re.compile(r"^[\w.\-@]{1,64}$")


def check_name(name: str) -> str:
    value = (name or "").strip()
    if not NAME.fullmatch(value):
        raise InvalidInput(
            f"user name {name!r} is not usable; hint: 1-64 letters, digits, '.', '-', '_' or '@', "
            "no spaces"
        )
    return value


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.name) == name.strip().lower())
    ).first()


def get_user(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise NotFound(f"user {name} does not exist; hint: clues users list")
    return user


def add_user(
    session: Session,
    name: str,
    *,
    role: str,
    password: str,
    by: str,
    now: datetime | None = None,
) -> User:
    name, role, by, now = check_name(name), require_role_name(role), actor(by), moment(now)
    if find_user(session, name) is not None:
        raise AlreadyExists(f"user {name} exists already; hint: clues users password {name}")
    user = User(
        name=name,
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    _audit(session, "user_add", user, by, now, {"role": role})
    return user


def set_password(
    session: Session, name: str, password: str, *, by: str, now: datetime | None = None
) -> User:
    """A new password; the user's sessions end."""
    by, now = actor(by), moment(now)
    user = get_user(session, name)
    user.password_hash = hash_password(password)
    user.password_changed_at = user.updated_at = now
    end_sessions(session, user)
    _audit(session, "user_password", user, by, now, {})
    return user


def set_role(
    session: Session, name: str, role: str, *, by: str, now: datetime | None = None
) -> User:
    by, now, role = actor(by), moment(now), require_role_name(role)
    user = get_user(session, name)
    before = user.role
    user.role = role
    user.updated_at = now
    _audit(session, "user_role", user, by, now, {"from": before, "to": role})
    return user


def set_active(
    session: Session, name: str, active: bool, *, by: str, now: datetime | None = None
) -> User:
    """Disable (sessions end, API tokens are revoked) or enable a user."""
    by, now = actor(by), moment(now)
    user = get_user(session, name)
    if not active and user.name == by:
        raise InvalidInput(f"{by} cannot disable their own account; hint: ask another admin")
    user.active = active
    user.updated_at = now
    if not active:
        end_sessions(session, user)
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    _audit(session, "user_enable" if active else "user_disable", user, by, now, {})
    return user


def end_sessions(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def authenticate(
    session: Session, name: str, password: str, *, now: datetime | None = None
) -> User | None:
    """The active user whose password this is, else None (the same work
    either way). Upgrades the stored hash when argon2's parameters changed."""
    user = find_user(session, name) if NAME.fullmatch((name or "").strip()) else None
    stored = user.password_hash if user is not None and user.active else None
    if not verify_password(stored, password or ""):
        return None
    assert user is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = moment(now)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at),
        "password_changed_at": iso(user.password_changed_at),
    }


def _audit(
    session: Session, action: str, user: User, by: str, now: datetime, details: dict[str, Any]
) -> None:
    audit.record(
        session, action=action, actor=by, at=now, note="", details={"user": user.name, **details}
    )
