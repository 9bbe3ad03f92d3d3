"""The index the grouping searches: only the vectors of posts whose clue can still attract
posts (open and active within ``grouping.window_days``, or closed within
``recurrence_days``; what ``_eligible_clue_ids`` decides).

Every grouped post stays in the persisted index (``VectorIndex``, rebuildable from the
database); the window is an exact in-memory index beside it, built when a run starts and
kept up to date batch by batch. A search over all posts would look at the whole history
only to throw away the neighbours in clues that cannot take a post any more: its cost
grows with the history, the window's with the posts of the window. It also finds the k
nearest posts that a post can actually join, where the whole-history search could return
k neighbours of which none is eligible.

Within one run the clock (``now``) is fixed, so a clue that is not eligible does not
become so (a clue's last post only moves forward, and only an eligible clue takes posts);
an analyst's reopening during a run is seen by the next run. When the window grows past
``index.approximate_above`` vectors the search falls back to the persisted index, which
is approximate at that size."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.index import IndexSettings, VectorIndex
from clue_pipeline.storage.models import Clue, CluePost

EligibleClues = Callable[[Session, set[int]], set[int]]
CHUNK = 5000


class WindowedIndex:
    """Adds go to the persisted index and, once their clue is known to be eligible
    (``settle`` after each batch), to the window; searches go to the window."""

    def __init__(self, index: VectorIndex, approximate_above: int) -> None:
        self.index = index
        self.approximate_above = approximate_above
        self.window = VectorIndex(index.dim, IndexSettings(approximate_above=2**62))
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []

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
        clue_ids = set(session.scalars(select(Clue.id).where(Clue.merged_into_id.is_(None))))
        active = _in_chunks(clue_ids, lambda chunk: eligible(session, chunk))
        post_ids = sorted(
            _in_chunks(
                active,
                lambda chunk: set(
                    session.scalars(select(CluePost.post_id).where(CluePost.clue_id.in_(chunk)))
                ),
            )
        )
        windowed._add_to_window(np.array(post_ids, dtype=np.int64))
        return windowed

    def __len__(self) -> int:
        return len(self.index)

    @property
    def uses_window(self) -> bool:
        return len(self.window) <= self.approximate_above

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
        active = _in_chunks(set(clue_of), lambda chunk: eligible(session, chunk))
        keep = np.array([clue in active for clue in clue_of], dtype=bool)
        if keep.any():
            self.window.add(ids[keep], vectors[keep])

    def _add_to_window(self, post_ids: np.ndarray) -> None:
        if len(post_ids) == 0:
            return
        found, vectors = self.index.reconstruct(post_ids)
        self.window.add(found, vectors)


def _in_chunks(values: set[int], query: Callable[[set[int]], set[int]]) -> set[int]:
    ordered = sorted(values)
    found: set[int] = set()
    for start in range(0, len(ordered), CHUNK):
        found |= query(set(ordered[start : start + CHUNK]))
    return found
