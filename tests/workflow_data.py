"""Clues built straight in the database for the workflow tests: posts, their
analyses, the clue and its memberships, as processing would leave them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from clue_pipeline.storage.models import Clue, CluePost, Post, PostAnalysis

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LAMP_ITEM = "CX-02-04"  # a catalogue item: street lamps, 城市管理和综合执法局
_serial = itertools.count(1)


def make_clue(
    session: Session,
    texts: Sequence[str] = ("红星路路灯坏了一个月了，晚上一片漆黑",),
    *,
    suggested: Sequence[str] = (),
    category: str | None = "城乡建设",
    item_code: str | None = None,
    department: str | None = None,
    urgent: bool = False,
    district: str | None = "江北区",
    priority: float = 10.0,
    at: datetime = T0,
) -> Clue:
    """A pending clue with one post per text (the first is the seed) and
    suggested duplicates."""
    from clue_pipeline import settings
    from clue_pipeline.catalog import load_catalog

    catalog = load_catalog(settings.catalog_file())
    item = catalog.item(item_code or LAMP_ITEM) if (item_code or category) else None
    clue = Clue(
        state="pending",
        category=category,
        category_confidence=0.8,
        item_code=item.code if item else None,
        item_name=item.name if item else None,
        department=department or (item.department if item else None),
        urgent=urgent,
        dispatch_tier="urgent" if urgent else "normal",
        district=district,
        title=texts[0][:80],
        priority=priority,
        post_count=len(texts) + len(suggested),
        author_count=len(texts) + len(suggested),
        platform_count=1,
        first_post_at=at,
        last_post_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(clue)
    session.flush()
    for index, (text, membership) in enumerate(
        [(t, "seed" if i == 0 else "auto") for i, t in enumerate(texts)]
        + [(t, "suggested") for t in suggested]
    ):
        add_post(session, clue, text, membership=membership, at=at + timedelta(minutes=index))
    session.flush()
    return clue


def add_post(
    session: Session,
    clue: Clue,
    text: str,
    *,
    membership: str = "auto",
    at: datetime = T0,
    category: str | None = "城乡建设",
    media: Sequence[str] = (),
) -> Post:
    number = next(_serial)
    post = Post(
        platform="city_forum",
        external_id=f"t{number}",
        url=f"http://forum.invalid/t/{number}",
        text=text,
        author=f"resident{number}",
        published_at=at,
        content_hash=f"{number:064d}",
        first_seen_at=at,
        fetched_at=at,
        updated_at=at,
        processed_at=at,
        media_urls=list(media),
    )
    session.add(post)
    session.flush()
    session.add(
        PostAnalysis(
            post_id=post.id,
            content_hash=post.content_hash,
            text=text,
            category=category,
            category_confidence=0.8,
            item_code=clue.item_code,
            district=clue.district,
            clue_id=clue.id,
            analysed_at=at,
        )
    )
    session.add(CluePost(clue_id=clue.id, post_id=post.id, membership=membership, added_at=at))
    session.flush()
    return post
