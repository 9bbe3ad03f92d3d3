"""Routing figures (``clues eval route``): how often processing would send a post to the
department that handled it. Posts are judged as ``clues process`` judges them (the trained
model, the catalogue's items, categories the model was not trained on); a post judged noise
reaches no department, so it counts as wrong."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from clue_pipeline.classify.metrics import label_figures
from clue_pipeline.normalise import normalise
from clue_pipeline.processing.context import ProcessingContext

BATCH = 512
#: orders in these states were handled by their department (a reopened one is not, yet)
HANDLED_STATES = ("resolved", "closed")
CONFUSIONS = 10  # the commonest misroutings reported


def evaluate_routing(
    context: ProcessingContext,
    records: Sequence[dict[str, str]],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Returns exactly: accuracy, macro_f1 and per_department ({department: {precision,
    recall, f1, support}}) over all records; judged_noise (posts that reached no department);
    unseen_category (posts whose category the catalogue decided, see
    ``relevance.unseen_category``); outside_catalogue ({department: posts} of the file's
    departments that no catalogue item names: they can never be right); confusions (the
    commonest misroutings, [{handled_by, routed_to (None: judged noise), posts}]); n."""
    gold = [r["department"] for r in records]
    predicted: list[str | None] = []
    unseen = 0
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        texts = [normalise(r.get("title") or None, r["text"]).text for r in batch]
        for judgement in context.judge(texts):
            predicted.append(judgement.department if judgement.relevant else None)
            unseen += judgement.category_reason is not None
        if progress is not None:
            progress(len(predicted), len(records))
    per_department, macro_f1, accuracy = label_figures(gold, predicted)
    known = {item.department for _, _, item in context.catalog.all_items()}
    outside = Counter(d for d in gold if d not in known)
    missed = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return {
        "accuracy": accuracy,
        "macro_f1": macro_f1,
        "per_department": per_department,
        "judged_noise": sum(1 for d in predicted if d is None),
        "unseen_category": unseen,
        "outside_catalogue": dict(outside.most_common()),
        "confusions": [
            {"handled_by": g, "routed_to": p, "posts": n}
            for (g, p), n in sorted(
                missed.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or "")
            )[:CONFUSIONS]
        ],
        "n": len(records),
    }


def handled_orders(database_url: str | None) -> list[dict[str, str]]:
    """The analysts' and departments' work as routing labels: one record per resolved or
    closed work order, the text of its clue's lead post (the post processing took the clue's
    item from) and the department that resolved it (after any transfer or return)."""
    from sqlalchemy import select

    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.migrate import upgrade
    from clue_pipeline.storage.models import Clue, CluePost, Post, WorkOrder

    engine = make_engine(upgrade(database_url))
    records = []
    with session_scope(engine) as session:
        rows = session.execute(
            select(WorkOrder.department, Clue)
            .join(Clue, Clue.id == WorkOrder.clue_id)
            .where(WorkOrder.state.in_(HANDLED_STATES))
            .order_by(WorkOrder.id)
        )
        for department, clue in rows:
            lead_id = (clue.why or {}).get("lead_post_id")
            post = session.get(Post, lead_id) if lead_id else None
            if post is None:  # a clue processing has not described (made by hand, older)
                post = session.scalars(
                    select(Post)
                    .join(CluePost, CluePost.post_id == Post.id)
                    .where(CluePost.clue_id == clue.id)
                    .order_by(Post.published_at, Post.id)
                    .limit(1)
                ).first()
            if post is not None:
                records.append(
                    {"title": post.title or "", "text": post.text or "", "department": department}
                )
    engine.dispose()
    return records
