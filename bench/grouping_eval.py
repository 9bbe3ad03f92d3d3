"""Grouping of real recurring-problem posts by the real processing path (issue 3).

Reads ../shared/data/messages_with_replies.jsonl (or $CLUES_SHARED_DATA); never copies it.
Gold problems come from the departments' replies only (`problem_groups_from_replies`): posts
whose replies paste the same findings are about one problem. The posts' own text is what the
pipeline reads.

What it does, as an operator would: store the posts (one copy of each distinct text) into a
fresh SQLite database, train the configured embedder on them (`clues embedder train --from-db`:
unlabelled, the operator's own posts; `--with-dev` adds the labelled dev files as the README's
training step does), then crawl-and-process them in publication order, one `process_pending`
per day of posts with the clock at the end of that day (nightly runs). Prints:

- neighbours@5: share of each grouped post's 5 nearest neighbours (among all posts) that are
  about its problem, with the configured embedder;
- pairwise precision / recall of the clues `process_pending` built (members of one clue,
  suggested duplicates included, and auto merges only).

    .venv/bin/python bench/grouping_eval.py [--with-dev] [--window-days N] [--auto-merge X]
        [--suggest X] [--embedder JSON] [--classifier] [--resolve-at-reply]

With ``--resolve-at-reply`` the bench also plays the workflow: a clue counts as resolved
when the department answers one of its posts (the data's reply time), and later posts may
join it for ``grouping.recurrence_days`` (recurrence), as they do in a service centre that
files and closes its clues. Without it no clue is ever resolved.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from clue_pipeline.grouping_eval import (  # noqa: E402
    cluster_with_pipeline,
    message_text,
    neighbours_at_k,
    pairwise_scores,
    problem_groups_from_replies,
)

SHANGHAI = timezone(timedelta(hours=8))


def shared_data() -> Path:
    env = os.environ.get("CLUES_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def board_time(value: str) -> datetime:
    """'2019/4/25 9:32:09' or '2019-04-08 08:37:20', board time (UTC+8)."""
    numbers = [int(n) for n in re.findall(r"\d+", value)][:6]
    return datetime(*numbers, tzinfo=SHANGHAI).astimezone(UTC)


def board_posts(messages: list[dict]) -> tuple[list[dict], list[list[int]], dict[str, datetime]]:
    """Upsert items, one per distinct text (item i is text i of the gold corpus), the gold
    groups as indices into them, and when the department answered each item (external id ->
    reply time)."""
    texts, groups = problem_groups_from_replies(messages)
    items, seen, answered = [], set(), {}
    for row in messages:
        text = message_text(row)
        if text in seen:
            continue
        seen.add(text)
        if row.get("reply_time"):
            answered[str(len(items))] = board_time(row["reply_time"])
        items.append(
            {
                "external_id": str(len(items)),
                "url": f"http://board.invalid/{row['msg_id']}",
                "title": row.get("title") or None,
                "text": row.get("detail") or "",
                "author": row.get("user") or None,
                "published_at": board_time(row["time"]),
            }
        )
    assert len(items) == len(texts)
    return items, groups, answered


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--embedder", help="embedder spec as JSON (default: config/processing.yaml)"
    )
    parser.add_argument("--with-dev", action="store_true", help="train on the dev files too")
    parser.add_argument("--window-days", type=int)
    parser.add_argument("--auto-merge", type=float)
    parser.add_argument("--suggest", type=float)
    parser.add_argument(
        "--grouping", help="more grouping settings as JSON, e.g. '{\"other_region\": -0.2}'"
    )
    parser.add_argument("--classifier", action="store_true", help="train on relevance_dev first")
    parser.add_argument("--run-every-days", type=float, default=1.0)
    parser.add_argument(
        "--resolve-at-reply",
        action="store_true",
        help="resolve each clue when the department answers one of its posts (recurrence)",
    )
    parser.add_argument("--home", type=Path, help="keep the database and models here")
    parser.add_argument(
        "--no-train", action="store_true", help="use the models already under --home/var/models"
    )
    args = parser.parse_args(argv)

    data = shared_data()
    if not (data / "messages_with_replies.jsonl").is_file():
        print(f"real data {data} absent: set CLUES_SHARED_DATA", file=sys.stderr)
        return 2
    home = args.home or Path(tempfile.mkdtemp(prefix="clues-grouping-"))
    os.environ["CLUES_VAR"] = str(home / "var")

    from clue_pipeline.embedding.training import train_configured_embedder
    from clue_pipeline.normalise import normalise
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.storage.db import make_engine
    from clue_pipeline.storage.migrate import upgrade

    config = load_processing_config()
    overrides: dict = {}
    if args.embedder:
        overrides["embedder"] = json.loads(args.embedder)
    grouping = {
        k: v
        for k, v in (
            ("window_days", args.window_days),
            ("auto_merge", args.auto_merge),
            ("suggest", args.suggest),
        )
        if v is not None
    }
    if args.grouping:
        grouping.update(json.loads(args.grouping))
    if grouping:
        overrides["grouping"] = type(config.grouping).model_validate(
            {**config.grouping.model_dump(), **grouping}
        )
    config = config.model_copy(update=overrides)

    messages = read_jsonl(data / "messages_with_replies.jsonl")
    items, groups, answered = board_posts(messages)
    print(
        f"{len(items)} distinct posts; {len(groups)} problems with {sum(map(len, groups))} posts "
        f"(gold from the replies)"
    )
    window = timedelta(days=config.grouping.window_days)
    recurrence = timedelta(days=config.grouping.recurrence_days)
    within, recurring = [], []  # per gold pair: within the window; or after the answer
    for group in groups:
        for n, a in enumerate(group):
            for b in group[n + 1 :]:
                first, then = sorted((a, b), key=lambda i: items[i]["published_at"])
                then_at = items[then]["published_at"]
                within.append(then_at - items[first]["published_at"] <= window)
                answer = answered.get(str(first))
                recurring.append(answer is not None and answer <= then_at <= answer + recurrence)
    print(
        f"gold pairs posted within window_days ({window.days}) of each other: "
        f"{sum(within) / len(within):.2f} (recall above this needs clues "
        "that chain across the window)"
    )
    if args.resolve_at_reply:
        reach = [w or r for w, r in zip(within, recurring, strict=True)]
        print(
            f"... or posted within recurrence_days ({recurrence.days}) after the earlier one's "
            f"answer: {sum(reach) / len(reach):.2f}"
        )
    texts = [normalise(i["title"], i["text"]).text for i in items]
    from clue_pipeline.embedding import TrainingText

    pairs: list = []
    train_texts = [TrainingText(t, i["title"]) for t, i in zip(texts, items, strict=True)]
    if args.with_dev:
        from clue_pipeline.labelled_data import read_labelled, read_pairs

        train_texts += [
            TrainingText(r["text"]) for r in read_labelled(data / "relevance_dev.jsonl")
        ]
        for name in ("pairs_lcqmc_valid.tsv", "pairs_bq_valid.tsv"):
            pairs += read_pairs(data / name)
    if not args.no_train:
        started = time.perf_counter()
        written = train_configured_embedder(train_texts, pairs, spec=config.embedder, posts=texts)
        print(
            f"embedder trained in {time.perf_counter() - started:.0f} s: "
            f"{[str(w) for w in written]}"
        )
    context = ProcessingContext.load(config)
    print(f"embedder: {context.embedder.name}; grouping: {config.grouping.model_dump()}")

    if args.classifier:
        from clue_pipeline.classify.model import train
        from clue_pipeline.labelled_data import read_labelled

        started = time.perf_counter()
        train(read_labelled(data / "relevance_dev.jsonl")).save(
            home / "var" / "models" / "classifier"
        )
        print(f"classifier trained in {time.perf_counter() - started:.0f} s")

    vectors = context.embedder.encode(texts)
    print(
        f"neighbours@5 (exact search over all {len(vectors)} posts): "
        f"{neighbours_at_k(vectors, groups):.3f}"
    )

    database = home / "grouping.db"
    database.unlink(missing_ok=True)
    for beside in ("grouping.posts.faiss", "grouping.posts.json"):  # the index and its origin
        database.with_name(beside).unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    engine = make_engine(upgrade(url))
    started = time.perf_counter()
    clusters = cluster_with_pipeline(
        engine,
        items,
        run_every=timedelta(days=args.run_every_days),
        config=config,
        context=context,
        resolved_at=answered if args.resolve_at_reply else None,
    )
    seconds = time.perf_counter() - started
    gold = {str(i): n for n, g in enumerate(groups) for i in g}
    by_text = clusters
    all_members = {k: m.clue_id for k, m in by_text.items()}
    auto_only = {
        k: (m.clue_id if m.membership != "suggested" else f"s{k}") for k, m in by_text.items()
    }
    grouped_gold = sum(1 for k in gold if k in by_text)
    print(
        f"processed in {seconds:.0f} s: {len(by_text)} of {len(items)} posts grouped "
        f"({grouped_gold} of {len(gold)} gold posts), {len(set(all_members.values()))} clues"
    )
    for name, clusters_ in (("clues (suggested included)", all_members), ("auto only", auto_only)):
        s = pairwise_scores(clusters_, gold)
        print(
            f"{name:<27} precision {s.precision:.3f} (counting unlabelled partners as wrong "
            f"{s.precision_all:.3f})  recall {s.recall:.3f}  f1 {s.f1:.3f}  "
            f"[{s.predicted_pairs} pairs together, {s.gold_pairs} gold pairs]"
        )
    engine.dispose()
    print(f"database and models in {home}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
