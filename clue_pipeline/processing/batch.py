"""Per-batch helpers of the processing stage that replace per-post work with one
vectorised or bulk operation per batch (same results, fewer round trips):

- ``BatchNeighbours``: the earlier posts of the batch nearest to each post, from one
  Gram matrix of the batch instead of one matrix-vector product per post;
- ``PendingClues``: clues started inside a batch get a temporary (negative) id at once
  and their real ids from one INSERT at the end of the batch, instead of one flush per
  new clue;
- ``insert_clue_posts``: the batch's clue memberships in one executemany."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from clue_pipeline.processing.grouping import Assigned, Neighbour, assigned_neighbours
from clue_pipeline.storage.models import Clue, CluePost


class BatchNeighbours:
    """Neighbours of post ``i`` among the earlier posts of the batch that have a clue
    (``assigned[j]`` is None for the others) able to take post ``i`` (``usable``, of a clue
    id; all when not given): the ``k`` most similar of them, from one Gram matrix, as a
    search of the window filtered the same way would find them."""

    def __init__(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._gram = vectors @ vectors.T if len(vectors) else np.zeros((0, 0), np.float32)
        self._usable = np.zeros(len(vectors), dtype=bool)
        self._seen = 0

    def __call__(
        self,
        index: int,
        assigned: Sequence[Assigned | None],
        k: int,
        usable: Callable[[int], bool] | None = None,
    ) -> list[Neighbour]:
        for j in range(self._seen, index):  # assigned only grows: each slot is read once
            self._usable[j] = assigned[j] is not None
        self._seen = max(self._seen, index)
        candidates = np.flatnonzero(self._usable[:index])
        if len(candidates) == 0 or k <= 0:
            return []
        sims = self._gram[index, :index]
        width = k
        while True:  # widen until k usable ones are among the nearest, or all were looked at
            if len(candidates) > width:
                top = candidates[np.argpartition(-sims[candidates], width - 1)[:width]]
            else:
                top = candidates
            order = top[np.argsort(-sims[top], kind="stable")]
            found = assigned_neighbours(order, sims, assigned)
            if usable is not None:
                found = [n for n in found if usable(n.clue_id)]
            if len(found) >= k or len(top) == len(candidates):
                return found[:k]
            width *= 4


class PendingClues:
    """Clues started during one batch: a negative id now, the real id after ``insert``."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._count = 0
        self._real: dict[int, int] = {}

    def new(self) -> int:
        self._count += 1
        return -self._count

    def __len__(self) -> int:
        return self._count

    def insert(self, session: Session) -> None:
        """Insert the new clues (one statement) and learn their ids."""
        if not self._count:
            return
        row = {
            "state": "pending",
            "created_at": self._now,
            "updated_at": self._now,
            "last_post_at": self._now,
        }
        ids = session.scalars(
            insert(Clue).returning(Clue.id, sort_by_parameter_order=True),
            [dict(row) for _ in range(self._count)],
        ).all()
        self._real = {-(n + 1): int(clue_id) for n, clue_id in enumerate(ids)}

    def real(self, clue_id: int) -> int:
        """The real id of ``clue_id`` (itself when it is no temporary id)."""
        return self._real[clue_id] if clue_id < 0 else clue_id


def insert_clue_posts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Clue memberships (CluePost columns) in one executemany."""
    if rows:
        session.execute(insert(CluePost.__table__), list(rows))
