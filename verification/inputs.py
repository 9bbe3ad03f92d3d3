"""Checks of the arguments every action takes: who acts, when, and notes."""

from __future__ import annotations

from datetime import UTC, datetime

from clue_pipeline.storage.types import utcnow
from verification.errors import InvalidInput

MAX_ACTOR = 64


def actor(by: str | None) -> str:
    """The acting analyst's name, stripped; one line when it is unusable."""
    name = (by or "").strip()
    if not name:
        raise InvalidInput("the acting analyst's name is empty; hint: pass --by NAME")
    if len(name) > MAX_ACTOR:
        raise InvalidInput(f"the analyst's name is longer than {MAX_ACTOR} characters")
    return name


def moment(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (naive values are taken as UTC)."""
    if now is None:
        return utcnow()
    aware = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    # a plain datetime: subclasses such as Airflow's pendulum DateTime lose
    # their offset in arithmetic (pendulum minus timedelta is naive)
    return datetime(*aware.timetuple()[:6], aware.microsecond, tzinfo=UTC)


def required_text(value: str | None, what: str, hint: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what} is empty; hint: {hint}")
    return text
