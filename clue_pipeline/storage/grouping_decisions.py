"""Analysts' grouping decisions as labelled post pairs: the training data of
``clues embedder train --from-decisions``.

Each decision about which posts belong together is recorded in its audit event
(``verification.membership``) as pairs of post ids:

- ``same_problem``: a suggested duplicate confirmed (with the post it was matched to), or one
  clue merged into another (the first posts of both);
- ``other_problem``: a post split out of the clue it was grouped into (with the post it was
  matched to there): a rejected suggestion, or an automatic merge that was wrong.

The latest decision about a pair wins. Confirmations made before the audit events carried
pairs are read from the confirmed memberships themselves (the post and its matched post)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.storage.models import AuditEvent, CluePost

SAME = "same_problem"
OTHER = "other_problem"
#: the audit details keys and the label each gives its pairs
LABELS = {SAME: 1, OTHER: 0}


@dataclass(frozen=True)
class DecidedPair:
    """Two posts an analyst said are about one problem (``label`` 1) or two (0)."""

    post_a: int
    post_b: int
    label: int


def decided_pairs(session: Session) -> list[DecidedPair]:
    """Every pair of posts analysts decided on, the latest decision per pair, in the order of
    the decisions."""
    latest: dict[frozenset[int], DecidedPair] = {}
    confirmed = session.execute(
        select(CluePost.post_id, CluePost.matched_post_id)
        .where(CluePost.membership == "confirmed", CluePost.matched_post_id.is_not(None))
        .order_by(CluePost.id)
    )
    for post, matched in confirmed:
        _keep(latest, int(post), int(matched), 1)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(("confirm", "absorb", "split")))
        .order_by(AuditEvent.id)
    )
    for event in events:
        details = event.details or {}
        for key, label in LABELS.items():
            for pair in details.get(key) or ():
                if len(pair) == 2:
                    latest.pop(frozenset(int(p) for p in pair), None)
                    _keep(latest, int(pair[0]), int(pair[1]), label)
    return list(latest.values())


def _keep(latest: dict[frozenset[int], DecidedPair], a: int, b: int, label: int) -> None:
    if a != b:
        latest[frozenset((a, b))] = DecidedPair(a, b, label)
