"""Which posts belong to which clue: merge one clue into another, split posts
out into a new clue, confirm suggested duplicates. Posts move with both their
``clue_posts`` row and ``post_analyses.clue_id``; the clues are refreshed from
their posts (keeping analysts' corrections)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clue_pipeline.storage.grouping_decisions import OTHER as OTHER_PROBLEM
from clue_pipeline.storage.grouping_decisions import SAME as SAME_PROBLEM
from clue_pipeline.storage.models import Clue, CluePost, PostAnalysis
from verification import clue_states
from verification.claims import end_claim_of, require_free
from verification.clue_states import MERGED, PENDING
from verification.config import WorkflowConfig, load_workflow_config
from verification.errors import InvalidInput, TransitionForbidden
from verification.inputs import actor, moment
from verification.transactions import lock_clue

SUGGESTED = "suggested"
CONFIRMED = "confirmed"


def refresh(session: Session, clue_ids: set[int], now: datetime) -> None:
    """Recompute the clues' summaries from their posts, as processing does."""
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.processing.runner import refresh_clues

    config = load_processing_config()
    session.flush()
    refresh_clues(session, clue_ids, ProcessingContext.load(config), config, now)


def suggested_posts(session: Session, clue_id: int) -> list[int]:
    return list(
        session.scalars(
            select(CluePost.post_id)
            .where(CluePost.clue_id == clue_id, CluePost.membership == SUGGESTED)
            .order_by(CluePost.id)
        )
    )


def require_no_suggestions(session: Session, clue: Clue, action: str) -> None:
    waiting = suggested_posts(session, clue.id)
    if waiting:
        ids = " ".join(str(i) for i in waiting)
        raise TransitionForbidden(
            f"cannot {action} clue {clue.id}: {len(waiting)} suggested duplicate posts wait "
            f"for a decision ({ids}); hint: confirm them with clues clue confirm {clue.id} {ids} "
            f"or split them out with clues clue split {clue.id} POST_ID"
        )


def _members(session: Session, clue_id: int, post_ids: Sequence[int]) -> list[CluePost]:
    wanted = list(dict.fromkeys(int(p) for p in post_ids))
    if not wanted:
        raise InvalidInput("no post ids given; hint: name the posts, e.g. 12 15")
    rows = {
        row.post_id: row
        for row in session.scalars(
            select(CluePost).where(CluePost.clue_id == clue_id, CluePost.post_id.in_(wanted))
        )
    }
    missing = [p for p in wanted if p not in rows]
    if missing:
        listed = ", ".join(str(p) for p in missing)
        raise InvalidInput(
            f"post {listed} is not in clue {clue_id}; "
            f"hint: clues clue show {clue_id} lists its posts"
        )
    return [rows[p] for p in wanted]


def _move(session: Session, post_ids: list[int], to_clue: int) -> None:
    session.execute(update(CluePost).where(CluePost.post_id.in_(post_ids)).values(clue_id=to_clue))
    session.execute(
        update(PostAnalysis).where(PostAnalysis.post_id.in_(post_ids)).values(clue_id=to_clue)
    )


def confirm_duplicates(
    session: Session,
    clue_id: int,
    post_ids: Sequence[int],
    *,
    by: str,
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> Clue:
    """Suggested duplicates become confirmed members of the clue."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    clue = lock_clue(session, clue_id)
    clue_states.require(clue, "confirm")
    require_free(session, clue, by, now, config)
    rows = _members(session, clue.id, post_ids)
    not_suggested = [r.post_id for r in rows if r.membership != SUGGESTED]
    if not_suggested:
        listed = ", ".join(str(p) for p in not_suggested)
        raise InvalidInput(f"post {listed} of clue {clue.id} is no suggested duplicate")
    for row in rows:
        row.membership = CONFIRMED
    details: dict[str, object] = {"posts": [r.post_id for r in rows]}
    same = [[r.post_id, r.matched_post_id] for r in rows if r.matched_post_id is not None]
    if same:  # training pairs for the embedder (clue_pipeline.storage.grouping_decisions)
        details[SAME_PROBLEM] = same
    clue_states.advance(session, clue, "confirm", by=by, now=now, details=details)
    session.flush()
    return clue


def split(
    session: Session,
    clue_id: int,
    post_ids: Sequence[int],
    *,
    by: str,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> Clue:
    """Move posts out of a clue into a new pending clue (a rejected suggestion
    is split out this way); returns the new clue."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    clue = lock_clue(session, clue_id)
    clue_states.require(clue, "split")
    require_free(session, clue, by, now, config)
    rows = _members(session, clue.id, post_ids)
    remaining = session.query(CluePost).filter(CluePost.clue_id == clue.id).count()
    if len(rows) >= remaining:
        raise InvalidInput(
            f"cannot split every post out of clue {clue.id}; hint: leave at least one, "
            "or reject the clue instead"
        )
    new = Clue(state=PENDING, created_at=now, updated_at=now, last_post_at=now)
    session.add(new)
    session.flush()
    moved = [r.post_id for r in rows]
    # a post split away from the post it was matched to is about another problem: the
    # embedder learns from it (clue_pipeline.storage.grouping_decisions)
    apart = [
        [r.post_id, r.matched_post_id]
        for r in rows
        if r.matched_post_id is not None and r.matched_post_id not in moved
    ]
    for index, row in enumerate(rows):
        row.membership = "seed" if index == 0 else CONFIRMED
        row.similarity = None
        row.matched_post_id = None
    session.flush()
    _move(session, moved, new.id)
    details: dict[str, object] = {"posts": moved, "to": new.id}
    if apart:
        details[OTHER_PROBLEM] = apart
    clue_states.advance(session, clue, "split", by=by, now=now, note=note, details=details)
    clue_states.created(
        session, new, "split_off", by=by, now=now, note=note, details={"from": clue.id}
    )
    refresh(session, {clue.id, new.id}, now)
    session.flush()
    return new


def merge(
    session: Session,
    clue_id: int,
    into_id: int,
    *,
    by: str,
    note: str = "",
    now: datetime | None = None,
    config: WorkflowConfig | None = None,
) -> Clue:
    """Merge clue ``clue_id`` into ``into_id``: its posts move over, it holds
    none afterwards and points to its survivor. Returns the survivor."""
    by, now, config = actor(by), moment(now), config or load_workflow_config()
    if clue_id == into_id:
        raise InvalidInput(f"cannot merge clue {clue_id} into itself")
    # lock in id order, so two merges of the same pair cannot deadlock
    first, second = sorted((clue_id, into_id))
    locked = {first: lock_clue(session, first), second: lock_clue(session, second)}
    clue, survivor = locked[clue_id], locked[into_id]
    if clue.state == clue_states.FILED:
        raise TransitionForbidden(
            f"cannot merge clue {clue.id}: it is filed; hint: merge the other clue into it: "
            f"clues clue merge {survivor.id} --into {clue.id}"
        )
    clue_states.require(clue, "merge")
    if not clue_states.allowed(survivor.state, "absorb"):
        hint = (
            f"it was merged into clue {survivor.merged_into_id}; merge into that one"
            if survivor.merged_into_id
            else f"reopen it first: clues clue reopen {survivor.id}"
        )
        raise TransitionForbidden(
            f"cannot merge clue {clue.id} into clue {survivor.id}: it is {survivor.state}; "
            f"hint: {hint}"
        )
    require_free(session, clue, by, now, config)
    require_free(session, survivor, by, now, config)
    moved = list(
        session.scalars(
            select(CluePost.post_id).where(CluePost.clue_id == clue.id).order_by(CluePost.id)
        )
    )
    survivor_first = session.scalars(
        select(CluePost.post_id).where(CluePost.clue_id == survivor.id).order_by(CluePost.id)
    ).first()
    _move(session, moved, survivor.id)
    # clues merged into this one earlier now point to the survivor as well
    session.execute(
        update(Clue).where(Clue.merged_into_id == clue.id).values(merged_into_id=survivor.id)
    )
    end_claim_of(session, clue, "merged", now)
    clue_states.advance(
        session,
        clue,
        "merge",
        by=by,
        now=now,
        note=note,
        details={"into": survivor.id, "posts": moved},
    )
    clue.merged_into_id = survivor.id
    absorbed: dict[str, object] = {"from": clue.id, "posts": moved}
    if moved and survivor_first is not None:
        # the first posts of both clues are about one problem: a training pair for the
        # embedder (clue_pipeline.storage.grouping_decisions)
        absorbed[SAME_PROBLEM] = [[moved[0], survivor_first]]
    clue.post_count = clue.author_count = clue.platform_count = clue.engagement = 0
    clue_states.advance(
        session,
        survivor,
        "absorb",
        by=by,
        now=now,
        note=note,
        details=absorbed,
    )
    refresh(session, {survivor.id}, now)
    session.flush()
    return survivor


__all__ = [
    "CONFIRMED",
    "MERGED",
    "SUGGESTED",
    "confirm_duplicates",
    "merge",
    "refresh",
    "require_no_suggestions",
    "split",
    "suggested_posts",
]
