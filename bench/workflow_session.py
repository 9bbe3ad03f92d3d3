"""A scripted working day on the demo data, then the figures of ``clues stats``.

The demo corpus of 云江市 is stored in a fresh SQLite database (post times
relative to a fixed morning) and processed into the clue queue, with one post
of each of a few multi-post problems held back. Three analysts then work the
whole queue with ``claim --next`` on a simulated clock, judging each clue by
the corpus's labels as a careful analyst would: confirm or split suggested
duplicates, split out posts about another problem, reject noise, correct
category, item and urgency, verify, file. A dispatcher and the departments
follow the orders (a few late, a few sent back as wrongly routed), supervision
runs every simulated hour. Weeks later the held-back posts are published,
processed and supervised: the orders they belong to must come back as
recurred. Prints what was done and the stats.

    .venv/bin/python bench/workflow_session.py [--analysts 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # 08:30 in 云江市
HELD_BACK = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analysts", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="clues-session-"))
    import os

    os.environ["CLUES_VAR"] = str(folder / "var")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from sqlalchemy import select

    from clue_pipeline import settings
    from clue_pipeline.catalog import load_catalog
    from clue_pipeline.demo.corpus import load_corpus
    from clue_pipeline.processing.runner import process_pending
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.migrate import upgrade
    from clue_pipeline.storage.models import Clue, CluePost, Post, WorkOrder
    from clue_pipeline.storage.posts import upsert_posts
    from verification import claims, decisions, filing, membership, orders
    from verification.corrections import Correction, edit
    from verification.errors import WorkflowError
    from verification.stats import compute_stats
    from verification.supervision import supervise
    from verification.transactions import transaction

    url = f"sqlite:///{folder / 'clues.db'}"
    upgrade(url)
    engine = make_engine(url)
    catalog = load_catalog(settings.catalog_file())
    corpus = load_corpus()
    gold = {p.id: p for p in corpus}
    by_problem: dict[str, list] = defaultdict(list)
    for post in corpus:
        if post.problem:
            by_problem[post.problem].append(post)
    held = [
        max(posts, key=lambda p: -p.age_minutes)  # the newest post of the problem
        for _, posts in sorted(by_problem.items())
        if len(posts) >= 3
    ][:HELD_BACK]
    held_ids = {p.id for p in held}

    def item_dict(post, published: datetime) -> dict:  # noqa: ANN001
        return {
            "external_id": post.id,
            "url": f"http://demo.invalid/{post.platform}/{post.id}",
            "title": post.title,
            "text": post.text,
            "author": post.author,
            "published_at": published,
            "likes": post.likes,
            "comments": post.comments,
            "reposts": post.reposts,
            "location_text": post.location,
            "media_urls": post.media,
        }

    platforms: dict[str, list] = defaultdict(list)
    for post in corpus:
        if post.id not in held_ids:
            platforms[post.platform].append(
                item_dict(post, NOW - timedelta(minutes=post.age_minutes))
            )
    with session_scope(engine) as session:
        for platform, items in platforms.items():
            upsert_posts(session, platform, items)
    started = time.perf_counter()
    report = process_pending(engine, now=NOW)
    print(
        f"processed {report.posts} demo posts in {time.perf_counter() - started:.1f} s: "
        f"{report.new_clues} clues, {report.suggested} suggested duplicates "
        f"({len(held)} posts held back for later)"
    )

    def gold_of(session, clue_id: int) -> list[tuple[int, str, object]]:  # noqa: ANN001
        rows = session.execute(
            select(CluePost.post_id, CluePost.membership, Post.external_id)
            .join(Post, Post.id == CluePost.post_id)
            .where(CluePost.clue_id == clue_id)
            .order_by(CluePost.id)
        )
        return [(pid, membership_, gold[ext]) for pid, membership_, ext in rows]

    done: Counter[str] = Counter()
    clock = {f"analyst{n}": NOW + timedelta(minutes=5 * n) for n in range(args.analysts)}
    action_seconds: list[float] = []

    def act(fn, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        tick = time.perf_counter()
        with transaction(engine) as session:
            result = fn(session, *a, **kw)
        action_seconds.append(time.perf_counter() - tick)
        return result

    while True:
        analyst = min(clock, key=clock.get)
        now = clock[analyst]
        taken = act(claims.claim_next, by=analyst, now=now)
        if taken is None:
            break
        clue_id = taken.clue.id
        done["claimed"] += 1
        with transaction(engine) as session:
            members = gold_of(session, clue_id)
        real = [g.problem for _, m, g in members if m != "suggested" and g.problem]
        main_problem = Counter(real).most_common(1)[0][0] if real else None
        now += timedelta(minutes=rng.uniform(2, 8))  # reading the posts
        if main_problem is None:
            act(decisions.reject, clue_id, by=analyst, reason="not_public_service", now=now)
            done["rejected as noise"] += 1
            clock[analyst] = now
            continue
        waiting = [p for p, m, g in members if m == "suggested" and g.problem == main_problem]
        strays = [p for p, m, g in members if g.problem != main_problem]
        if waiting:
            act(membership.confirm_duplicates, clue_id, waiting, by=analyst, now=now)
            done["suggested duplicates confirmed"] += len(waiting)
        if strays:
            act(membership.split, clue_id, strays, by=analyst, now=now)
            done["posts split out"] += len(strays)
        lead = next(g for _, _, g in members if g.problem == main_problem)
        with transaction(engine) as session:
            clue = session.get(Clue, clue_id)
            change: dict[str, object] = {}
            items = catalog.find(lead.item, lead.category) if lead.item else []
            if clue.category != lead.category:
                change["category"] = lead.category
            if items and clue.item_code not in {i.code for i in items}:
                change["item_code"] = items[0].code
            urgent = any(g.urgent for _, _, g in members if g.problem == main_problem)
            if clue.urgent != urgent:
                change["urgent"] = urgent
        if change:
            act(edit, clue_id, Correction(**change), by=analyst, now=now)
            for key in change:
                done[f"corrected {key}"] += 1
        act(decisions.verify, clue_id, by=analyst, now=now)
        try:
            act(filing.file_clue, clue_id, by=analyst, now=now)
            done["filed"] += 1
        except WorkflowError as exc:
            done[f"not filed: {exc}"[:60]] += 1
        clock[analyst] = now + timedelta(minutes=1)

    # the dispatcher and the departments follow the orders
    with transaction(engine) as session:
        filed = [
            (o.id, o.filed_at, o.urgent, o.deadline_days)
            for o in session.scalars(select(WorkOrder).order_by(WorkOrder.id))
        ]
    events: list[tuple[datetime, str, int]] = []
    for order_id, filed_at, urgent, days in filed:
        limit = 30 if urgent else 120
        delay = rng.uniform(0.2, 1.15) * limit  # about one in ten dispatched late
        dispatched = filed_at + timedelta(minutes=delay)
        events.append((dispatched, "dispatch", order_id))
        if rng.random() < 0.04:
            events.append((dispatched + timedelta(hours=3), "return", order_id))
        worked = dispatched + timedelta(hours=rng.uniform(2, 20))
        events.append((worked, "progress", order_id))
        resolved = dispatched + timedelta(days=days * rng.uniform(0.2, 1.1))
        events.append((max(resolved, worked + timedelta(hours=1)), "resolve", order_id))
        events.append((max(resolved, worked) + timedelta(days=1, hours=2), "close", order_id))
    events.sort()
    # replay the orders' life in time order, supervising every hour as the job does
    next_hour = NOW + timedelta(hours=1)
    for at, kind, order_id in events:
        while at >= next_hour:
            supervise(engine, now=next_hour)
            next_hour += timedelta(hours=1)
        try:
            if kind == "dispatch":
                act(orders.dispatch, order_id, by="dispatcher", now=at)
            elif kind == "return":
                act(
                    orders.return_order,
                    order_id,
                    by="department",
                    reason="不属本单位职责",
                    to_department="区政府办公室",
                    now=at,
                )
            elif kind == "progress":
                act(orders.progress, order_id, by="department", note="已受理，安排人员处置", now=at)
            elif kind == "resolve":
                act(orders.resolve, order_id, by="department", note="已处置完毕", now=at)
            else:
                act(orders.close, order_id, by="analyst0", satisfied=rng.random() < 0.9, now=at)
            done[f"orders {kind}"] += 1
        except WorkflowError:
            done[f"orders {kind} refused"] += 1

    # weeks later: the held-back posts of the same problems appear
    later = next_hour + timedelta(days=21)
    with session_scope(engine) as session:
        for post in held:
            upsert_posts(session, post.platform, [item_dict(post, later - timedelta(hours=1))])
    process_pending(engine, now=later)
    recurred = supervise(engine, now=later)
    done["recurrences found"] = len(recurred.recurred)
    with session_scope(engine) as session:
        for post in held:
            clue_id = session.scalars(
                select(CluePost.clue_id)
                .join(Post, Post.id == CluePost.post_id)
                .where(Post.external_id == post.id)
            ).first()
            has_order = session.scalars(
                select(WorkOrder.id).where(WorkOrder.clue_id == clue_id)
            ).first()
            if has_order is None:
                done["held-back posts grouped into a new clue instead"] += 1
    assert supervise(engine, now=later).changes == 0

    print(
        f"\n{args.analysts} analysts worked the queue; {len(action_seconds)} actions, "
        f"median {sorted(action_seconds)[len(action_seconds) // 2] * 1000:.1f} ms each"
    )
    for key, value in sorted(done.items()):
        print(f"  {key}: {value}")
    for item in recurred.recurred:
        posts = ", ".join(p.url for p in item.posts)
        print(f"  recurred: order {item.order_id} (clue {item.clue_id}) ← {posts}")
    stats = compute_stats(engine, now=later)
    print("\nclues stats:")
    for key, value in stats.to_dict().items():
        print(f"  {key}: {value}")
    engine.dispose()


if __name__ == "__main__":
    main()
