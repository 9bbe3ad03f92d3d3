"""``clues process`` end to end over the demo corpus, on SQLite and PostgreSQL:
noise kept but not queued, posts about one problem grouped, urgent first,
idempotent, the index rebuildable."""

from __future__ import annotations

import itertools
import json
import os
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_run import run_clues
from clue_sets import clue_sets as clues_as_sets
from sqlalchemy import select, text

from clue_pipeline.demo.corpus import load_corpus
from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.runner import index_path, process_pending, rebuild_index
from clue_pipeline.storage.db import make_engine, session_scope
from clue_pipeline.storage.models import Clue, CluePost, EmbeddingCache, Post, PostAnalysis
from clue_pipeline.storage.posts import upsert_posts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _store_corpus(engine) -> dict[str, object]:  # noqa: ANN001
    corpus = load_corpus()
    by_platform: dict[str, list[dict[str, object]]] = defaultdict(list)
    for post in corpus:
        by_platform[post.platform].append(
            {
                "external_id": post.id,
                "url": f"http://demo.invalid/{post.platform}/{post.id}",
                "title": post.title,
                "text": post.text,
                "author": post.author,
                "published_at": NOW - timedelta(minutes=post.age_minutes),
                "likes": post.likes,
                "comments": post.comments,
                "reposts": post.reposts,
                "location_text": post.location,
            }
        )
    with session_scope(engine) as session:
        for platform, items in by_platform.items():
            upsert_posts(session, platform, items)
    return {post.id: post for post in corpus}


@pytest.fixture
def processed(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    gold = _store_corpus(engine)
    config = ProcessingConfig(
        embedder={"kind": "char_ngram", "path": str(tmp_path / "var" / "models" / "char_ngram")}
    )
    report = process_pending(engine, config=config, now=NOW)
    yield engine, gold, config, report
    engine.dispose()


def test_every_post_is_judged_and_noise_is_kept_out_of_the_queue(processed) -> None:  # noqa: ANN001
    engine, gold, _config, report = processed
    assert report.posts == len(gold) == report.relevant + report.noise
    with session_scope(engine) as session:
        rows = session.execute(
            select(Post.external_id, PostAnalysis).join(
                PostAnalysis, PostAnalysis.post_id == Post.id
            )
        ).all()
        assert len(rows) == len(gold)
        for _external_id, analysis in rows:
            assert analysis.relevance_reason  # every judgement says why
            assert (analysis.clue_id is None) == (not analysis.relevant)
        complaints = [a for e, a in rows if gold[e].category != "noise"]
        kept = sum(a.relevant for a in complaints) / len(complaints)
        noise = [a for e, a in rows if gold[e].category == "noise"]
        assert kept >= 0.95  # a missed complaint costs more than a noisy one
        assert any(not a.relevant for a in noise)


def test_posts_about_one_problem_are_grouped(processed) -> None:  # noqa: ANN001
    engine, gold, _config, _report = processed
    with session_scope(engine) as session:
        members = session.execute(
            select(Post.external_id, CluePost.clue_id).join(CluePost, CluePost.post_id == Post.id)
        ).all()
    labelled = [(e, c) for e, c in members if gold[e].problem]
    predicted = same = both = 0
    for (a, clue_a), (b, clue_b) in itertools.combinations(labelled, 2):
        together = clue_a == clue_b
        same_problem = gold[a].problem == gold[b].problem
        predicted += together
        same += same_problem
        both += together and same_problem
    precision, recall = both / predicted, both / same
    # measured on the demo corpus: precision 0.89, recall 0.62
    assert precision >= 0.8, (precision, recall)
    assert recall >= 0.5, (precision, recall)


def test_urgent_clues_lead_the_queue_with_their_reasons(processed) -> None:  # noqa: ANN001
    engine, gold, _config, _report = processed
    from clue_pipeline.cli.process_commands import clue_summaries

    with session_scope(engine) as session:
        queue = clue_summaries(session)
    urgent = [c for c in queue if c["urgent"]]
    assert urgent and queue[: len(urgent)] == urgent
    assert all(c["dispatch_tier"] == "urgent" for c in urgent)
    assert all(c["why"]["urgency"] for c in urgent)
    right = sum(1 for c in urgent if any(gold[p["external_id"]].urgent for p in c["posts"]))
    assert right / len(urgent) >= 0.8
    priorities = [c["priority"] for c in queue[len(urgent) :]]
    assert priorities == sorted(priorities, reverse=True)
    first = queue[0]
    assert first["department"] and first["item"] and first["category"]
    assert {"platform", "external_id", "url", "similarity", "membership"} <= set(first["posts"][0])


def test_second_run_does_nothing_and_a_changed_post_is_processed_again(processed) -> None:  # noqa: ANN001
    engine, gold, config, _report = processed
    assert process_pending(engine, config=config, now=NOW).posts == 0
    some = next(p for p in gold.values() if p.problem)
    with session_scope(engine) as session:
        counts = upsert_posts(
            session,
            some.platform,
            [
                {
                    "external_id": some.id,
                    "url": "http://demo.invalid/x",
                    "text": some.text + " 更新：还没修",
                }
            ],
        )
        assert counts.updated == 1
    again = process_pending(engine, config=config, now=NOW)
    assert again.posts == 1 and again.new_clues == 0
    with session_scope(engine) as session:
        assert (
            session.query(CluePost).count()
            == session.query(PostAnalysis).filter(PostAnalysis.clue_id.is_not(None)).count()
        )
        analysis = (
            session.query(PostAnalysis)
            .join(Post, Post.id == PostAnalysis.post_id)
            .filter(Post.external_id == some.id, Post.platform == some.platform)
            .one()
        )
        assert analysis.text.endswith("还没修") and analysis.clue_id is not None


def test_index_is_beside_the_database_and_rebuilds_the_same(processed) -> None:  # noqa: ANN001
    engine, _gold, config, _report = processed
    from clue_pipeline.processing.context import ProcessingContext

    path = index_path(engine)
    assert path.exists()
    with session_scope(engine) as session:
        grouped = session.query(PostAnalysis).filter(PostAnalysis.clue_id.is_not(None)).count()
        clues = session.query(Clue).count()
    path.unlink()
    index = rebuild_index(engine, ProcessingContext.load(config))
    assert len(index) == grouped and clues > 0
    assert path.exists()


def test_a_new_embedder_rebuilds_the_index_and_drops_the_old_vectors(processed) -> None:  # noqa: ANN001
    engine, _gold, config, _report = processed
    from clue_pipeline.processing.context import ProcessingContext

    old = ProcessingContext.load(config).embedder.fingerprint[:64]
    with session_scope(engine) as session:
        grouped = session.query(PostAnalysis).filter(PostAnalysis.clue_id.is_not(None)).count()
        hashes = {
            h
            for (h,) in session.query(PostAnalysis.content_hash).filter(
                PostAnalysis.clue_id.is_not(None)
            )
        }
        assert {m for (m,) in session.query(EmbeddingCache.model).distinct()} == {old}
    # the same model, now reading the posts' openings too: another embedder
    head = config.model_copy(update={"embedder": {**config.embedder, "head_chars": 20}})
    context = ProcessingContext.load(head)
    assert context.embedder.fingerprint != old
    assert len(rebuild_index(engine, context)) == grouped  # what the next run does by itself
    with session_scope(engine) as session:
        rows = session.query(EmbeddingCache.model, EmbeddingCache.content_hash).all()
    assert {m for m, _ in rows} == {context.embedder.fingerprint[:64]}
    assert {h for _, h in rows} == hashes


def _edit_one_post(engine, gold: dict[str, object]) -> None:  # noqa: ANN001
    """Change the text of one stored post about a problem: the next run processes it."""
    some = next(p for p in gold.values() if p.problem)
    with session_scope(engine) as session:
        upsert_posts(
            session,
            some.platform,
            [{"external_id": some.id, "url": "http://demo.invalid/x", "text": some.text + "!"}],
        )


@pytest.mark.parametrize("damaged", ["posts.faiss", "posts.json"])
def test_a_damaged_index_is_rebuilt_from_the_database(
    processed,  # noqa: ANN001
    damaged: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The index is a cache: a truncated index or metadata file (a disk that filled up, a
    copy cut short) is logged and rebuilt, and processing goes on."""
    engine, gold, config, _report = processed
    from clue_pipeline.index import VectorIndex
    from clue_pipeline.processing.context import ProcessingContext

    path = index_path(engine)
    target = path.with_suffix("." + damaged.split(".")[1])
    target.write_bytes(target.read_bytes()[:7])
    _edit_one_post(engine, gold)
    with caplog.at_level("WARNING", logger="clue_pipeline.index"):
        assert process_pending(engine, config=config, now=NOW).posts == 1
    assert any(
        "unreadable" in r.getMessage() and str(target) in r.getMessage() for r in caplog.records
    )
    with session_scope(engine) as session:
        grouped = session.query(PostAnalysis).filter(PostAnalysis.clue_id.is_not(None)).count()
    embedder = ProcessingContext.load(config).embedder
    index = VectorIndex.load(path, embedder.fingerprint, embedder.dim)
    assert index is not None and len(index) == grouped


def _rebuild_from_the_command_line(db_url: str, tmp_path: Path, processing: Path):  # noqa: ANN202
    env = {
        **os.environ,
        "CLUES_DATABASE_URL": db_url,
        "CLUES_VAR": str(tmp_path / "var"),
        "CLUES_PROCESSING": str(processing),
    }
    return run_clues("index", "rebuild", env=env, timeout=120)


def test_the_index_remembers_the_processing_file_it_was_built_with(
    processed,  # noqa: ANN001
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A database processed with one processing file (the demo's) and then read with another
    (the default): the rebuild that cannot load the other file's models names the file to
    use, and processing warns that it embeds with the other file's embedder."""
    engine, gold, config, _report = processed
    from clue_pipeline.index import VectorIndex

    model = tmp_path / "var" / "models" / "char_ngram"
    demo = tmp_path / "demo.yaml"
    demo.write_text(f"embedder: {{kind: char_ngram, path: {model}}}\n", encoding="utf-8")
    default = tmp_path / "default.yaml"
    missing = tmp_path / "var" / "models" / "other"
    default.write_text(f"embedder: {{kind: char_ngram, path: {missing}}}\n", encoding="utf-8")

    done = _rebuild_from_the_command_line(db_url, tmp_path, demo)
    assert done.returncode == 0, done.stderr
    origin = VectorIndex.saved_origin(index_path(engine))
    assert origin["processing_file"] == str(demo.resolve())
    assert origin["embedder"].startswith("char_ngram")

    done = _rebuild_from_the_command_line(db_url, tmp_path, default)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        f"create it with `clues embedder train`; this database's index was built with "
        f"{demo.resolve()}: hint: set CLUES_PROCESSING={demo.resolve()}"
    ), done.stderr
    assert "Traceback" not in done.stderr

    _edit_one_post(engine, gold)
    monkeypatch.setenv("CLUES_PROCESSING", str(default))
    with caplog.at_level("WARNING", logger="clue_pipeline.processing.runner"):
        assert process_pending(engine, config=config, now=NOW).posts == 1
    assert [r.getMessage() for r in caplog.records] == [
        f"the index beside this database was built with {demo.resolve()}, this run reads "
        f"{default} (its embedder, thresholds and models); to go on with the other file, "
        f"set CLUES_PROCESSING={demo.resolve()}"
    ]
    # saved with the file it read now: the next run does not warn again
    assert VectorIndex.saved_origin(index_path(engine))["processing_file"] == str(default.resolve())
    caplog.clear()
    monkeypatch.setenv("CLUES_PROCESSING", str(demo))
    assert process_pending(engine, config=config, now=NOW).posts == 0
    assert not caplog.records  # nothing to process: nothing checked, trained or said


def test_queue_list_json_from_the_command_line(processed, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    env = {**os.environ, "CLUES_DATABASE_URL": db_url, "CLUES_VAR": str(tmp_path / "var")}
    done = run_clues("queue", "list", "--urgent", "--json", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(r["urgency"] == "urgent" for r in rows)
    assert {
        "id",
        "state",
        "category",
        "item",
        "department",
        "urgency",
        "priority",
        "district",
    } <= set(rows[0])
    assert "Traceback" not in done.stderr


def test_clue_summaries_built_batch_by_batch_equal_ones_built_from_scratch(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refreshing reuses the reasons it quoted in a clue's previous summary; small batches
    refresh each clue many times, and the result must be what one refresh from the
    database alone gives."""
    from clue_pipeline.processing.context import ProcessingContext
    from clue_pipeline.processing.runner import refresh_clues

    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    engine = make_engine(db_url)
    _store_corpus(engine)
    config = ProcessingConfig(
        embedder={"kind": "char_ngram", "path": str(tmp_path / "var" / "models" / "char_ngram")},
        batch_size=16,
    )
    process_pending(engine, config=config, now=NOW)

    def summaries() -> dict[int, tuple]:
        with session_scope(engine) as session:
            return {
                c.id: (c.why, c.title, c.category, c.item_code, c.post_count, c.priority)
                for c in session.scalars(select(Clue))
            }

    built = summaries()
    assert max(s[4] for s in built.values()) >= 3  # clues that grew over several batches
    with session_scope(engine) as session:
        for clue in session.scalars(select(Clue)):
            clue.why = {}
    with session_scope(engine) as session:
        refresh_clues(session, set(built), ProcessingContext.load(config), config, NOW)
    assert summaries() == built
    engine.dispose()


def test_clues_do_not_depend_on_the_batch_size(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts of one batch join each other's clues by the rules that hold between batches
    (the window, eligibility), so a backlog gives the same clues in batches of 7 or 512."""
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    clue_sets = []
    for batch_size in (7, 512):
        engine = make_engine(db_url)
        if clue_sets:  # the same database URL: start again from an empty one
            with session_scope(engine) as session:
                for table in ("clue_posts", "post_analyses", "embedding_cache", "clues", "posts"):
                    session.execute(text(f"DELETE FROM {table}"))
            index_path(engine).unlink(missing_ok=True)
        _store_corpus(engine)
        config = ProcessingConfig(
            embedder={"kind": "char_ngram", "path": str(tmp_path / "var" / "models" / "ng")},
            # the demo's posts span 10 days: clues of the older ones cannot take posts
            grouping={"window_days": 3},
            batch_size=batch_size,
        )
        process_pending(engine, config=config, now=NOW)
        clue_sets.append(clues_as_sets(engine))
        engine.dispose()
    assert len(clue_sets[0]) > 1 and clue_sets[0] == clue_sets[1]
