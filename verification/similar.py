"""Why a clue's posts were grouped as they are: the nearest posts each one
had when processing placed it (with their similarity), and the other open
clues those neighbours now belong to: candidates for a merge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.processing.grouping import author_key
from clue_pipeline.storage.models import Clue, CluePost, Post
from verification import clue_states

MAX_CANDIDATES = 5
# neighbours below this share of the processing's ``grouping.suggest`` (as similar as a
# suggested duplicate) are too far apart to offer as a merge
CANDIDATE_SHARE = 1.0


def _pairs(raw: Any) -> list[tuple[int, float]]:
    pairs = []
    for entry in raw or []:
        try:
            post_id, similarity = entry
            pairs.append((int(post_id), float(similarity)))
        except (TypeError, ValueError):
            continue
    return pairs


def nearest_posts(session: Session, clue: Clue) -> list[dict[str, Any]]:
    """For each post of the clue: its nearest posts at grouping time, each
    with its similarity, the clue it belongs to now and whether the member's own
    author wrote it (``same_author``: grouping counted it as closer)."""
    members = [m for m in (clue.why or {}).get("members", []) if isinstance(m, dict)]
    wanted = {pid for m in members for pid, _ in _pairs(m.get("nearest"))}
    wanted |= {m["post_id"] for m in members if isinstance(m.get("post_id"), int)}
    found: dict[int, tuple[Post, int | None, str | None]] = {}
    if wanted:
        rows = session.execute(
            select(Post, CluePost.clue_id, Clue.state)
            .outerjoin(CluePost, CluePost.post_id == Post.id)
            .outerjoin(Clue, Clue.id == CluePost.clue_id)
            .where(Post.id.in_(wanted))
        )
        found = {post.id: (post, clue_id, state) for post, clue_id, state in rows}
    out = []
    for member in members:
        own = found.get(member.get("post_id"))
        author = author_key(own[0].platform, own[0].author) if own else None
        neighbours = []
        for post_id, similarity in _pairs(member.get("nearest")):
            if post_id == member.get("post_id") or post_id not in found:
                continue
            post, clue_id, state = found[post_id]
            neighbours.append(
                {
                    "post_id": post_id,
                    "similarity": round(similarity, 4),
                    "platform": post.platform,
                    "title": post.title,
                    "text": post.text,
                    "clue_id": clue_id,
                    "clue_state": state,
                    "same_clue": clue_id == clue.id,
                    "same_author": author is not None
                    and author_key(post.platform, post.author) == author,
                }
            )
        out.append({"post_id": member.get("post_id"), "nearest": neighbours})
    return out


def candidate_floor() -> float:
    from clue_pipeline.processing.config import load_processing_config

    return round(load_processing_config().grouping.suggest * CANDIDATE_SHARE, 4)


def merge_candidates(
    session: Session, clue: Clue, *, min_similarity: float | None = None
) -> list[dict[str, Any]]:
    """Other clues holding a nearest neighbour of this clue's posts (at
    least ``min_similarity``, default: ``candidate_floor()``), most similar
    first: those one may merge with (this one into it, or it into this one)."""
    floor = candidate_floor() if min_similarity is None else min_similarity
    best: dict[int, dict[str, Any]] = {}
    for member in nearest_posts(session, clue):
        for near in member["nearest"]:
            other = near["clue_id"]
            if other is None or other == clue.id or near["similarity"] < floor:
                continue
            entry = best.get(other)
            if entry is None or near["similarity"] > entry["similarity"]:
                best[other] = {
                    "clue_id": other,
                    "similarity": near["similarity"],
                    "via_post": member["post_id"],
                    "matched_post": near["post_id"],
                }
    if not best:
        return []
    clues = {c.id: c for c in session.scalars(select(Clue).where(Clue.id.in_(list(best))))}
    out = []
    for entry in sorted(best.values(), key=lambda e: (-e["similarity"], e["clue_id"])):
        other = clues.get(entry["clue_id"])
        if other is None or other.state == clue_states.MERGED:
            continue
        out.append(
            {
                **entry,
                "title": other.title,
                "state": other.state,
                "category": other.category,
                "district": other.district,
                "post_count": other.post_count,
                "can_merge_into": clue_states.allowed(other.state, "absorb")
                and clue_states.allowed(clue.state, "merge"),
                "can_absorb": clue_states.allowed(clue.state, "absorb")
                and clue_states.allowed(other.state, "merge"),
            }
        )
    return out[:MAX_CANDIDATES]
