"""Routing on real posts: how often processing sends a post to the department that handled
it. Reads ../shared/data (or $CLUES_SHARED_DATA); never copies it.

messages_with_replies.jsonl holds the official reply to each post; where the reply is signed
by a functional department (the last department named in its closing lines: 教育局,
公安局交通警察支队, 城管局, ...), that department, named as config/catalog.yaml names it, is
the post's routing label (about a fifth of the posts; replies signed by a district, a street
office or nobody say nothing about the department). The classifier is trained on
messages_labelled_dev.jsonl and relevance_dev.jsonl, which hold none of these posts, unless
the home already has one.

    .venv/bin/python bench/route_eval.py [--home DIR] [--write FILE.jsonl]

Prints the coverage of the labels, then `clues eval route`'s figures with
``relevance.unseen_category`` as configured and switched off, and the commonest confusions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from classify_eval import read, shared_data

from clue_pipeline.reply_departments import handled_posts

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a project home (default: a new temporary one)")
    parser.add_argument("--write", type=Path, help="also write the labelled posts there")
    args = parser.parse_args()
    data = shared_data()
    if not (data / "messages_with_replies.jsonl").exists():
        print(f"real data {data} absent: set CLUES_SHARED_DATA", file=sys.stderr)
        return 2
    messages = read(data / "messages_with_replies.jsonl")
    posts, total = handled_posts(messages), len(messages)
    print(f"{len(posts)} of {total} posts have a reply signed by a department", flush=True)
    print(
        "  "
        + ", ".join(f"{d} {n}" for d, n in Counter(p["department"] for p in posts).most_common())
    )
    if args.write:
        with args.write.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in posts)

    home = args.home or Path(tempfile.mkdtemp(prefix="route-eval-"))
    if not (home / "config").exists():
        shutil.copytree(ROOT / "config", home / "config")
    os.environ["CLUES_HOME"] = str(home)
    from clue_pipeline import settings
    from clue_pipeline.classify import train
    from clue_pipeline.labelled_data import read_labelled
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.route_eval import evaluate_routing

    config = load_processing_config()
    model_dir = settings.resolve_path(config.relevance.model)
    if not (model_dir / "metadata.json").exists():
        print(f"training the classifier into {model_dir}", flush=True)
        records = read_labelled(data / "messages_labelled_dev.jsonl")
        train(records + read_labelled(data / "relevance_dev.jsonl")).save(model_dir)

    for name, rule in (
        ("as configured", config.relevance.unseen_category),
        ("unseen_category off", None),
    ):
        relevance = config.relevance.model_copy(update={"unseen_category": rule})
        context = ProcessingContext(config.model_copy(update={"relevance": relevance}))
        figures = evaluate_routing(context, posts)
        print(
            f"{name}: accuracy {figures['accuracy']:.4f}  macro-F1 {figures['macro_f1']:.4f}  "
            f"judged noise {figures['judged_noise']}  category from the catalogue "
            f"{figures['unseen_category']}  n {figures['n']}",
            flush=True,
        )
        if rule is not None:
            print("  commonest confusions (handled by -> routed to):")
            for row in figures["confusions"]:
                print(
                    f"    {row['posts']:3d}  {row['handled_by']} -> {row['routed_to'] or '(noise)'}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
