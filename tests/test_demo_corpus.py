"""The demo corpus of 云江市: valid, big and varied enough, consistent with the
gazetteer and the catalogue."""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from clue_pipeline.demo import DemoPost, corpus_stats, load_corpus
from clue_pipeline.demo.corpus import PLATFORMS
from clue_pipeline.errors import ConfigError
from clue_pipeline.locate import Locator, load_gazetteer

REPO = Path(__file__).resolve().parents[1]
GAZETTEER = REPO / "config" / "gazetteer.yaml"


@pytest.fixture(scope="module")
def posts() -> list[DemoPost]:
    return load_corpus()


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator(load_gazetteer(GAZETTEER))


def _shared_data() -> Path:
    env = os.environ.get("CLUES_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def test_packaged_corpus_validates_and_is_large(posts):
    assert len(posts) >= 300
    assert len({p.id for p in posts}) == len(posts)


def test_every_platform_has_at_least_40_posts(posts):
    per_platform = corpus_stats(posts)["per_platform"]
    assert set(per_platform) == set(PLATFORMS)
    assert min(per_platform.values()) >= 40, per_platform


def test_noise_urgent_and_duplicates(posts):
    stats = corpus_stats(posts)
    assert stats["noise"] >= 60
    assert stats["urgent_problems"] >= 12
    assert stats["problems_on_several_platforms"] >= 40


def test_problems_span_many_categories_and_districts(posts):
    stats = corpus_stats(posts)
    assert len(stats["per_category"]) >= 12
    assert len(stats["per_district"]) >= 6


def test_hostile_posts_are_present_for_ui_tests(posts):
    texts = [(p.title or "") + p.text for p in posts]
    assert any("<script>" in t for t in texts)
    assert any("onerror=" in t for t in texts)
    assert sum(any(ch.isdigit() for ch in t) and "身份证" in t for t in texts) >= 2


def test_labelled_districts_are_gazetteer_districts(posts):
    districts = set(load_gazetteer(GAZETTEER).district_names())
    used = {p.district for p in posts if p.district is not None}
    assert used <= districts, used - districts
    assert all(p.district for p in posts if not p.is_noise)


def test_items_are_catalogue_items_of_their_category(posts):
    taxonomy = _shared_data() / "matter_taxonomy.csv"
    if not taxonomy.exists():
        pytest.skip(f"real data ../shared/data absent: {taxonomy}")
    with taxonomy.open(encoding="utf-8") as fh:
        items = {(row["level1"], row["level3"]) for row in csv.DictReader(fh)}
    bad = {(p.category, p.item) for p in posts if not p.is_noise} - items
    assert not bad


def test_locator_finds_the_labelled_district(posts, locator):
    labelled = [p for p in posts if not p.is_noise and p.district]
    found = [
        locator.locate(f"{p.title or ''} {p.text}", p.location).district == p.district
        for p in labelled
    ]
    text_only = [locator.locate(p.text).district == p.district for p in labelled]
    print(
        f"district found: {sum(found)}/{len(found)} with title+location, "
        f"{sum(text_only)}/{len(text_only)} from text alone"
    )
    assert sum(found) / len(found) >= 0.9


def test_places_found_agree_with_the_labels(posts, locator):
    """A landmark or community found in a post lies in the district it is labelled with."""
    wrong = []
    for p in posts:
        if p.is_noise:
            continue
        loc = locator.locate(f"{p.title or ''} {p.text}", p.location)
        if loc.district == p.district:
            continue
        if loc.landmark or loc.community:
            wrong.append((p.id, p.district, loc))
    assert not wrong


def test_posts_of_one_problem_are_spread_in_time(posts):
    ages = defaultdict(list)
    for p in posts:
        if p.problem:
            ages[p.problem].append(p.age_minutes)
    assert max(max(a) for a in ages.values()) <= 10 * 24 * 60
    assert any(min(a) <= 60 for a in ages.values())


def _write(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return path


def _record(**changes) -> dict:
    record = {
        "id": "d0001",
        "platform": "microblog",
        "title": None,
        "text": "东湖公园门口路灯不亮",
        "author": "a",
        "age_minutes": 5,
        "likes": 1,
        "comments": 0,
        "reposts": 0,
        "location": None,
        "media": [],
        "problem": "p001",
        "category": "城乡建设",
        "item": "城市公共设施",
        "urgent": False,
        "district": "东湖区",
    }
    record.update(changes)
    return record


def test_bad_record_names_line_and_field(tmp_path):
    path = _write(tmp_path, [_record(), _record(id="d0002", platform="tieba")])
    with pytest.raises(ConfigError, match=r"line 2: platform: Input should be"):
        load_corpus(path)


def test_noise_post_must_not_name_a_problem(tmp_path):
    path = _write(tmp_path, [_record(category="noise", item=None)])
    with pytest.raises(ConfigError, match="line 1: .*a noise post has problem null"):
        load_corpus(path)


def test_posts_of_one_problem_must_agree_on_labels(tmp_path):
    path = _write(tmp_path, [_record(), _record(id="d0002", district="江北区")])
    with pytest.raises(ConfigError, match="line 2: problem p001 has labels"):
        load_corpus(path)


def test_duplicate_id_is_refused(tmp_path):
    path = _write(tmp_path, [_record(), _record()])
    with pytest.raises(ConfigError, match="line 2: id: 'd0001' is used twice"):
        load_corpus(path)
