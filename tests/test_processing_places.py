"""Places and authors in grouping, through the real processing path (Locate on the demo
gazetteer, the character n-gram embedder, SQLite and PostgreSQL): two roads of one street are
two problems, a post that names no place does not carry a post about another place into its
clue, and a resident writing again is closer to their own earlier post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from clue_pipeline.processing.config import ProcessingConfig
from clue_pipeline.processing.runner import process_pending
from clue_pipeline.storage.db import make_engine, session_scope
from clue_pipeline.storage.models import Clue, CluePost, Post, PostAnalysis
from clue_pipeline.storage.posts import upsert_posts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
#: well above the place adjustments' size, so that a difference of place decides alone
GROUPING = {
    "auto_merge": 0.85,
    "suggest": 0.8,
    "other_road": -0.2,
    "other_community": -0.2,
    "other_region": -0.2,
}


def _config(tmp_path: Path, **grouping: float) -> ProcessingConfig:
    path = tmp_path / "var" / "models" / "char_ngram"
    return ProcessingConfig(
        embedder={"kind": "char_ngram", "path": str(path)}, grouping={**GROUPING, **grouping}
    )


def _process(
    db_url: str,
    tmp_path: Path,
    texts: dict[str, str],
    authors: dict[str, str] | None = None,
    **grouping: float,
) -> dict[str, tuple[int, str]]:
    """Process the posts (published an hour apart, in order; by ``authors``, external id ->
    author, else each by another resident): external id -> (clue, membership, road, the
    clue's road, region, the clue's region)."""
    authors = authors or {}
    engine = make_engine(db_url)
    start = NOW - timedelta(days=2)
    with session_scope(engine) as session:
        upsert_posts(
            session,
            "city_forum",
            [
                {
                    "external_id": external_id,
                    "url": f"http://forum.invalid/{external_id}",
                    "text": text,
                    "author": authors.get(external_id, f"居民{n}"),
                    "published_at": start + timedelta(hours=n),
                }
                for n, (external_id, text) in enumerate(texts.items())
            ],
        )
    process_pending(engine, config=_config(tmp_path, **grouping), now=NOW)
    with session_scope(engine) as session:
        rows = session.execute(
            select(Post.external_id, CluePost.clue_id, CluePost.membership).join(
                CluePost, CluePost.post_id == Post.id
            )
        ).all()
        places = {
            e: (road, region)
            for e, road, region in session.execute(
                select(Post.external_id, PostAnalysis.road, PostAnalysis.region).join(
                    PostAnalysis, PostAnalysis.post_id == Post.id
                )
            )
        }
        clue_places = {c.id: (c.road, c.region) for c in session.scalars(select(Clue))}
    engine.dispose()
    clues = {e: (c, m) for e, c, m in rows}
    return {
        e: (
            *clues[e],
            places[e][0],
            clue_places[clues[e][0]][0],
            places[e][1],
            clue_places[clues[e][0]][1],
        )
        for e in texts
    }


@pytest.fixture(autouse=True)
def _var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))


LAMPS = "的路灯坏了好几盏，晚上一片漆黑，老人走路很危险，希望{}修好"


@pytest.mark.parametrize(
    ("here", "there", "column", "places"),
    [
        # two roads of one street (the gazetteer's): the road, column 2 (the clue's: 3)
        ("湖滨路", "柳岸路", 2, ("湖滨路", "柳岸路")),
        # two counties no gazetteer holds (another city's board, anonymised): the region,
        # column 4 (the clue's: 5)
        ("K6县第一中学门口", "K7县第一中学门口", 4, ("/K6县", "/K7县")),
    ],
)
def test_the_same_words_about_two_places_are_two_clues(
    db_url: str, tmp_path: Path, here: str, there: str, column: int, places: tuple[str, str]
) -> None:
    found = _process(
        db_url,
        tmp_path,
        {
            "here": here + LAMPS.format("尽快"),
            "there": there + LAMPS.format("尽快"),
            "here-again": here + LAMPS.format("早点"),
        },
    )
    here_, there_, again = found["here"], found["there"], found["here-again"]
    assert there_[0] != here_[0] and there_[1] == "seed"
    assert again[0] == here_[0] and again[1] in ("auto", "suggested")
    assert (here_[column], there_[column], again[column]) == (*places, places[0])
    # the clue's place, for routing and for the clues later posts may join
    assert (here_[column + 1], there_[column + 1]) == places


def test_a_post_naming_no_place_does_not_bridge_two_communities(
    db_url: str, tmp_path: Path
) -> None:
    found = _process(
        db_url,
        tmp_path,
        {
            "liuan": "柳岸小区停水两天了，一直没有通知什么时候来水，老人孩子都没法做饭洗澡",
            "unplaced": "停水两天了，一直没有通知什么时候来水，老人孩子都没法做饭洗澡",
            "huguang": "湖光小区停水两天了，一直没有通知什么时候来水，老人孩子都没法做饭洗澡",
        },
    )
    assert found["unplaced"][:2] == (found["liuan"][0], "auto")
    # nearest to the post that names no place, but that post's clue is about 柳岸社区
    assert found["huguang"][0] != found["liuan"][0]
    assert found["huguang"][1] == "seed"


@pytest.mark.parametrize("runs", [1, 2], ids=["one batch", "a later run"])
def test_a_resident_writing_again_is_closer_to_their_own_post(
    db_url: str, tmp_path: Path, runs: int
) -> None:
    """``same_author`` counts a neighbour by the post's own author (the same account of the
    same platform) as closer, whether that post is of the same batch or was grouped by an
    earlier run: at a bonus as large as ``suggest``, any post by the same resident joins,
    and a post by another resident stays apart."""
    texts = {
        "first": "湖滨路的路灯坏了好几盏，晚上一片漆黑，老人走路很危险，希望尽快修好",
        "again": "再次反映：湖滨路路灯还是不亮，晚上走路看不见，已经一个星期了",
        "other": "湖滨路的垃圾桶满了没人清理，臭味很大，希望环卫部门处理",
    }
    authors = {"first": "老张", "again": "老张", "other": "老李"}
    grouping = {"auto_merge": 1.5, "suggest": 0.99, "same_author": 1.0}
    if runs == 2:  # "first" is grouped (and indexed) before the others are crawled
        _process(db_url, tmp_path, {"first": texts["first"]}, authors, **grouping)
    found = _process(db_url, tmp_path, texts, authors, **grouping)
    assert found["again"][:2] == (found["first"][0], "suggested")
    assert found["other"][1] == "seed" and found["other"][0] != found["first"][0]
    # the clue page's reasons say which neighbour the resident wrote
    from verification.similar import nearest_posts

    engine = make_engine(db_url)
    with session_scope(engine) as session:
        ids = dict(session.execute(select(Post.external_id, Post.id)).all())
        marks = {
            (entry["post_id"], near["post_id"]): near["same_author"]
            for clue_id in {found["first"][0], found["other"][0]}
            for entry in nearest_posts(session, session.get(Clue, clue_id))
            for near in entry["nearest"]
        }
    engine.dispose()
    assert marks[(ids["again"], ids["first"])] is True
    assert marks[(ids["other"], ids["first"])] is False


def test_relocate_gives_posts_processed_before_roads_their_roads(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database upgraded from before roads were located: `clues process --relocate` finds
    the roads of the posts processed then and refreshes their clues; a second pass changes
    nothing."""
    import json

    from sqlalchemy import update
    from typer.testing import CliRunner

    from clue_pipeline.cli import app, load_plugins
    from clue_pipeline.processing.relocate import relocate_posts

    load_plugins()

    found = _process(
        db_url,
        tmp_path,
        {
            "here": "湖滨路的路灯坏了好几盏，晚上一片漆黑，老人走路很危险，希望尽快修好",
            "nowhere": "路灯坏了好几盏，晚上一片漆黑",
        },
    )
    engine = make_engine(db_url)
    with session_scope(engine) as session:  # as the upgrade leaves them
        session.execute(update(PostAnalysis).values(road=None))
        session.execute(update(Clue).values(road=None))
    monkeypatch.setenv("CLUES_DATABASE_URL", db_url)
    monkeypatch.setenv("CLUES_PROCESSING", str(tmp_path / "processing.yaml"))
    (tmp_path / "processing.yaml").write_text(
        json.dumps(_config(tmp_path).model_dump()), encoding="utf-8"
    )
    done = CliRunner().invoke(app, ["process", "--relocate", "--json"])
    assert done.exit_code == 0, done.output
    out = json.loads(done.output)
    assert out["relocated"] == {"posts": 2, "changed": 1, "clues": 1}
    assert out["posts"] == 0  # nothing new to process
    with session_scope(engine) as session:
        here = session.scalars(
            select(PostAnalysis).join(Post).where(Post.external_id == "here")
        ).one()
        assert here.road == "湖滨路"
        assert session.get(Clue, found["here"][0]).road == "湖滨路"
    again = relocate_posts(engine, config=_config(tmp_path))
    assert (again.posts, again.changed, again.clues) == (2, 0, 0)
    engine.dispose()
