"""Group: decide, post by post, whether a post joins an open clue
automatically, joins as a suggested duplicate, or starts a new clue.

Pure logic over vectors and places; the runner feeds it neighbours from the
FAISS index and writes the result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from clue_pipeline.locate.elsewhere import region_completed, regions_differ
from clue_pipeline.processing.config import GroupingConfig


@dataclass(frozen=True)
class Place:
    district: str | None = None
    street: str | None = None
    community: str | None = None
    landmark: str | None = None
    road: str | None = None
    region: str | None = None

    @classmethod
    def of(cls, row: Mapping[str, object] | object) -> Place:
        """The place of a row with the place columns (a dict, or a row or object with them as
        attributes): an analysis or a clue."""
        if isinstance(row, Mapping):
            return cls(**{level: row[level] for level in PLACE_LEVELS})
        return cls(**{level: getattr(row, level) for level in PLACE_LEVELS})

    def named(self) -> bool:
        """Whether the post names any place at all."""
        return any(getattr(self, level) for level in PLACE_LEVELS)

    def completed_by(self, other: Place | None) -> Place:
        """This place with the kinds it leaves open taken from ``other`` (a clue's place),
        when ``other`` agrees with every kind both name; else this place unchanged."""
        if other is None or other == self:
            return self
        return _completed(self, other)


@lru_cache(maxsize=1 << 16)
def _completed(place: Place, other: Place) -> Place:
    """``Place.completed_by`` (cached: a batch compares the same few places many times)."""
    filled = {}
    for level in PLACE_LEVELS:
        mine, theirs = getattr(place, level), getattr(other, level)
        if mine and theirs and _differ(level, mine, theirs):
            return place
        if level == "region" and mine and theirs:
            filled[level] = region_completed(mine, theirs)
        else:
            filled[level] = mine or theirs
    return Place(**filled)


@dataclass(frozen=True)
class Neighbour:
    """An already grouped post: its clue, its place and who wrote it (``author_key``)."""

    post_id: int
    clue_id: int
    similarity: float
    place: Place
    author: str | None = None


@dataclass
class Decision:
    membership: str  # seed | exact | auto | suggested
    clue_id: int | None  # None: a new clue (seed)
    similarity: float | None = None
    matched_post_id: int | None = None
    nearest: list[tuple[int, float]] = field(default_factory=list)


#: the widest first: a road and a community both lie in a street (a road may cross several);
#: the region (another city and county, named outside the gazetteer) before them all
PLACE_LEVELS = ("region", "district", "street", "road", "community", "landmark")


def _differ(level: str, mine: str, theirs: str) -> bool:
    """Whether two names of one kind of place are two places (regions: ``regions_differ``,
    "A市/A2区" and "A市" may be one)."""
    return regions_differ(mine, theirs) if level == "region" else mine != theirs


def place_adjustment(a: Place, b: Place, config: GroupingConfig) -> float:
    """Places both posts name, from the widest kind: the first kind where they differ counts
    as farther (``other_*``: two landmarks of one street a little, two roads or two districts
    much);
    when every kind both name agrees, the most specific one counts as closer (``same_*``).
    Posts that differ only in their place ("the lamps of X road are out", "... of Y road")
    are about two problems, however alike their words."""
    shared = None
    for level in PLACE_LEVELS:
        mine, theirs = getattr(a, level), getattr(b, level)
        if mine and theirs:
            if _differ(level, mine, theirs):
                return getattr(config, f"other_{level}")
            if mine == theirs:
                shared = level
    return getattr(config, f"same_{shared}") if shared else 0.0


def author_key(platform: str, author: str | None) -> str | None:
    """Who wrote a post, as grouping compares authors: one account of one platform (the same
    name on two platforms may be two people); None when the platform gives no author."""
    author = (author or "").strip()
    return f"{platform}\x00{author}" if author else None


def decide(
    neighbours: Sequence[Neighbour],
    place: Place,
    config: GroupingConfig,
    clue_places: Mapping[int, Place] | None = None,
    author: str | None = None,
) -> Decision:
    """The clue this post belongs to, from its nearest grouped posts.

    A neighbour's place is completed by its clue's (``clue_places``, clue id -> the place its
    posts name): a post that names no place ("the water is off again") must not carry a post
    from another community into the clue it joined. A neighbour by the post's own ``author``
    (``author_key``) counts as closer by ``same_author``: a resident writing again about
    the same thing ("再次反映") is following up one problem."""
    clue_places = clue_places or {}
    best: Neighbour | None = None
    best_score = -1.0
    nearest: list[tuple[int, float]] = []
    for neighbour in sorted(neighbours, key=lambda n: -n.similarity):
        theirs = neighbour.place.completed_by(clue_places.get(neighbour.clue_id))
        score = neighbour.similarity + place_adjustment(place, theirs, config)
        if author is not None and neighbour.author == author:
            score += config.same_author
        nearest.append((neighbour.post_id, round(float(neighbour.similarity), 4)))
        if score > best_score:
            best, best_score = neighbour, score
    nearest = nearest[:5]
    if best is not None and best_score >= config.auto_merge:
        return Decision("auto", best.clue_id, round(best_score, 4), best.post_id, nearest)
    if best is not None and best_score >= config.suggest:
        return Decision("suggested", best.clue_id, round(best_score, 4), best.post_id, nearest)
    return Decision("seed", None, None, None, nearest)


#: a post of the batch given its clue: (post id, clue id, place, author key)
Assigned = tuple[int, int, Place, str | None]


def assigned_neighbours(
    order: Iterable[int], sims: np.ndarray, assigned: Sequence[Assigned | None]
) -> list[Neighbour]:
    """The posts of ``order`` (earlier posts of the batch, most similar first; ``sims`` their
    similarities) that already have a clue (``assigned[j]``, else None)."""
    found = []
    for j in order:
        slot = assigned[int(j)]
        if slot is not None:
            post_id, clue_id, place, author = slot
            found.append(Neighbour(post_id, clue_id, float(sims[j]), place, author))
    return found
