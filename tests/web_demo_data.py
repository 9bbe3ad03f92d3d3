"""The demo corpus of 云江市 as the web UI's browser tests see it: stored
straight into a fresh SQLite database (times relative to now), processed
into the clue queue by the real processing stages, with the users of
``web_helpers`` and a clue whose post is a script/HTML payload."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clue_pipeline.demo.corpus import load_corpus
from clue_pipeline.processing.runner import process_pending
from clue_pipeline.storage.db import make_engine, session_scope
from clue_pipeline.storage.migrate import upgrade
from clue_pipeline.storage.models import Clue, CluePost, Post
from clue_pipeline.storage.posts import upsert_posts
from clue_pipeline.storage.types import utcnow

PAYLOAD = (
    '<script>alert("xss")</script><img src=x onerror="alert(2)"><b onmouseover=alert(3)>粗</b>'
)
PAYLOAD_TEXT = f"红星路路灯坏了三天 {PAYLOAD} 联系电话 13812345678"


def demo_database(folder: Path) -> dict[str, Any]:
    """Build the database; returns its URL, a pair of clues about the same
    problem (to merge) and the hostile clue's id."""
    from web_helpers import add_users
    from workflow_data import make_clue

    from verification.transactions import transaction

    url = f"sqlite:///{folder / 'clues.db'}"
    upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    corpus = load_corpus()
    by_platform: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for post in corpus:
        by_platform[post.platform].append(
            {
                "external_id": post.id,
                "url": f"http://demo.invalid/{post.platform}/{post.id}",
                "title": post.title,
                "text": post.text,
                "author": post.author,
                "published_at": now - timedelta(minutes=post.age_minutes),
                "likes": post.likes,
                "comments": post.comments,
                "reposts": post.reposts,
                "location_text": post.location,
                "media_urls": post.media,
            }
        )
    with session_scope(engine) as session:
        for platform, items in by_platform.items():
            upsert_posts(session, platform, items)
    process_pending(engine, now=now)
    add_users(engine)
    with transaction(engine) as session:
        hostile = make_clue(session, (PAYLOAD_TEXT,), priority=1, at=now).id
    pair = same_problem_pair(engine, {p.id: p.problem for p in corpus})
    engine.dispose()
    return {"url": url, "pair": pair, "hostile": hostile}


def same_problem_pair(engine, problems: dict[str, str | None]) -> tuple[int, int]:  # noqa: ANN001
    """Two pending clues with catalogue items whose posts report the same
    problem (a duplicate processing did not merge): the lower id first."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(Clue.id, Post.external_id)
            .join(CluePost, CluePost.clue_id == Clue.id)
            .join(Post, Post.id == CluePost.post_id)
            .where(Clue.state == "pending", Clue.item_code.is_not(None))
            .order_by(Clue.id)
        ).all()
    clues_of: dict[str, list[int]] = defaultdict(list)
    for clue_id, external_id in rows:
        problem = problems.get(external_id)
        if problem and clue_id not in clues_of[problem]:
            clues_of[problem].append(clue_id)
    for clue_ids in clues_of.values():
        if len(clue_ids) >= 2:
            return clue_ids[0], clue_ids[1]
    raise AssertionError("the demo corpus gave no two clues about one problem")
