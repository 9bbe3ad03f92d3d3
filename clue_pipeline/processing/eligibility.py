"""Which clues a post may join, relative to the post's own time (not the run's clock): an
open clue whose last post is at most ``grouping.window_days`` older than the post, or a
clue closed at most ``recurrence_days`` before it (recurrence); never a merged clue; and
never a clue whose first post is more than ``window_days`` newer than the post (a post
crawled late, months after the problem's clue began, starts its own: the window bounds the
time between a clue's posts both ways).

A post's time is its publication, else when it was first seen, capped at the run's clock
(``reference_time``). So a backlog processed in one run (a first install crawling months
of history) groups as nightly runs over the same posts would have, and nightly runs, whose
posts are recent, see the window they always saw.

``eligible_clue_ids`` (what the window, ``window.py``, holds) leaves out the first-post
bound: without it, eligibility only shrinks as the time moves forward (for one state of the
clues), which is what lets the window hold the clues eligible at a batch's earliest post;
each post then filters the neighbours found there by its own time with the whole rule
(``ClueEligibility``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clue_pipeline.processing.config import GroupingConfig
from clue_pipeline.processing.grouping import Place
from clue_pipeline.storage.models import Clue

OPEN_STATES = ("pending", "claimed", "verified", "filed")
CHUNK = 5000


def post_time(published_at: datetime | None, first_seen_at: datetime) -> datetime:
    """The time of a post as a clue's ``first_post_at``/``last_post_at`` count it."""
    return published_at or first_seen_at


def reference_time(
    published_at: datetime | None, first_seen_at: datetime, now: datetime
) -> datetime:
    """The time the window is measured from for a post: its time, capped at ``now``."""
    return min(post_time(published_at, first_seen_at), now)


def eligible_clue_ids(
    session: Session, clue_ids: set[int] | None, at: datetime, grouping: GroupingConfig
) -> set[int]:
    """The clues among ``clue_ids`` (None: among all clues) that a post of time ``at`` may
    join, as the database has them now."""
    if clue_ids is not None and not clue_ids:
        return set()
    condition = (
        Clue.merged_into_id.is_(None),
        or_(
            (Clue.state.in_(OPEN_STATES))
            & (Clue.last_post_at >= at - timedelta(days=grouping.window_days)),
            Clue.closed_at >= at - timedelta(days=grouping.recurrence_days),
        ),
    )
    if clue_ids is None:
        return set(session.scalars(select(Clue.id).where(*condition)))
    ordered = sorted(clue_ids)
    found: set[int] = set()
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        found.update(session.scalars(select(Clue.id).where(Clue.id.in_(chunk), *condition)))
    return found


@dataclass
class ClueTimes:
    """What eligibility reads of a clue."""

    state: str
    last_post_at: datetime | None
    closed_at: datetime | None
    first_post_at: datetime | None = None


class ClueEligibility:
    """Eligibility and place of clues for the posts of one batch, one post at a time: the
    clues as the database has them (loaded on first use), updated with the posts the batch has
    put into them so far, as the next batch would read them once their summaries are
    refreshed. ``places`` maps each loaded clue to the place its posts name (its summary's:
    the most common of each kind; a clue started or first located in this batch: the place
    of its first post that names one)."""

    def __init__(self, session: Session, grouping: GroupingConfig) -> None:
        self._session = session
        self._window = timedelta(days=grouping.window_days)
        self._recurrence = timedelta(days=grouping.recurrence_days)
        self._times: dict[int, ClueTimes | None] = {}  # None: merged or gone
        self.places: dict[int, Place] = {}

    def load(self, clue_ids: Iterable[int]) -> None:
        missing = sorted({c for c in clue_ids if c not in self._times and c >= 0})
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            self._times.update(dict.fromkeys(chunk))
            for row in self._session.execute(
                select(
                    Clue.id,
                    Clue.state,
                    Clue.last_post_at,
                    Clue.closed_at,
                    Clue.first_post_at,
                    Clue.district,
                    Clue.street,
                    Clue.community,
                    Clue.landmark,
                    Clue.road,
                    Clue.region,
                ).where(Clue.id.in_(chunk), Clue.merged_into_id.is_(None))
            ):
                self._times[row.id] = ClueTimes(
                    row.state, row.last_post_at, row.closed_at, row.first_post_at
                )
                self.places[row.id] = Place.of(row)

    def eligible(self, clue_id: int, at: datetime) -> bool:
        """Whether a post of time ``at`` may join the clue (the rule of
        ``eligible_clue_ids`` and the first-post bound)."""
        if clue_id not in self._times:
            self.load([clue_id])
        times = self._times.get(clue_id)
        if times is None:
            return False
        if times.first_post_at is not None and times.first_post_at > at + self._window:
            return False
        if (
            times.state in OPEN_STATES
            and times.last_post_at is not None
            and times.last_post_at >= at - self._window
        ):
            return True
        return times.closed_at is not None and times.closed_at >= at - self._recurrence

    def started(self, clue_id: int, when: datetime, place: Place | None = None) -> None:
        """A clue started in this batch by a post of time ``when`` (and ``place``)."""
        self._times[clue_id] = ClueTimes("pending", when, None, when)
        self.places[clue_id] = place or Place()

    def joined(self, clue_id: int, when: datetime, place: Place | None = None) -> None:
        """A post of time ``when`` (and ``place``) joined the clue (its last post moves
        forward; a clue that named no place takes the post's)."""
        if clue_id not in self._times:
            self.load([clue_id])
        if place is not None and place.named() and not self.places.get(clue_id, Place()).named():
            self.places[clue_id] = place
        times = self._times.get(clue_id)
        if times is None:
            return
        if times.last_post_at is None or when > times.last_post_at:
            times.last_post_at = when
        if times.first_post_at is None or when < times.first_post_at:
            times.first_post_at = when
