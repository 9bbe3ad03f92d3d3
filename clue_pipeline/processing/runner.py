"""``clues process``: every post not yet processed, in batches, through
normalise → relevance → embed → group → classify → urgency → locate →
prioritise. Idempotent: a second run with nothing new does nothing."""

from __future__ import annotations

import logging
import time
from bisect import insort
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Bundle, Session

from clue_pipeline import settings
from clue_pipeline.index import IndexSettings, VectorIndex
from clue_pipeline.normalise import normalise
from clue_pipeline.processing.batch import BatchNeighbours, PendingClues, insert_clue_posts
from clue_pipeline.processing.config import ProcessingConfig, load_processing_config
from clue_pipeline.processing.context import ProcessingContext
from clue_pipeline.processing.eligibility import (
    ClueEligibility,
    eligible_clue_ids,
    post_time,
    reference_time,
)
from clue_pipeline.processing.embedding_cache import (
    cached_vectors,
    embed_with_cache,
    prune_embedding_cache,
)
from clue_pipeline.processing.grouping import (
    Assigned,
    Decision,
    Neighbour,
    Place,
    author_key,
    decide,
)
from clue_pipeline.processing.priority import clue_priority
from clue_pipeline.processing.window import WindowedIndex
from clue_pipeline.storage.db import session_scope
from clue_pipeline.storage.models import Clue, CluePost, Post, PostAnalysis
from clue_pipeline.storage.types import utcnow

log = logging.getLogger(__name__)

#: the window the search looks in moves (evicting the clues no later post can join) when a
#: batch's earliest post is this much past the window's time, or before it
WINDOW_STEP = timedelta(days=1)
#: neighbours searched per post, in multiples of ``grouping.neighbours``: some found in the
#: window may be in clues the post cannot join (the window is kept at the batch's earliest
#: post); more are searched for a post that finds fewer usable ones. One search this wide for
#: the whole batch costs less than the extra one-post searches a width of 2 left to 10 % of
#: the posts (bench/process.py, 20,000 posts: group 8.6 s -> 6.3 s, the same clues)
SEARCH_WIDTH = 8


@dataclass
class ProcessReport:
    posts: int = 0
    relevant: int = 0
    noise: int = 0
    new_clues: int = 0
    joined_exact: int = 0
    joined_auto: int = 0
    suggested: int = 0
    urgent_posts: int = 0
    embedded: int = 0
    cached: int = 0
    routed_examples: int = 0  # posts analysts routed by hand, read as item examples
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def add_time(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds


def index_path(engine: Engine) -> Path:
    """The FAISS file beside the database: next to a SQLite file, or under
    var/index/ keyed by the server URL."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(f"{database.stem}.posts.faiss")
    import hashlib

    key = hashlib.sha1(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return settings.var_dir() / "index" / f"{key}.posts.faiss"


def _index_origin(context: ProcessingContext) -> dict[str, str]:
    """What builds the index, saved beside it: the embedder and the processing file."""
    return {
        "embedder": context.embedder.name,
        "processing_file": str(settings.processing_file().resolve()),
    }


def other_processing_file(engine: Engine) -> str | None:
    """The processing file the index beside the database was last saved with, when it is not
    the one this process reads (``CLUES_PROCESSING``); None when they agree or it is unknown.

    A database made by `clues demo` is processed with the demo's file: read with the default
    one, its posts would be embedded by other models (trained on them, when missing)."""
    origin = VectorIndex.saved_origin(index_path(engine)) or {}
    saved = origin.get("processing_file")
    if not isinstance(saved, str) or not saved:
        return None
    if Path(saved) == settings.processing_file().resolve():
        return None
    return saved


def _warn_other_processing_file(engine: Engine) -> None:
    """A warning when `other_processing_file` finds another file."""
    saved = other_processing_file(engine)
    if saved is not None:
        log.warning(
            "the index beside this database was built with %s, this run reads %s (its "
            "embedder, thresholds and models); to go on with the other file, set "
            "CLUES_PROCESSING=%s",
            saved,
            settings.processing_file(),
            saved,
        )


def _index_settings(config: ProcessingConfig) -> IndexSettings:
    return IndexSettings(
        approximate_above=config.index.approximate_above,
        hnsw_m=config.index.hnsw_m,
        ef_construction=config.index.ef_construction,
        ef_search=config.index.ef_search,
    )


def rebuild_index(engine: Engine, context: ProcessingContext) -> VectorIndex:
    """Rebuild the FAISS index from the database (grouped posts and cached vectors)."""
    embedder = context.embedder
    index = VectorIndex(embedder.dim, _index_settings(context.config))
    with session_scope(engine) as session:
        rows = session.execute(
            select(PostAnalysis.post_id, PostAnalysis.content_hash, PostAnalysis.text)
            .where(PostAnalysis.clue_id.is_not(None))
            .order_by(PostAnalysis.post_id)
        ).all()
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            hashes = [r.content_hash for r in chunk]
            found = cached_vectors(session, embedder.fingerprint[:64], hashes, embedder.dim)
            missing = [r for r in chunk if r.content_hash not in found]
            if missing:
                vectors, _ = embed_with_cache(
                    session, embedder, [r.content_hash for r in missing], [r.text for r in missing]
                )
                found.update({r.content_hash: v for r, v in zip(missing, vectors, strict=True)})
            ids = np.array([r.post_id for r in chunk], dtype=np.int64)
            index.add(ids, np.vstack([found[h] for h in hashes]))
        stale = prune_embedding_cache(session, embedder.fingerprint[:64])
    if stale:
        log.info("embedding cache: %d vectors of earlier embedders deleted", stale)
    index.save(index_path(engine), embedder.fingerprint, _index_origin(context))
    return index


#: stored posts that never-trained embedder parts learn from on a first run, evenly spaced
#: over all posts: training time grows with them (bench/process.py: 75 s for 20,000 posts;
#: 24 minutes for 100,000 on a shared machine), while a character model has seen its
#: characters long before that.
#: ``clues embedder train --from-db`` learns from every post.
BOOTSTRAP_TEXTS = 20_000


def bootstrap_embedder(engine: Engine, config: ProcessingConfig) -> None:
    """Embedder parts that were never trained (character n-gram idf, a character
    StaticEmbedding under var/) are trained on the stored posts (at most
    ``BOOTSTRAP_TEXTS`` of them, evenly spaced: seconds for a demo, about a minute for
    100,000 posts), so a fresh installation groups from its first run. ``clues embedder
    train`` retrains them, with labelled pairs, later."""
    from clue_pipeline.embedding.static_training import TrainingText
    from clue_pipeline.embedding.training import bootstrap_missing_parts, missing_parts

    with session_scope(engine) as session:
        stored = session.scalar(select(func.count(Post.id))) or 0
    if not missing_parts(config.embedder, stored_posts=stored):
        return
    with session_scope(engine) as session:
        ids = list(session.scalars(select(Post.id).order_by(Post.id)))
        stride = max(1, -(-len(ids) // BOOTSTRAP_TEXTS))
        chosen = ids[::stride]
        texts = []
        for start in range(0, len(chosen), 5000):
            texts += [
                TrainingText(normalise(title, text).text, title or None)
                for title, text in session.execute(
                    select(Post.title, Post.text).where(Post.id.in_(chosen[start : start + 5000]))
                )
            ]
    texts = [t for t in texts if t.text]
    for path in bootstrap_missing_parts(config.embedder, texts):
        log.info("embedder part trained on %d of %d stored posts: %s", len(texts), len(ids), path)


def _load_index(engine: Engine, context: ProcessingContext) -> VectorIndex:
    embedder = context.embedder
    index = VectorIndex.load(
        index_path(engine), embedder.fingerprint, embedder.dim, _index_settings(context.config)
    )
    with session_scope(engine) as session:
        grouped = session.query(PostAnalysis).filter(PostAnalysis.clue_id.is_not(None)).count()
    if index is None or len(index) != grouped:
        log.info("index missing or out of date (%s vs %d posts): rebuilding", index, grouped)
        index = rebuild_index(engine, context)
    return index


def _eligible_clue_ids(
    session: Session, clue_ids: set[int] | None, at: datetime, config: ProcessingConfig
) -> set[int]:
    """The clues among ``clue_ids`` (None: all) that a post of time ``at`` may join."""
    return eligible_clue_ids(session, clue_ids, at, config.grouping)


def process_pending(
    engine: Engine,
    *,
    config: ProcessingConfig | None = None,
    context: ProcessingContext | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ProcessReport:
    """Process every post whose ``processed_at`` is empty (at most ``limit``). ``config``:
    default the ``context``'s, else the processing file's."""
    started = time.perf_counter()
    config = config or (context.config if context is not None else load_processing_config())
    context = context or ProcessingContext.load(config)
    now = now or utcnow()
    report = ProcessReport()
    with session_scope(engine) as session:
        pending = session.execute(
            select(Post.id, Post.published_at, Post.first_seen_at)
            .where(Post.processed_at.is_(None))
            .order_by(Post.published_at.is_(None), Post.published_at, Post.id)
        ).all()
    if limit is not None:
        pending = pending[:limit]
    if not pending:
        report.seconds = time.perf_counter() - started
        return report
    context.check_files()  # a broken catalogue is said before the embedder or index work
    with session_scope(engine) as session:
        report.routed_examples = context.learn_routed_examples(session)
    _warn_other_processing_file(engine)
    bootstrap_embedder(engine, config)
    pending_ids = [p.id for p in pending]
    times = [reference_time(p.published_at, p.first_seen_at, now) for p in pending]
    index = _load_index(engine, context)
    tick = time.perf_counter()
    # the time the window holds the eligible clues of: at or before the earliest post of
    # the batch being grouped (``eligible`` reads it when called)
    window_at = min(times[: config.batch_size])

    def eligible(session: Session, clue_ids: set[int] | None) -> set[int]:
        return _eligible_clue_ids(session, clue_ids, window_at, config)

    with session_scope(engine) as session:
        searched = WindowedIndex.open(session, index, eligible, config.index.approximate_above)
    report.add_time("window", time.perf_counter() - tick)
    total = len(pending_ids)
    for start in range(0, total, config.batch_size):
        batch_ids = pending_ids[start : start + config.batch_size]
        batch_at = min(times[start : start + config.batch_size])
        with session_scope(engine) as session:
            if batch_at < window_at or batch_at - window_at > WINDOW_STEP:
                tick = time.perf_counter()
                window_at = batch_at
                evicted, added = searched.move(session, eligible)
                log.debug("window moved to %s: %d evicted, %d added", window_at, evicted, added)
                report.add_time("window", time.perf_counter() - tick)
            _process_batch(session, batch_ids, searched, context, config, now, report)
            searched.settle(session, eligible)
        if progress is not None:
            progress(min(start + config.batch_size, total), total)
    index.save(index_path(engine), context.embedder.fingerprint, _index_origin(context))
    report.seconds = time.perf_counter() - started
    return report


# The columns of a post that processing reads (not its raw payload or media).
_BATCH_POST = (
    Post.id,
    Post.platform,
    Post.author,
    Post.title,
    Post.text,
    Post.content_hash,
    Post.location_text,
    Post.published_at,
    Post.first_seen_at,
)


def _process_batch(
    session: Session,
    batch_ids: Sequence[int],
    index: WindowedIndex,
    context: ProcessingContext,
    config: ProcessingConfig,
    now: datetime,
    report: ProcessReport,
) -> None:
    """One batch, written with one statement per table: the analyses (as plain rows, an
    INSERT for new posts and a by-key UPDATE for reprocessed ones), the new clues, their
    memberships and the posts' ``processed_at``."""
    tick = time.perf_counter()
    order = {pid: i for i, pid in enumerate(batch_ids)}
    posts = sorted(
        session.execute(select(*_BATCH_POST).where(Post.id.in_(batch_ids))).all(),
        key=lambda p: order[p.id],
    )
    existing = {
        row.post_id: row
        for row in session.execute(
            select(
                PostAnalysis.post_id, PostAnalysis.relevance_override, PostAnalysis.clue_id
            ).where(PostAnalysis.post_id.in_([p.id for p in posts]))
        )
    }
    normalised = [normalise(p.title, p.text) for p in posts]
    texts = [n.text for n in normalised]
    report.add_time("normalise", time.perf_counter() - tick)

    tick = time.perf_counter()
    judgements = context.judge(texts)
    report.add_time("judge", time.perf_counter() - tick)

    tick = time.perf_counter()
    locations = [
        context.locator.locate(text, post.location_text)
        for text, post in zip(texts, posts, strict=True)
    ]
    report.add_time("locate", time.perf_counter() - tick)

    analyses: list[dict] = []
    to_group: list[tuple[object, dict]] = []
    touched: set[int] = set()
    for post, norm, judgement, location in zip(
        posts, normalised, judgements, locations, strict=True
    ):
        before = existing.get(post.id)
        relevant = judgement.relevant
        if before is not None and before.relevance_override is not None:
            relevant = before.relevance_override
        why = judgement.why()
        why["location"] = {"matched": list(location.matched)}
        analysis = {
            "post_id": post.id,
            "content_hash": post.content_hash,
            "text": norm.text,
            "language": norm.language,
            "links": norm.links,
            "mentions": norm.mentions,
            "topics": norm.topics,
            "relevant": relevant,
            "relevance_score": judgement.relevance_score,
            "relevance_reason": judgement.relevance_reason,
            "category": judgement.category,
            "category_confidence": judgement.category_confidence,
            "item_code": judgement.item_code,
            "urgent": judgement.urgent,
            "urgency_reasons": judgement.urgency_reasons,
            "district": location.district,
            "street": location.street,
            "community": location.community,
            "landmark": location.landmark,
            "road": location.road,
            "region": location.region,
            "why": why,
            "analysed_at": now,
        }
        analyses.append(analysis)
        report.posts += 1
        if relevant:
            report.relevant += 1
            report.urgent_posts += int(judgement.urgent)
        else:
            report.noise += 1
        if before is not None and before.clue_id is not None:
            touched.add(before.clue_id)  # already grouped: its clue is refreshed
        elif relevant and norm.text:
            to_group.append((post, analysis))
    if to_group:
        touched |= _group(session, to_group, index, context, config, now, report)
    tick = time.perf_counter()
    memberships = [analysis.pop("_membership") for _, analysis in to_group]
    _write_analyses(session, analyses, existing)
    insert_clue_posts(session, memberships)
    session.execute(
        update(Post)
        .where(Post.id.in_([p.id for p in posts]))
        .values(processed_at=now)
        .execution_options(synchronize_session=False)
    )
    report.add_time("write", time.perf_counter() - tick)
    tick = time.perf_counter()
    known = {a["post_id"]: (a["text"], a["why"]) for a in analyses}
    refresh_clues(session, touched, context, config, now, known=known)
    report.add_time("prioritise", time.perf_counter() - tick)


def _write_analyses(session: Session, analyses: list[dict], existing: Mapping[int, object]) -> None:
    """New analyses in one INSERT; those of reprocessed posts in one by-key UPDATE (their
    clue and an analyst's relevance override are kept unless grouping set a clue now)."""
    new = [a for a in analyses if a["post_id"] not in existing]
    if new:
        session.execute(insert(PostAnalysis.__table__), [{"clue_id": None, **a} for a in new])
    changed = [a for a in analyses if a["post_id"] in existing]
    for keys in {tuple(sorted(a)) for a in changed}:  # one UPDATE per set of columns
        rows = [a for a in changed if tuple(sorted(a)) == keys]
        session.execute(update(PostAnalysis), rows)


def _group(
    session: Session,
    items: list[tuple[object, dict]],
    index: WindowedIndex,
    context: ProcessingContext,
    config: ProcessingConfig,
    now: datetime,
    report: ProcessReport,
) -> set[int]:
    """Decide the clue of each post of ``items`` (post row, analysis row): sets the
    analysis's ``clue_id`` and ``why.nearest`` and its ``_membership`` (a CluePost row),
    inserts the batch's new clues and adds the posts to the index."""
    tick = time.perf_counter()
    hashes = [post.content_hash for post, _ in items]
    texts = [analysis["text"] for _, analysis in items]
    vectors, computed = embed_with_cache(session, context.embedder, hashes, texts)
    report.embedded += computed
    report.cached += len(items) - computed
    report.add_time("embed", time.perf_counter() - tick)

    tick = time.perf_counter()
    k = config.grouping.neighbours
    sims, ids = index.search(vectors, SEARCH_WIDTH * k)
    neighbour_ids = {int(i) for i in ids.ravel() if i >= 0}
    # exact duplicates: same content hash already in a clue (the earliest post that has it,
    # among those in a clue the post may join)
    exact_rows = session.execute(
        select(PostAnalysis.content_hash, PostAnalysis.post_id, PostAnalysis.clue_id).where(
            PostAnalysis.content_hash.in_(set(hashes)), PostAnalysis.clue_id.is_not(None)
        )
    ).all()
    exact: dict[str, list[tuple[int, int]]] = {}
    for row in sorted(exact_rows, key=lambda r: r.post_id):
        exact.setdefault(row.content_hash, []).append((row.post_id, row.clue_id))
    known = {row.post_id: row for row in _neighbour_rows(session, neighbour_ids)}
    clues = ClueEligibility(session, config.grouping)
    clues.load({a.clue_id for a in known.values() if a.clue_id is not None})
    clues.load({row.clue_id for row in exact_rows})

    in_batch = BatchNeighbours(vectors)
    known_places: dict[int, Place] = {}  # of the rows of ``known``, made once each
    new_clues = PendingClues(now)
    assigned: list[Assigned | None] = []
    decisions: list[Decision] = []
    for i, (post, analysis) in enumerate(items):
        place = Place.of(analysis)
        author = author_key(post.platform, post.author)
        at = reference_time(post.published_at, post.first_seen_at, now)

        def usable(clue_id: int, at: datetime = at) -> bool:
            return clues.eligible(clue_id, at)

        match = next((m for m in exact.get(post.content_hash, ()) if usable(m[1])), None)
        if match is not None:
            matched, clue_id = match
            decision = Decision("exact", clue_id, 1.0, matched, [(matched, 1.0)])
        else:
            neighbours = _window_neighbours(
                session, index, vectors[i], (sims[i], ids[i]), known, usable, k, known_places
            )
            neighbours += in_batch(i, assigned, k, usable)
            decision = decide(neighbours, place, config.grouping, clues.places, author)
        when = post_time(post.published_at, post.first_seen_at)
        if decision.clue_id is None:
            decision.clue_id = new_clues.new()  # a temporary id until the batch's INSERT
            clues.started(decision.clue_id, when, place)
            report.new_clues += 1
        else:
            clues.joined(decision.clue_id, when, place)
            if decision.membership == "exact":
                report.joined_exact += 1
            elif decision.membership == "auto":
                report.joined_auto += 1
            else:
                report.suggested += 1
        # later posts of the batch may join this post's clue when it can take them
        insort(exact.setdefault(post.content_hash, []), (post.id, decision.clue_id))
        assigned.append((post.id, decision.clue_id, place, author))
        decisions.append(decision)
    new_clues.insert(session)
    touched: set[int] = set()
    for (post, analysis), decision in zip(items, decisions, strict=True):
        decision.clue_id = new_clues.real(decision.clue_id)
        analysis["clue_id"] = decision.clue_id
        analysis["why"] = {**analysis["why"], "nearest": decision.nearest}
        analysis["_membership"] = {
            "clue_id": decision.clue_id,
            "post_id": post.id,
            "membership": decision.membership,
            "similarity": decision.similarity,
            "matched_post_id": decision.matched_post_id,
            "added_at": now,
        }
        touched.add(decision.clue_id)
    index.add(
        np.array([post.id for post, _ in items], dtype=np.int64),
        vectors,
        [d.clue_id for d in decisions],
    )
    report.add_time("group", time.perf_counter() - tick)
    return touched


def _window_neighbours(
    session: Session,
    index: WindowedIndex,
    vector: np.ndarray,
    found: tuple[np.ndarray, np.ndarray],
    known: dict[int, Any],
    usable: Callable[[int], bool],
    k: int,
    places: dict[int, Place],
) -> list[Neighbour]:
    """The ``k`` nearest posts of the window in a clue the post may join (``usable``), from
    the batch's search (``found``: similarities and ids) or, when fewer were usable there
    and the window holds more, from a wider search of this post alone. ``places``: the
    place of each row of ``known``, filled as they are first needed."""
    sims, ids = found
    while True:
        neighbours = []
        for sim, pid in zip(sims, ids, strict=True):
            other = known.get(int(pid))
            if other is None or other.clue_id is None or not usable(other.clue_id):
                continue
            place = places.get(other.post_id)
            if place is None:
                place = places[other.post_id] = Place.of(other)
            author = author_key(other.platform, other.author)
            neighbours.append(Neighbour(int(pid), other.clue_id, float(sim), place, author))
            if len(neighbours) == k:
                return neighbours
        width = 4 * len(ids)
        widest = index.widest(k)
        if len(ids) >= widest or not len(ids) or ids[-1] < 0:  # nothing more to find
            return neighbours
        wider_sims, wider_ids = index.search(vector[None, :], min(width, widest))
        sims, ids = wider_sims[0], wider_ids[0]
        new = {int(i) for i in ids if i >= 0 and int(i) not in known}
        known.update((row.post_id, row) for row in _neighbour_rows(session, new))


def _neighbour_rows(session: Session, post_ids: set[int]) -> list:  # noqa: ANN001
    """Clue, place and author of the neighbours found in the index (only the columns grouping
    reads)."""
    rows = []
    ordered = sorted(post_ids)
    for start in range(0, len(ordered), 5000):
        rows += session.execute(
            select(
                PostAnalysis.post_id,
                Post.platform,
                Post.author,
                PostAnalysis.clue_id,
                PostAnalysis.district,
                PostAnalysis.street,
                PostAnalysis.community,
                PostAnalysis.landmark,
                PostAnalysis.road,
                PostAnalysis.region,
            )
            .join(Post, Post.id == PostAnalysis.post_id)
            .where(PostAnalysis.post_id.in_(ordered[start : start + 5000]))
        ).all()
    return rows


def _most_common(values: Sequence[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None


# An analyst's correction of one field also fixes the fields derived from it.
_DERIVED_FIELDS = {
    "category": ("category", "category_confidence"),
    "item_code": ("item_code", "item_name"),
    "urgent": ("urgent", "dispatch_tier"),
}


def corrected_fields(clue: Clue) -> set[str]:
    """Fields of the clue an analyst corrected: refreshing leaves them alone."""
    names: set[str] = set()
    for name in clue.corrections or {}:
        names.update(_DERIVED_FIELDS.get(name, (name,)))
    return names


# The columns refresh_clues reads for every member of a touched clue (the small ones); texts
# and ``why`` are read only for the members the summary quotes (lead, first, first 20).
_MEMBER_POST = Bundle(
    "Post",
    Post.id,
    Post.title,
    Post.author,
    Post.platform,
    Post.likes,
    Post.comments,
    Post.reposts,
    Post.published_at,
    Post.first_seen_at,
)
_MEMBER_ANALYSIS = Bundle(
    "PostAnalysis",
    PostAnalysis.category,
    PostAnalysis.category_confidence,
    PostAnalysis.item_code,
    PostAnalysis.urgent,
    PostAnalysis.urgency_reasons,
    PostAnalysis.district,
    PostAnalysis.street,
    PostAnalysis.community,
    PostAnalysis.landmark,
    PostAnalysis.road,
    PostAnalysis.region,
)
#: members listed with their nearest posts in a clue's ``why``
WHY_MEMBERS = 20


def _member_details(session: Session, post_ids: set[int]) -> dict[int, Any]:
    """Text and reasons (``why``) of the given members (post id -> row)."""
    found: dict[int, Any] = {}
    ordered = sorted(post_ids)
    for start in range(0, len(ordered), 5000):
        found.update(
            (row.post_id, row)
            for row in session.execute(
                select(
                    PostAnalysis.post_id,
                    PostAnalysis.text,
                    PostAnalysis.why,
                ).where(PostAnalysis.post_id.in_(ordered[start : start + 5000]))
            )
        )
    return found


def refresh_clues(
    session: Session,
    clue_ids: set[int],
    context: ProcessingContext,
    config: ProcessingConfig,
    now: datetime,
    *,
    known: Mapping[int, tuple[str, dict]] | None = None,
) -> None:
    """Recompute each clue's summary from its posts: classification by
    confidence-weighted vote, urgency, place, counts and priority. Fields an
    analyst corrected (``Clue.corrections``) are kept as corrected.

    The summary quotes the reasons (``why``) of a few members: the lead of the category
    vote and the first ``WHY_MEMBERS``. They are read from ``known`` (post id -> text and
    why, the posts just analysed), else from the clue's previous summary (a post's nearest
    neighbours never change once grouped; the lead's reasons while it stays the lead),
    else from the database."""
    known = known or {}
    if not clue_ids:
        return
    # Lock the clues (in id order, as the workflow does) before reading their
    # posts, so that an analyst's merge, split or correction committed meanwhile
    # is seen, never overwritten.
    ordered = sorted(clue_ids)
    locked: dict[int, Clue] = {}
    for start in range(0, len(ordered), 5000):
        locked.update(
            (clue.id, clue)
            for clue in session.scalars(
                select(Clue)
                .where(Clue.id.in_(ordered[start : start + 5000]))
                .order_by(Clue.id)
                .with_for_update(key_share=True)
                .execution_options(populate_existing=True)
            )
        )
    rows = session.execute(
        select(CluePost.clue_id, CluePost.membership, _MEMBER_POST, _MEMBER_ANALYSIS)
        .join(Post, Post.id == CluePost.post_id)
        .join(PostAnalysis, PostAnalysis.post_id == CluePost.post_id)
        .where(CluePost.clue_id.in_(clue_ids))
        .order_by(Post.published_at.is_(None), Post.published_at, Post.id)
    ).all()
    by_clue: dict[int, list] = {}
    for row in rows:
        if row.clue_id in locked:
            by_clue.setdefault(row.clue_id, []).append(row)
    # first pass, per clue: the category vote, its lead member, what the previous summary
    # quoted (members' nearest posts; the lead's reasons if it is still the lead), and which
    # members' details must be read from the database
    plans: dict[int, tuple[str | None, Any, dict[int, list], dict | None]] = {}
    wanted: set[int] = set()
    for clue_id, members in by_clue.items():
        votes: Counter[str] = Counter()
        for row in members:
            if row.PostAnalysis.category:
                votes[row.PostAnalysis.category] += row.PostAnalysis.category_confidence or 0.5
        category = votes.most_common(1)[0][0] if votes else None
        lead = next((r for r in members if r.PostAnalysis.category == category), members[0])
        before = locked[clue_id].why or {}
        nearest = {
            m["post_id"]: m.get("nearest", [])
            for m in before.get("members", [])
            if isinstance(m, dict) and "post_id" in m
        }
        lead_why = before if before.get("lead_post_id") == lead.Post.id else None
        plans[clue_id] = (category, lead, nearest, lead_why)
        if lead.Post.id not in known and lead_why is None:
            wanted.add(lead.Post.id)
        wanted.update(
            r.Post.id
            for r in members[:WHY_MEMBERS]
            if r.Post.id not in known and r.Post.id not in nearest
        )
        first = members[0].Post
        if not first.title and first.id not in known:
            wanted.add(first.id)
    details = _member_details(session, wanted)

    def why_of(post_id: int) -> dict:
        if post_id in known:
            return known[post_id][1] or {}
        return details[post_id].why or {}

    def nearest_of(post_id: int, quoted: dict[int, list]) -> list:
        if post_id in quoted and post_id not in known:
            return quoted[post_id]
        return why_of(post_id).get("nearest", [])

    for clue_id, members in sorted(by_clue.items()):
        clue = locked[clue_id]
        category, lead_row, nearest, lead_why = plans[clue_id]
        if lead_why is None or lead_row.Post.id in known:
            lead_why = why_of(lead_row.Post.id)
        lead = lead_row.PostAnalysis
        item = context.item(lead.item_code)
        urgent = any(r.PostAnalysis.urgent for r in members)
        derived = {
            "category": category,
            "category_confidence": lead.category_confidence,
            "item_code": lead.item_code,
            "item_name": item.name if item else None,
            "department": item.department if item else None,
            "urgent": urgent,
            "dispatch_tier": "urgent" if urgent else "normal",
            "district": _most_common([r.PostAnalysis.district for r in members]),
            "street": _most_common([r.PostAnalysis.street for r in members]),
            "community": _most_common([r.PostAnalysis.community for r in members]),
            "landmark": _most_common([r.PostAnalysis.landmark for r in members]),
            "road": _most_common([r.PostAnalysis.road for r in members]),
            "region": _most_common([r.PostAnalysis.region for r in members]),
        }
        corrected = corrected_fields(clue)
        for name, value in derived.items():
            if name not in corrected:
                setattr(clue, name, value)
        first = members[0].Post
        title = first.title
        if not title:
            title = known[first.id][0] if first.id in known else details[first.id].text
        clue.title = (title or "")[:80]
        clue.post_count = len(members)
        clue.author_count = len({r.Post.author or f"#{r.Post.id}" for r in members})
        clue.platform_count = len({r.Post.platform for r in members})
        clue.engagement = sum(
            (r.Post.likes or 0) + (r.Post.comments or 0) + (r.Post.reposts or 0) for r in members
        )
        times = [r.Post.published_at or r.Post.first_seen_at for r in members]
        clue.first_post_at = min(times)
        clue.last_post_at = max(times)
        clue.priority = clue_priority(
            urgent=clue.urgent,
            posts=clue.post_count,
            authors=clue.author_count,
            platforms=clue.platform_count,
            engagement=clue.engagement,
            last_post_at=clue.last_post_at,
            now=now,
            weights=config.priority,
        )
        urgency = sorted({x for r in members for x in (r.PostAnalysis.urgency_reasons or [])})
        clue.why = {
            "lead_post_id": lead_row.Post.id,
            "category": lead_why.get("category"),
            "item": lead_why.get("item"),
            "urgency": urgency,
            "relevance": lead_why.get("relevance"),
            "members": [
                {
                    "post_id": r.Post.id,
                    "membership": r.membership,
                    "nearest": nearest_of(r.Post.id, nearest),
                }
                for r in members[:WHY_MEMBERS]
            ],
        }
        clue.updated_at = now
