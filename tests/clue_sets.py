"""The clues of a database as sets of posts, to compare two ways of processing the same
posts (batch sizes, runs)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine, select

from clue_pipeline.storage.db import session_scope
from clue_pipeline.storage.models import CluePost, Post


def clue_sets(engine: Engine) -> list[list[tuple[str, str, str]]]:
    """Each clue as the sorted (platform, external id, membership) of its posts, sorted."""
    with session_scope(engine) as session:
        members = session.execute(
            select(Post.platform, Post.external_id, CluePost.clue_id, CluePost.membership).join(
                CluePost, CluePost.post_id == Post.id
            )
        ).all()
    groups = defaultdict(set)
    for platform, external_id, clue_id, membership in members:
        groups[clue_id].add((platform, external_id, membership))
    return sorted(sorted(g) for g in groups.values())
