"""Grouping of real recurring-problem posts by the real processing path (process_pending),
measured against gold problems taken from the departments' replies. Skips without
../shared/data. The full measurement (every post, the trained embedder) is
bench/grouping_eval.py."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
from conftest import shared_data

from clue_pipeline.embedding import CharNgramEmbedder
from clue_pipeline.grouping_eval import (
    cluster_with_pipeline,
    message_text,
    neighbours_at_k,
    pairwise_scores,
    problem_groups_from_replies,
)
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.storage.db import make_engine


def test_pairwise_scores_on_a_small_example() -> None:
    clusters = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    gold = {"a": "p", "b": "p", "c": "q", "d": "q"}
    s = pairwise_scores(clusters, gold)
    # together: a-b (right), a-c, b-c (wrong); gold pairs a-b (found), c-d (missed)
    assert (s.precision, s.recall, s.predicted_pairs, s.gold_pairs) == (1 / 3, 0.5, 3, 2)
    assert pairwise_scores({"a": 1, "b": 1, "x": 1}, {"a": "p", "b": "p"}).precision_all == 1 / 3


def test_real_posts_are_grouped_by_process_pending(sqlite_url: str, tmp_path) -> None:  # noqa: ANN001
    rows = [
        json.loads(line)
        for line in shared_data("messages_with_replies.jsonl").open(encoding="utf-8")
    ]
    texts, groups = problem_groups_from_replies(rows)
    first = {}
    for row in rows:
        first.setdefault(message_text(row), row)
    grouped = {i for g in groups for i in g}
    others = sorted(set(range(len(texts))) - grouped)
    chosen = sorted(grouped | set(random.Random(0).sample(others, 200)))
    shanghai = timezone(timedelta(hours=8))

    def when(value: str) -> datetime:
        import re

        numbers = [int(n) for n in re.findall(r"\d+", value)][:6]
        return datetime(*numbers, tzinfo=shanghai).astimezone(UTC)

    items = [
        {
            "external_id": str(i),
            "url": f"http://board.invalid/{i}",
            "title": first[texts[i]].get("title") or None,
            "text": first[texts[i]].get("detail") or "",
            "published_at": when(first[texts[i]]["time"]),
        }
        for i in chosen
    ]
    model = tmp_path / "char_ngram"
    ngram = CharNgramEmbedder.fit([texts[i] for i in chosen], dim=2048)
    ngram.save(model)
    config = ProcessingConfig(embedder={"kind": "char_ngram", "path": str(model)})
    engine = make_engine(sqlite_url)
    clusters = cluster_with_pipeline(engine, items, run_every=timedelta(days=30), config=config)
    engine.dispose()
    gold = {str(i): n for n, g in enumerate(groups) for i in g}
    scores = pairwise_scores({k: m.clue_id for k, m in clusters.items()}, gold)
    position = {i: row for row, i in enumerate(chosen)}
    vectors = ngram.encode([texts[i] for i in chosen])
    nn5 = neighbours_at_k(vectors, [[position[i] for i in g] for g in groups])
    print(scores, f"neighbours@5 {nn5:.3f}")
    # measured (char n-grams, monthly runs, 168 gold posts among 368): precision 1.000,
    # recall 0.439, neighbours@5 0.796 (recall 0.327 while the window was measured from the
    # run's clock, up to 30 days after a monthly run's posts); the targets
    # (0.9 / 0.6 / 0.8) are not all met
    assert scores.precision >= 0.9
    assert scores.recall >= 0.28
    assert np.isfinite(nn5) and nn5 >= 0.74


def test_a_resolved_clue_takes_a_recurrence_after_the_window(tmp_path) -> None:  # noqa: ANN001
    """The bench plays the workflow with ``resolved_at``: the clue of an answered post counts
    as resolved then, so a post about the same problem 50 days later (past window_days, 30)
    joins it within recurrence_days (90); without answers it starts a clue of its own."""
    from clue_pipeline.storage.migrate import upgrade

    text = "幸福小区三号楼门前的路灯不亮已经一个星期了，晚上出行很不安全，请尽快维修路灯。"
    start = datetime(2024, 3, 1, 1, tzinfo=UTC)
    items = [
        {
            "external_id": "first",
            "url": "http://board.invalid/1",
            "title": "幸福小区路灯不亮",
            "text": text,
            "published_at": start,
        },
        {
            "external_id": "again",
            "url": "http://board.invalid/2",
            "title": "幸福小区路灯又不亮了",
            "text": text.replace("一个星期", "三天"),
            "published_at": start + timedelta(days=50),
        },
    ]
    model = tmp_path / "char_ngram"
    CharNgramEmbedder.fit([text, "菜市场门口的垃圾没有人清理", "公交车站的站牌坏了"], dim=512).save(
        model
    )
    config = ProcessingConfig(embedder={"kind": "char_ngram", "path": str(model)})

    def clues(name: str, resolved_at: dict | None) -> dict:
        engine = make_engine(upgrade(f"sqlite:///{tmp_path / name}"))
        found = cluster_with_pipeline(engine, items, config=config, resolved_at=resolved_at)
        engine.dispose()
        return {k: m.clue_id for k, m in found.items()}

    apart = clues("apart.db", None)
    assert set(apart) == {"first", "again"} and apart["first"] != apart["again"]
    answered = {"first": start + timedelta(days=5)}
    together = clues("together.db", answered)
    assert together["first"] == together["again"]
    # an answer after the second post does not reach back
    late = clues("late.db", {"first": start + timedelta(days=51)})
    assert late["first"] != late["again"]
