"""Posts analysts routed by hand as examples of their items. When an analyst corrects a
clue's item (``clues clue edit --item CODE``, or the clue page), the clue's posts (all but
suggested duplicates, which nobody confirmed) become examples of that item for the next
runs: a later post that says the same matter in the same words finds the item the analyst
chose, without retraining anything. Only corrections that still stand count (an item
corrected again counts for the latest), the newest ``PER_ITEM`` posts per item."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from clue_pipeline.normalise import normalise
from clue_pipeline.storage.models import Clue, CluePost, Post

PER_ITEM = 20


def routed_examples(session: Session) -> dict[str, list[str]]:
    """Item code -> the posts of the clues analysts routed to it, newest correction first."""
    chosen: dict[str, list[tuple[str, int]]] = defaultdict(list)
    rows = session.execute(
        select(Clue.id, Clue.item_code, Clue.corrections).where(
            Clue.corrections.is_not(None), Clue.item_code.is_not(None)
        )
    )
    for clue_id, item_code, corrections in rows:
        corrected = (corrections or {}).get("item_code")
        if not isinstance(corrected, dict) or corrected.get("value") != item_code:
            continue
        chosen[item_code].append((str(corrected.get("at") or ""), clue_id))
    examples: dict[str, list[str]] = {}
    for code, clues in chosen.items():
        texts: list[str] = []
        for _, clue_id in sorted(clues, key=lambda c: (c[0], c[1]), reverse=True):
            texts += [t for t in _member_texts(session, clue_id) if t not in texts]
        if texts:
            examples[code] = texts[:PER_ITEM]
    return examples


def _member_texts(session: Session, clue_id: int) -> list[str]:
    posts = session.scalars(
        select(Post)
        .join(CluePost, CluePost.post_id == Post.id)
        .where(CluePost.clue_id == clue_id, CluePost.membership != "suggested")
        .order_by(CluePost.id)
    )
    return [normalise(post.title, post.text).text for post in posts]
