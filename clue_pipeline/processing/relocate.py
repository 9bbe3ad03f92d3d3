"""Locate again: the places of every processed post from the gazetteer as it is now.

An operator who edits ``config/gazetteer.yaml`` (a new estate, a renamed road) or upgrades
from a version that located fewer kinds of place (roads came with schema 0006, regions with
0007) runs this once (``clues process --relocate``). Each post's region, district, street,
road, community and landmark are found again from its analysed text and its location text;
the posts whose place changed are written back and their clues' summaries refreshed (place,
routing, priority), corrections by analysts kept. Memberships are not changed: which clue a
post is in stays an analyst's or the grouping's decision, and later posts are grouped
against the new places.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, func, select, update

from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.context import ProcessingContext
from clue_pipeline.processing.grouping import PLACE_LEVELS as PLACE_COLUMNS
from clue_pipeline.processing.grouping import Place
from clue_pipeline.storage.db import session_scope
from clue_pipeline.storage.models import Post, PostAnalysis
from clue_pipeline.storage.types import utcnow

log = logging.getLogger(__name__)

CHUNK = 2000


@dataclass
class RelocateReport:
    posts: int = 0  # analysed posts looked at
    changed: int = 0  # whose place changed
    clues: int = 0  # clues whose summary was refreshed

    def line(self) -> str:
        return (
            f"located {self.posts} posts again: {self.changed} changed place, "
            f"{self.clues} clues refreshed"
        )


def relocate_posts(
    engine: Engine,
    *,
    config: ProcessingConfig,
    context: ProcessingContext | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RelocateReport:
    """Run Locate again over every analysed post, one chunk of posts per transaction."""
    from clue_pipeline.processing.runner import refresh_clues

    context = context or ProcessingContext.load(config)
    now = now or utcnow()
    report = RelocateReport()
    with session_scope(engine) as session:
        total = session.scalar(select(func.count()).select_from(PostAnalysis)) or 0
    after = 0
    refreshed: set[int] = set()
    while True:
        with session_scope(engine) as session:
            rows = session.execute(
                select(
                    PostAnalysis.post_id,
                    PostAnalysis.text,
                    PostAnalysis.clue_id,
                    *(getattr(PostAnalysis, c) for c in PLACE_COLUMNS),
                    Post.location_text,
                )
                .join(Post, Post.id == PostAnalysis.post_id)
                .where(PostAnalysis.post_id > after)
                .order_by(PostAnalysis.post_id)
                .limit(CHUNK)
            ).all()
            if not rows:
                break
            after = rows[-1].post_id
            changes, touched = [], set()
            for row in rows:
                place = Place.of(context.locator.locate(row.text or "", row.location_text))
                if place != Place.of(row):
                    changes.append(
                        {
                            "key": row.post_id,
                            **{f"new_{c}": getattr(place, c) for c in PLACE_COLUMNS},
                        }
                    )
                    if row.clue_id is not None:
                        touched.add(row.clue_id)
            if changes:
                table = PostAnalysis.__table__
                session.connection().execute(
                    update(table)
                    .where(table.c.post_id == bindparam("key"))
                    .values({c: bindparam(f"new_{c}") for c in PLACE_COLUMNS}),
                    changes,
                )
                refresh_clues(session, touched, context, config, now)
            report.posts += len(rows)
            report.changed += len(changes)
            refreshed |= touched
            report.clues = len(refreshed)
        if progress is not None:
            progress(report.posts, total)
    log.info(report.line())
    return report
