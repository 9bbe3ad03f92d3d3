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
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from classify_eval import read, shared_data

ROOT = Path(__file__).resolve().parents[1]

#: what a reply's signature says -> the catalogue's department (longer stems win)
STEMS = {
    "教育": "教育局",
    "公安": "公安局",
    "交警": "公安局交通警察支队",
    "交通警察": "公安局交通警察支队",
    "交通运输": "交通运输局",
    "交通局": "交通运输局",
    "城市管理": "城市管理和综合执法局",
    "城管": "城市管理和综合执法局",
    "园林": "城市管理和综合执法局",
    "人力资源和社会保障": "人力资源和社会保障局",
    "人社": "人力资源和社会保障局",
    "住房和城乡建设": "住房和建设局",
    "住建": "住房和建设局",
    "城乡建设": "住房和建设局",
    "建设局": "住房和建设局",
    "住房保障": "住房和建设局",
    "房产": "住房和建设局",
    "规划": "规划和自然资源局",
    "国土": "规划和自然资源局",
    "自然资源": "规划和自然资源局",
    "不动产": "规划和自然资源局",
    "环境保护": "生态环境局",
    "环保": "生态环境局",
    "生态环境": "生态环境局",
    "医保": "医疗保障局",
    "医疗保障": "医疗保障局",
    "医疗保险": "医疗保障局",
    "民政": "民政局",
    "财政": "财政局",
    "公积金": "住房公积金管理中心",
    "卫生": "卫生健康委员会",
    "卫健": "卫生健康委员会",
    "市场监督": "市场监督管理局",
    "食药": "市场监督管理局",
    "工商": "市场监督管理局",
    "水务": "水务局",
    "水利": "水务局",
    "农业": "农业农村局",
    "林业": "林业局",
    "司法": "司法局",
    "商务": "商务局",
    "文化": "文化广电旅游体育局",
    "旅游": "文化广电旅游体育局",
    "体育": "文化广电旅游体育局",
    "发改": "发展和改革委员会",
    "发展和改革": "发展和改革委员会",
    "物价": "发展和改革委员会",
    "价格": "发展和改革委员会",
    "税务": "税务局",
    "供电": "供电局",
    "电力": "供电局",
    "信访": "信访局",
    "应急": "应急管理局",
    "安监": "应急管理局",
    "安全生产监督": "应急管理局",
    "退役军人": "退役军人事务局",
    "燃气": "燃气公司",
}
SIGNATURE = re.compile(
    r"[\u4e00-\u9fa5]{0,10}?("
    + "|".join(sorted(STEMS, key=len, reverse=True))
    + r")[\u4e00-\u9fa5]{0,8}?(?:局|委员会|委|中心|支队|大队|分局|公司)"
)
TAIL_CHARS = 80
CONFUSIONS = 15


def handled_by(reply: str) -> str | None:
    """The department that signed ``reply``, or None when its closing lines name none."""
    found = list(SIGNATURE.finditer(reply[-TAIL_CHARS:]))
    return STEMS[found[-1].group(1)] if found else None


def routed_posts(path: Path) -> tuple[list[dict[str, str]], int]:
    rows = read(path)
    posts = []
    for row in rows:
        department = handled_by(row.get("reply") or "")
        if department:
            posts.append({"title": row["title"], "text": row["detail"], "department": department})
    return posts, len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a project home (default: a new temporary one)")
    parser.add_argument("--write", type=Path, help="also write the labelled posts there")
    args = parser.parse_args()
    data = shared_data()
    if not (data / "messages_with_replies.jsonl").exists():
        print(f"real data {data} absent: set CLUES_SHARED_DATA", file=sys.stderr)
        return 2
    posts, total = routed_posts(data / "messages_with_replies.jsonl")
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
    from clue_pipeline.normalise import normalise
    from clue_pipeline.processing.config import load_processing_config
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.route_eval import evaluate_routing

    config = load_processing_config()
    model_dir = settings.resolve_path(config.relevance.model)
    if not (model_dir / "metadata.json").exists():
        print(f"training the classifier into {model_dir}", flush=True)
        records = read(data / "messages_labelled_dev.jsonl") + read(data / "relevance_dev.jsonl")
        for record in records:
            title = record.get("title")
            if title and not record["text"].startswith(title):
                record["text"] = f"{title} {record['text']}"
        train(records).save(model_dir)

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
            judged = [
                j
                for start in range(0, len(posts), 512)
                for j in context.judge(
                    [normalise(p["title"], p["text"]).text for p in posts[start : start + 512]]
                )
            ]
            wrong = Counter(
                (p["department"], j.department if j.relevant else "(noise)")
                for p, j in zip(posts, judged, strict=True)
                if (j.department if j.relevant else None) != p["department"]
            )
            print("  commonest confusions (handled by -> routed to):")
            for (gold, routed), n in wrong.most_common(CONFUSIONS):
                print(f"    {n:3d}  {gold} -> {routed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
