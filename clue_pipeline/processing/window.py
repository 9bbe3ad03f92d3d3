"""The index the grouping searches: only the vectors of posts whose clue can still attract
posts at the window's time (open and active within ``grouping.window_days`` of it, or
closed within ``recurrence_days`` of it; what ``eligibility.eligible_clue_ids`` decides).

Every grouped post stays in the persisted index (``VectorIndex``, rebuildable from the
database); the window is an exact in-memory index beside it, built when a run starts and
kept up to date batch by batch. A search over all posts would look at the whole history
only to throw away the neighbours in clues that cannot take a post any more: its cost
grows with the history, the window's with the posts of the window. It also finds the k
nearest posts that a post can actually join, where the whole-history search could return
k neighbours of which none is eligible.

Eligibility is relative to each post's own time (``eligibility.py``), and pending posts are
processed in publication order, so the window follows the time: the runner keeps it at (or
before) the earliest post of the batch it serves and ``move``s it when a batch's earliest
post has moved on by more than a day (or lies before it), which evicts the posts of the
clues that no later post can join and so keeps the search bounded by the window while a
backlog of months is processed in one run. A clue eligible at a time is eligible at every
earlier one (for one state of the clues), so the window holds every post that any post of
the batch may join, and a few more; each post filters the neighbours found here by its own
time. A clue that is not eligible at the window's time does not become so during the run (a
clue's last post only moves forward, and only an eligible clue takes posts); an analyst's
reopening during a run is seen by the next move or run. When the window grows past
``index.approximate_above`` vectors the search falls back to the persisted index, which is
approximate at that size."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.index import IndexSettings, VectorIndex
from clue_pipeline.storage.models import CluePost

#: the clues among the given ones (None: among all clues) eligible at the window's time
EligibleClues = Callable[[Session, set[int] | None], set[int]]
CHUNK = 5000


class WindowedIndex:
    """Adds go to the persisted index and, once their clue is known to be eligible
    (``settle`` after each batch), to the window; searches go to the window."""

    def __init__(self, index: VectorIndex, approximate_above: int) -> None:
        self.index = index
        self.approximate_above = approximate_above
        self.window = VectorIndex(index.dim, IndexSettings(approximate_above=2**62))
        self._pending: list[tuple[np.ndarray, np.ndarray, list[int]]] = []

    @classmethod
    def open(
        cls,
        session: Session,
        index: VectorIndex,
        eligible: EligibleClues,
        approximate_above: int,
    ) -> WindowedIndex:
        """The window of the posts already grouped into eligible clues."""
        windowed = cls(index, approximate_above)
        windowed._add_to_window(_post_ids_of(session, eligible(session, None)))
        return windowed

    def move(self, session: Session, eligible: EligibleClues) -> tuple[int, int]:
        """Make the window hold the posts of the clues ``eligible`` now names (its time
        moved): evict the others, add those missing. How many were evicted and added."""
        keep = _post_ids_of(session, eligible(session, None))
        held = self.window.ids()
        evicted = self.window.remove(np.setdiff1d(held, keep, assume_unique=True))
        missing = np.setdiff1d(keep, held, assume_unique=True)
        before = len(self.window)
        self._add_to_window(missing)
        return evicted, len(self.window) - before

    def __len__(self) -> int:
        return len(self.index)

    @property
    def uses_window(self) -> bool:
        return len(self.window) <= self.approximate_above

    def widest(self, k: int) -> int:
        """The widest search worth making to find ``k`` neighbours a post can join: the whole
        window while it is searched (exact, so they are always found); past it, on the
        approximate persisted index, ``8 k``."""
        return len(self.window) if self.uses_window else min(len(self.index), 8 * k)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Similarities and post ids of the ``k`` nearest posts of the window."""
        if self.uses_window:
            return self.window.search(vectors, k)
        return self.index.search(vectors, k)

    def add(self, ids: np.ndarray, vectors: np.ndarray, clue_ids: Sequence[int]) -> None:
        """Posts ``ids`` just grouped into ``clue_ids`` (one per post)."""
        self.index.add(ids, vectors)
        if len(ids):
            self._pending.append((np.asarray(ids, dtype=np.int64), vectors, list(clue_ids)))

    def settle(self, session: Session, eligible: EligibleClues) -> None:
        """Move the posts added since the last call into the window when their clue is
        eligible (after the batch wrote its clues)."""
        if not self._pending:
            return
        ids = np.concatenate([i for i, _, _ in self._pending])
        vectors = np.vstack([v for _, v, _ in self._pending])
        clue_of = [c for _, _, clues in self._pending for c in clues]
        self._pending.clear()
        active = eligible(session, set(clue_of))
        keep = np.array([clue in active for clue in clue_of], dtype=bool)
        if keep.any():
            self.window.add(ids[keep], vectors[keep])

    def _add_to_window(self, post_ids: np.ndarray) -> None:
        if len(post_ids) == 0:
            return
        found, vectors = self.index.reconstruct(post_ids)
        self.window.add(found, vectors)


def _post_ids_of(session: Session, clue_ids: set[int]) -> np.ndarray:
    """The posts of the clues, sorted."""
    found = _in_chunks(
        clue_ids,
        lambda chunk: set(
            session.scalars(select(CluePost.post_id).where(CluePost.clue_id.in_(chunk)))
        ),
    )
    return np.array(sorted(found), dtype=np.int64)


def _in_chunks(values: set[int], query: Callable[[set[int]], set[int]]) -> set[int]:
    ordered = sorted(values)
    found: set[int] = set()
    for start in range(0, len(ordered), CHUNK):
        found |= query(set(ordered[start : start + CHUNK]))
    return found
