"""Figures of grouping: how well clues (or nearest neighbours) keep posts about one problem
together. Used by ``bench/grouping_eval.py`` and the real-data grouping test.

Gold labels can be partial: ``gold`` maps the posts whose problem is known to a problem id;
every other post is about a problem of its own that nobody labelled.
"""

from __future__ import annotations

import bisect
import collections
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

import numpy as np


@dataclass(frozen=True)
class PairwiseScores:
    """Pairwise precision and recall of a clustering against (partial) gold problems.

    ``precision``: of the pairs put in one cluster with both posts labelled, the share about
    one problem. ``precision_all`` also counts a labelled post put with an unlabelled one as
    wrong (a lower bound: the unlabelled post may be about the same problem). ``recall``: of
    the labelled pairs about one problem, the share put in one cluster."""

    precision: float
    precision_all: float
    recall: float
    f1: float
    predicted_pairs: int
    gold_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def pairwise_scores(
    clusters: Mapping[Hashable, Hashable], gold: Mapping[Hashable, Hashable]
) -> PairwiseScores:
    """``clusters``: post -> cluster id (posts missing were not clustered: singletons);
    ``gold``: labelled post -> problem id."""
    members: dict[Hashable, list[Hashable]] = collections.defaultdict(list)
    for post, cluster in clusters.items():
        members[cluster].append(post)
    together = both_labelled = right = with_unlabelled = 0
    for posts in members.values():
        for a, b in combinations(posts, 2):
            known_a, known_b = a in gold, b in gold
            if known_a and known_b:
                both_labelled += 1
                right += gold[a] == gold[b]
            elif known_a or known_b:
                with_unlabelled += 1
            together += 1
    problems: dict[Hashable, list[Hashable]] = collections.defaultdict(list)
    for post, problem in gold.items():
        problems[problem].append(post)
    gold_pairs = found = 0
    for posts in problems.values():
        for a, b in combinations(posts, 2):
            gold_pairs += 1
            cluster_a, cluster_b = clusters.get(a), clusters.get(b)
            found += cluster_a is not None and cluster_a == cluster_b
    precision = right / both_labelled if both_labelled else 1.0
    precision_all = (
        right / (both_labelled + with_unlabelled) if both_labelled + with_unlabelled else 1.0
    )
    recall = found / gold_pairs if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(precision, precision_all, recall, f1, together, gold_pairs)


def neighbours_at_k(
    vectors: np.ndarray,
    groups: Sequence[Sequence[int]],
    k: int = 5,
    *,
    index=None,  # noqa: ANN001
) -> float:
    """Mean over grouped posts of: same-problem posts among its ``k`` nearest neighbours (the
    whole corpus searched, itself excluded) / min(k, other posts of its problem).

    ``vectors`` are the L2-normalised vectors of the corpus (row i = post i); ``index``, when
    given, is a FAISS index over them (ids = row numbers) to search instead of an exact one."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if index is None:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
    queries = [i for group in groups for i in group]
    group_of = {i: n for n, group in enumerate(groups) for i in group}
    if not queries:
        return float("nan")
    _, found = index.search(vectors[queries], k + 1)
    rates = []
    for query, row in zip(queries, found, strict=True):
        neighbours = [int(j) for j in row if j != query and j >= 0][:k]
        same = sum(group_of.get(j) == group_of[query] for j in neighbours)
        rates.append(same / min(k, len(groups[group_of[query]]) - 1))
    return float(np.mean(rates))


# --- gold problems of real message-board posts, from the departments' replies -------------


def message_text(row: Mapping[str, object]) -> str:
    """Title and detail of a message-board post as one text (the title once)."""
    title = str(row.get("title") or "").strip()
    body = str(row.get("detail") or row.get("text") or "").strip()
    return body if body.startswith(title) else f"{title} {body}".strip()


def problem_groups_from_replies(
    messages: Iterable[Mapping[str, object]],
    *,
    shingle: int = 20,
    max_shingle_df: int = 8,
    min_shared: int = 40,
    min_share: float = 0.3,
) -> tuple[list[str], list[list[int]]]:
    """Groups of posts about the same real problem at the same place, from the official
    replies only (never from the posts' own text, which the embedders read).

    A department answering several posts about one problem pastes the same findings into
    each reply. Two messages are linked when their replies share >= ``min_shared`` rare
    20-character shingles (a shingle found in at most ``max_shingle_df`` replies: department
    boilerplate is common, case findings are rare) and these cover >= ``min_share`` of the
    shorter reply's shingles. Groups are the connected components; posts with identical text
    (the same message posted twice) count once. Returns the corpus (every distinct message
    text, title + detail) and the groups (of two or more) as indices into it."""
    messages = list(messages)
    texts: list[str] = []
    index_of: dict[str, int] = {}
    for row in messages:
        text = message_text(row)
        if text not in index_of:
            index_of[text] = len(texts)
            texts.append(text)
    shingles: list[set[str]] = []
    df: collections.Counter[str] = collections.Counter()
    for row in messages:
        reply = re.sub(r"\s+", "", str(row.get("reply") or ""))
        found = {reply[i : i + shingle] for i in range(max(0, len(reply) - shingle + 1))}
        shingles.append(found)
        df.update(found)
    holders: dict[str, list[int]] = collections.defaultdict(list)
    for i, found in enumerate(shingles):
        for s in found:
            if 2 <= df[s] <= max_shingle_df:
                holders[s].append(i)
    shared: collections.Counter[tuple[int, int]] = collections.Counter()
    for ids in holders.values():
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                shared[(ids[x], ids[y])] += 1
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (i, j), count in shared.items():
        smaller = min(len(shingles[i]), len(shingles[j]))
        if count >= min_shared and count / smaller >= min_share:
            a, b = index_of[message_text(messages[i])], index_of[message_text(messages[j])]
            parent[find(a)] = find(b)
    members: dict[int, list[int]] = collections.defaultdict(list)
    for i in range(len(texts)):
        members[find(i)].append(i)
    groups = sorted((g for g in members.values() if len(g) >= 2), key=lambda g: g[0])
    return texts, groups


# --- clues built by the real processing path ----------------------------------------------


@dataclass(frozen=True)
class Membership:
    clue_id: int
    membership: str  # seed | exact | auto | suggested


def cluster_with_pipeline(
    engine,  # noqa: ANN001 - a migrated SQLAlchemy engine
    posts: Sequence[Mapping[str, object]],
    *,
    platform: str = "board",
    run_every: timedelta = timedelta(days=1),
    config=None,  # noqa: ANN001 - a ProcessingConfig
    context=None,  # noqa: ANN001 - a ProcessingContext
    resolved_at: Mapping[str, datetime] | None = None,
) -> dict[str, Membership]:
    """Store ``posts`` (upsert items: external_id, title, text, published_at, ...) the way
    crawls would, oldest first, one crawl per ``run_every`` of publication time, and run
    ``process_pending`` after each with the clock at the end of that period (as nightly runs
    do). Returns each post's clue and membership (posts judged noise have none).

    ``resolved_at`` (external id -> when the department answered that post) plays the
    workflow's part: before each period's posts are stored, the clue of every post answered
    by the period's start counts as resolved at its latest answer (``closed_at``: what
    resolving the clue's order sets), so later posts may join it for
    ``grouping.recurrence_days`` as a recurrence. Without it no clue is ever resolved and a
    clue takes posts only within ``window_days`` of its last."""
    from sqlalchemy import select

    from clue_pipeline.processing.runner import process_pending
    from clue_pipeline.storage.db import session_scope
    from clue_pipeline.storage.models import CluePost, Post
    from clue_pipeline.storage.posts import upsert_posts

    dated = sorted(posts, key=lambda p: p["published_at"])  # type: ignore[arg-type, return-value]
    if not dated:
        return {}
    start = dated[0]["published_at"]
    periods: dict[int, list[Mapping[str, object]]] = collections.defaultdict(list)
    for post in dated:
        periods[int((post["published_at"] - start) / run_every)].append(post)  # type: ignore[operator]
    answers = sorted((when, str(e)) for e, when in (resolved_at or {}).items())
    answer_times = [when for when, _ in answers]
    given = 0  # answers[:given] are resolved already
    for number in sorted(periods):
        with session_scope(engine) as session:
            period_start = start + number * run_every  # type: ignore[operator]
            due = bisect.bisect_right(answer_times, period_start)
            if due > given:  # the answers given since the last period, before this one's posts
                _resolve_answered(session, platform, answers[given:due])
                given = due
            upsert_posts(session, platform, periods[number])
        clock = start + (number + 1) * run_every  # type: ignore[operator]
        process_pending(engine, config=config, context=context, now=clock)
    with session_scope(engine) as session:
        rows = session.execute(
            select(Post.external_id, CluePost.clue_id, CluePost.membership).join(
                CluePost, CluePost.post_id == Post.id
            )
        ).all()
    return {str(e): Membership(int(c), str(m)) for e, c, m in rows}


def _resolve_answered(
    session,  # noqa: ANN001 - a SQLAlchemy session
    platform: str,
    answers: Sequence[tuple[datetime, str]],
) -> None:
    """Move each answered post's clue's ``closed_at`` to its answer (time, external id),
    when that is later."""
    from sqlalchemy import select

    from clue_pipeline.storage.models import Clue, CluePost, Post

    when_of = {external_id: when for when, external_id in answers}  # sorted: the latest wins
    latest: dict[int, datetime] = {}
    for external_id, clue_id in session.execute(
        select(Post.external_id, CluePost.clue_id)
        .join(CluePost, CluePost.post_id == Post.id)
        .where(Post.platform == platform, Post.external_id.in_(when_of))
    ):
        latest[clue_id] = max(when_of[external_id], latest.get(clue_id, when_of[external_id]))
    for clue in session.scalars(select(Clue).where(Clue.id.in_(latest))):
        if clue.closed_at is None or clue.closed_at < latest[clue.id]:
            clue.closed_at = latest[clue.id]
