"""The small processing stages on their own: normalise, grouping decisions,
priority, the FAISS index wrapper."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from clue_pipeline.errors import ConfigError
from clue_pipeline.index import IndexSettings, VectorIndex
from clue_pipeline.normalise import normalise
from clue_pipeline.processing.config import (
    GroupingConfig,
    PriorityConfig,
    ProcessingConfig,
    load_processing_config,
    parse_processing_config,
)
from clue_pipeline.processing.context import ProcessingContext
from clue_pipeline.processing.grouping import (
    Neighbour,
    Place,
    author_key,
    decide,
    place_adjustment,
)
from clue_pipeline.processing.priority import clue_priority


def test_normalise_cleans_and_keeps_fields() -> None:
    result = normalise(
        "東湖區路燈",
        "<p>路燈不亮了　ＡＢＣ１２３，<script>alert(1)</script>@云江城管 #夜间施工# "
        "详见 http://t.cn/abc 。</p><p>第二段</p>",
    )
    assert result.text.startswith("东湖区路灯\n路灯不亮了 ABC123，")
    assert "alert" not in result.text and "第二段" in result.text
    assert result.links == ["http://t.cn/abc"]
    assert result.mentions == ["云江城管"]
    assert result.topics == ["夜间施工"]
    assert result.language == "zh"
    assert normalise(None, "The lamp is broken").language == "en"


def test_normalise_does_not_repeat_a_title_the_text_starts_with() -> None:
    assert normalise("井盖丢失", "井盖丢失 在幸福路口").text == "井盖丢失 在幸福路口"


CONFIG = GroupingConfig(auto_merge=0.8, suggest=0.6)
HERE = Place("东湖区", "湖滨街道", "翠苑社区", None)
ELSEWHERE = Place("江北区", "北岸街道", None, None)


def test_decide_auto_suggest_and_seed() -> None:
    auto = decide([Neighbour(1, 10, 0.85, HERE), Neighbour(2, 11, 0.7, HERE)], HERE, CONFIG)
    assert (auto.membership, auto.clue_id, auto.matched_post_id) == ("auto", 10, 1)
    suggested = decide([Neighbour(2, 11, 0.65, Place())], HERE, CONFIG)
    assert (suggested.membership, suggested.clue_id) == ("suggested", 11)
    seed = decide([Neighbour(3, 12, 0.4, HERE)], HERE, CONFIG)
    assert (seed.membership, seed.clue_id) == ("seed", None)
    assert seed.nearest == [(3, 0.4)]
    assert decide([], HERE, CONFIG).membership == "seed"


def test_a_neighbour_by_the_same_author_counts_as_closer() -> None:
    """``same_author`` (0.05 by default) for one account of one platform: the same name on
    another platform, or a post with no author, is anyone."""
    zhang = author_key("city_forum", "老张")
    assert zhang == author_key("city_forum", " 老张 ")
    assert zhang != author_key("weibo", "老张")
    assert author_key("city_forum", "") is None and author_key("city_forum", None) is None
    near = [Neighbour(1, 10, 0.57, Place(), zhang), Neighbour(2, 11, 0.59, Place(), None)]
    mine = decide(near, HERE, CONFIG, author=zhang)
    assert (mine.membership, mine.clue_id, mine.similarity) == ("suggested", 10, 0.62)
    assert decide(near, HERE, CONFIG, author=author_key("weibo", "老张")).membership == "seed"
    assert decide(near, HERE, CONFIG).membership == "seed"  # no author: no bonus
    off = GroupingConfig(auto_merge=0.8, suggest=0.6, same_author=0.0)
    assert decide(near, HERE, off, author=zhang).membership == "seed"


def test_the_widest_place_where_posts_differ_decides() -> None:
    assert place_adjustment(HERE, HERE, CONFIG) == CONFIG.same_community
    # another district (and street): the widest difference counts
    assert place_adjustment(HERE, ELSEWHERE, CONFIG) == CONFIG.other_district
    assert place_adjustment(HERE, Place("东湖区", "临湖街道"), CONFIG) == CONFIG.other_street
    assert place_adjustment(HERE, Place("江北区"), CONFIG) == CONFIG.other_district
    assert place_adjustment(HERE, Place("东湖区"), CONFIG) == CONFIG.same_district
    other_community = Place("东湖区", "湖滨街道", "柳岸社区", None)
    assert place_adjustment(HERE, other_community, CONFIG) == CONFIG.other_community
    # two landmarks of one community: the landmarks differ, the shared community aside
    gate, square = (Place("东湖区", "湖滨街道", "翠苑社区", n) for n in ("东门", "广场"))
    assert place_adjustment(gate, square, CONFIG) == CONFIG.other_landmark
    assert place_adjustment(gate, gate, CONFIG) == CONFIG.same_landmark
    # landmarks in two districts: as far as the districts
    park = Place("江北区", "北岸街道", None, "江北公园")
    assert place_adjustment(gate, park, CONFIG) == CONFIG.other_district
    assert place_adjustment(HERE, Place(), CONFIG) == 0.0
    # 0.77 alone is below auto_merge; the same community lifts it above
    assert decide([Neighbour(1, 10, 0.78, HERE)], HERE, CONFIG).membership == "auto"
    # the same words about another district: two places, two problems (a new clue; at
    # most a suggestion for an analyst when the words are all but identical)
    assert decide([Neighbour(1, 10, 0.85, ELSEWHERE)], HERE, CONFIG).membership == "seed"
    assert decide([Neighbour(1, 10, 0.99, ELSEWHERE)], HERE, CONFIG).membership == "suggested"
    # another landmark of the same community only lowers the score
    assert decide([Neighbour(1, 10, 0.95, square)], gate, CONFIG).membership == "auto"


def test_two_roads_of_one_street_are_two_places() -> None:
    lamps_here = Place("东湖区", "湖滨街道", road="湖滨路")
    lamps_there = Place("东湖区", "湖滨街道", road="柳岸路")
    assert place_adjustment(lamps_here, lamps_there, CONFIG) == CONFIG.other_road
    assert place_adjustment(lamps_here, lamps_here, CONFIG) == CONFIG.same_road
    # a road and a community both lie in a street: one post names each, nothing differs
    assert place_adjustment(lamps_here, HERE, CONFIG) == CONFIG.same_street
    # the road differs before the community is looked at
    assert (
        place_adjustment(
            Place("东湖区", "湖滨街道", "翠苑社区", road="湖滨路"),
            Place("东湖区", "湖滨街道", "翠苑社区", road="柳岸路"),
            CONFIG,
        )
        == CONFIG.other_road
    )
    # identical words about another road: at most a suggestion, never an automatic merge
    assert decide([Neighbour(1, 10, 0.99, lamps_there)], lamps_here, CONFIG).membership == (
        "suggested"
    )


def test_a_neighbour_that_names_no_place_counts_with_its_clues_place() -> None:
    unplaced = Neighbour(1, 10, 0.85, Place())
    # alone, a post that names no place carries the post into its clue ...
    assert decide([unplaced], HERE, CONFIG).membership == "auto"
    # ... but its clue is about another district: the post starts its own
    assert decide([unplaced], HERE, CONFIG, {10: ELSEWHERE}).membership == "seed"
    # a clue about the same community draws the post closer
    joined = decide([unplaced], HERE, CONFIG, {10: HERE})
    assert (joined.membership, joined.similarity) == (
        "auto",
        round(0.85 + CONFIG.same_community, 4),
    )
    # the neighbour's own place wins over its clue's where they disagree
    other_street = Place("东湖区", "临湖街道")
    assert Neighbour(1, 10, 0.85, HERE).place.completed_by(other_street) == HERE
    # and is filled in where the clue's agrees
    assert Place("东湖区").completed_by(HERE) == HERE
    assert Place().completed_by(None) == Place()
    assert not Place().named() and Place(road="湖滨路").named()


def test_priority_orders_by_urgency_posts_and_recency() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    weights = PriorityConfig()

    def score(**kw: object) -> float:
        base = dict(
            urgent=False, posts=1, authors=1, platforms=1, engagement=0, last_post_at=now, now=now
        )
        return clue_priority(**(base | kw), weights=weights)

    assert score(urgent=True) > score(posts=4, authors=4, platforms=2)
    assert score(posts=5, authors=5, platforms=3) > score()
    assert score(engagement=5000) > score()
    assert score() > score(last_post_at=now - timedelta(days=7))


def test_index_exact_then_approximate_and_persisted(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(300, dtype=np.int64) + 1000
    index = VectorIndex(32, IndexSettings(approximate_above=200))
    index.add(ids[:150], vectors[:150])
    assert not index.approximate
    index.add(ids[150:], vectors[150:])
    assert index.approximate and len(index) == 300
    sims, found = index.search(vectors[:5], 3)
    assert list(found[:, 0]) == list(ids[:5])
    assert np.allclose(sims[:, 0], 1.0, atol=1e-5)
    path = tmp_path / "index" / "posts.faiss"
    index.save(path, "model-a")
    assert VectorIndex.load(path, "model-b", 32) is None
    loaded = VectorIndex.load(path, "model-a", 32)
    assert loaded is not None and loaded.approximate and len(loaded) == 300
    assert list(loaded.search(vectors[:5], 1)[1][:, 0]) == list(ids[:5])


def test_empty_index_search_returns_no_ids() -> None:
    sims, ids = VectorIndex(8).search(np.ones((2, 8), dtype=np.float32), 4)
    assert ids.shape == (2, 4) and (ids == -1).all()


def test_an_urgent_post_is_never_filtered_as_noise() -> None:
    # keywords alone would call both noise at this score; the urgency rules keep the hazard
    config = ProcessingConfig(relevance={"catalogue_min_score": 1000})
    hazard, ordinary = ProcessingContext(config).judge(
        ["电梯困人 星河湾小区 里面有小朋友在哭", "小区门口的路灯不亮了"]
    )
    assert hazard.relevant and hazard.urgent
    assert hazard.relevance_reason.startswith("urgency: ")
    assert "overrides the filter (catalogue: " in hazard.relevance_reason
    assert not ordinary.relevant and not ordinary.urgent


def test_ef_search_can_be_raised_on_a_built_hnsw_index() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(16, IndexSettings(approximate_above=100, ef_search=4))
    index.add(np.arange(300), vectors)
    assert index.approximate
    index.set_ef_search(300)  # every vector is a candidate: the search is exact
    assert index.settings.ef_search == 300
    _, found = index.search(vectors[:20], 5)
    assert found[:, 0].tolist() == list(range(20))
    exact = vectors[:20] @ vectors.T
    assert [set(row) for row in found] == [set(np.argsort(-e)[:5]) for e in exact]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"grouping": {"auto_merg": 0.9}},
            "p.yaml: field 'grouping.auto_merg': unknown key; hint: did you mean 'auto_merge'?",
        ),
        (
            {"grouping": {"auto_merge": 0.5, "suggest": 0.6}},
            "p.yaml: field 'grouping': suggest must not be above auto_merge; hint: see the "
            "comments in config/processing.yaml",
        ),
        (
            {"batch_size": 0},
            "p.yaml: field 'batch_size': Input should be greater than or equal to 1; hint: see "
            "the comments in config/processing.yaml",
        ),
        (
            {"relevance": {"unseen_category": {"ratio": 0.5}}},
            "p.yaml: field 'relevance.unseen_category.ratio': Input should be greater than or "
            "equal to 1; hint: see the comments in config/processing.yaml",
        ),
        (["grouping"], "p.yaml: expected a mapping of settings at the top"),
    ],
)
def test_processing_config_errors_are_pinned(data: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_processing_config(data, "p.yaml")
    assert str(caught.value) == message


def test_processing_config_yaml_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "processing.yaml"
    path.write_text("grouping:\n  auto_merge: [0.9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}:3:1: not valid YAML"):
        load_processing_config(path)
    assert load_processing_config(tmp_path / "absent.yaml") == ProcessingConfig()


def test_process_command_says_a_wrong_processing_file_before_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in the processing file is the first thing said, even where the database has
    no schema yet."""
    from typer.testing import CliRunner

    from clue_pipeline.cli import app, load_plugins

    load_plugins()  # the commands (run alone, no other test has loaded them)
    wrong = tmp_path / "p.yaml"
    wrong.write_text("grouping:\n  auto_merg: 0.9\n", encoding="utf-8")
    monkeypatch.setenv("CLUES_PROCESSING", str(wrong))
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(app, ["process", "--database-url", url])
    assert isinstance(result.exception, ConfigError), result.output
    assert str(result.exception) == (
        f"{wrong}: field 'grouping.auto_merg': unknown key; hint: did you mean 'auto_merge'?"
    )


def test_processing_says_a_missing_catalogue_before_training_or_indexing(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With posts waiting and no catalogue, processing stops before it trains the embedder
    parts or writes an index (it used to write an index that remembered a processing file
    it never finished with, and then a warning about that file on the next run)."""
    from clue_pipeline.processing.runner import index_path, process_pending
    from clue_pipeline.storage.db import make_engine, session_scope
    from clue_pipeline.storage.migrate import upgrade
    from clue_pipeline.storage.posts import upsert_posts

    root = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("CLUES_PROCESSING", str(root / "config" / "processing.demo.yaml"))
    missing = tmp_path / "nowhere" / "catalog.yaml"
    monkeypatch.setenv("CLUES_CATALOG", str(missing))
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with session_scope(engine) as session:
            upsert_posts(
                session, "board", [{"external_id": "1", "url": "", "text": "小区停水三天了"}]
            )
        with pytest.raises(ConfigError) as raised:
            process_pending(engine, config=load_processing_config())
        assert str(raised.value) == (
            f"{missing}: cannot read the catalogue (No such file or directory); "
            "hint: set CLUES_CATALOG or create config/catalog.yaml"
        )
        assert not index_path(engine).exists()
        models = Path(os.environ["CLUES_VAR"]) / "models"
        assert not models.exists() or not any(models.iterdir())
    finally:
        engine.dispose()


def test_a_post_whose_nearest_posts_it_cannot_join_searches_wider() -> None:
    """The batch's search finds only posts of a clue the post may not join: a wider search
    of the window finds the nearest ones it may join, nearest first."""
    from types import SimpleNamespace

    from clue_pipeline.processing.runner import _window_neighbours
    from clue_pipeline.processing.window import WindowedIndex

    rng = np.random.default_rng(3)
    query = rng.normal(size=8).astype(np.float32)
    query /= np.linalg.norm(query)
    vectors = []
    for n in range(60):  # post n + 1 is less like the query the larger n is
        noise = rng.normal(size=8).astype(np.float32)
        vector = query + (0.05 + 0.02 * n) * noise
        vectors.append(vector / np.linalg.norm(vector))
    ids = np.arange(1, 61, dtype=np.int64)
    windowed = WindowedIndex(VectorIndex(8), approximate_above=1000)
    windowed.window.add(ids, np.stack(vectors))
    clue_of = {int(i): 100 if i <= 45 else 200 + int(i) for i in ids}  # 100: closed to it
    known = {
        pid: SimpleNamespace(
            post_id=pid,
            clue_id=clue,
            district=None,
            street=None,
            community=None,
            landmark=None,
            road=None,
            region=None,
            platform="board",
            author=None,
        )
        for pid, clue in clue_of.items()
    }
    sims, found = windowed.search(query[None, :], 6)
    assert set(found[0].tolist()) <= set(range(1, 46))  # the first search finds none usable
    neighbours = _window_neighbours(
        None, windowed, query, (sims[0], found[0]), known, lambda c: c != 100, 3, {}
    )
    exact = np.array([float(v @ query) for v in vectors])
    usable = [int(i) for i in ids[np.argsort(-exact)] if i > 45][:3]
    assert [n.post_id for n in neighbours] == usable
    assert [n.clue_id for n in neighbours] == [200 + i for i in usable]
    assert all(
        a.similarity >= b.similarity for a, b in zip(neighbours, neighbours[1:], strict=False)
    )


def test_posts_naming_two_other_counties_are_farther() -> None:
    """Outside the gazetteer (another city's board), the county a post names still tells
    two problems apart; a county and the city it may lie in do not."""
    k6, k7 = Place(region="/K6县"), Place(region="K市/K7县")
    assert place_adjustment(k6, k7, CONFIG) == CONFIG.other_region
    assert place_adjustment(Place(region="A市"), Place(region="B市"), CONFIG) == (
        CONFIG.other_region
    )
    assert place_adjustment(Place(region="A市/A2区"), Place(region="A市"), CONFIG) == 0.0
    assert place_adjustment(k6, k6, CONFIG) == CONFIG.same_region
    # the same county, and a landmark both name: the landmark's bonus
    gate = Place("东湖区", "湖滨街道", "翠苑社区", "东门", region="/K6县")
    assert place_adjustment(gate, gate, CONFIG) == CONFIG.same_landmark
    # a region that may hold the other's completes it; two counties do not
    assert Place(region="A市").completed_by(Place(region="A市/A2区")).region == "A市/A2区"
    assert k6.completed_by(Place("东湖区", region="K市/K7县")) == k6
    # a post about K7县 does not auto-merge into a K6县 clue at a similarity just above
    near = decide([Neighbour(1, 10, CONFIG.auto_merge + 0.05, k7)], k6, CONFIG)
    assert near.membership != "auto"
