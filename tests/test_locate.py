"""Locate stage: gazetteer loading (errors that name the field) and the Locator."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clue_pipeline.errors import ConfigError
from clue_pipeline.locate import Locator, load_gazetteer, parse_gazetteer

GAZETTEER = Path(__file__).resolve().parents[1] / "config" / "gazetteer.yaml"


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator(load_gazetteer(GAZETTEER))


def _mini(**changes) -> dict:
    data = {
        "city": "测试市",
        "districts": [
            {
                "name": "东湖区",
                "streets": [
                    {
                        "name": "湖滨街道",
                        "roads": ["湖滨路", "滨江大道"],
                        "communities": [{"name": "柳岸社区", "aliases": ["柳岸小区"]}],
                    },
                    {"name": "东湖街道", "roads": ["樱花路"]},
                ],
            },
            {
                "name": "江北区",
                "streets": [{"name": "北岸街道", "roads": ["北岸路", "滨江大道"]}],
            },
            {"name": "湖滨区"},
        ],
        "landmarks": [
            {"name": "东湖公园", "kind": "park", "district": "东湖区", "street": "湖滨街道"}
        ],
    }
    data.update(changes)
    return data


# --- loading ---------------------------------------------------------------


def test_project_gazetteer_loads_with_seven_districts_and_40_landmarks():
    gaz = load_gazetteer(GAZETTEER)
    assert 6 <= len(gaz.districts) <= 8
    assert len(gaz.landmarks) >= 40
    for district in gaz.districts:
        assert 3 <= len(district.streets) <= 5
        for street in district.streets:
            assert 2 <= len(street.communities) <= 4
            assert street.roads


def test_unknown_landmark_district_names_the_field():
    data = _mini(landmarks=[{"name": "某公园", "district": "南山区"}])
    with pytest.raises(ConfigError) as exc:
        parse_gazetteer(data, "gaz.yaml")
    assert str(exc.value) == (
        "gaz.yaml: landmarks[0].district: '南山区' is not a district of the gazetteer; "
        "expected one of: 东湖区, 江北区, 湖滨区"
    )


def test_landmark_street_outside_its_district_names_the_field():
    data = _mini(landmarks=[{"name": "某公园", "district": "江北区", "street": "湖滨街道"}])
    with pytest.raises(ConfigError, match=r"^gaz.yaml: landmarks\[0\].street: '湖滨街道' is not"):
        parse_gazetteer(data, "gaz.yaml")


def test_schema_error_names_the_nested_path():
    data = _mini()
    data["districts"][0]["streets"][0]["communities"][0]["alias"] = ["x"]
    with pytest.raises(ConfigError) as exc:
        parse_gazetteer(data, "gaz.yaml")
    assert str(exc.value).startswith(
        "gaz.yaml: districts[0].streets[0].communities[0].alias: Extra inputs are not permitted"
    )
    assert "\n" not in str(exc.value)


def test_duplicate_names_are_refused():
    data = _mini()
    data["districts"][1]["streets"][0]["name"] = "湖滨街道"
    with pytest.raises(
        ConfigError, match=r"districts\[1\].streets\[0\].name: '湖滨街道' is already"
    ):
        parse_gazetteer(data, "gaz.yaml")


def test_coordinates_come_from_the_most_precise_place_that_has_them():
    data = _mini()
    data["districts"][0]["at"] = [30.1, 115.1]
    data["districts"][0]["streets"][0]["at"] = [30.2, 115.2]
    data["landmarks"][0]["at"] = {"lat": 30.3, "long": 115.3}
    gaz = parse_gazetteer(data)
    place = {"district": "东湖区", "street": "湖滨街道", "community": "柳岸社区"}
    assert gaz.coordinates(**place, landmark="东湖公园").lat == 30.3
    assert gaz.coordinates(**place).lat == 30.2  # the community has none
    assert gaz.coordinates(district="东湖区", street="东湖街道").long == 115.1
    assert gaz.coordinates(district="江北区") is None
    assert gaz.coordinates() is None


def test_every_place_of_the_project_gazetteer_has_coordinates():
    gaz = load_gazetteer(GAZETTEER)
    for district in gaz.districts:
        assert district.at is not None, district.name
        assert all(street.at is not None for street in district.streets), district.name
    assert all(landmark.at is not None for landmark in gaz.landmarks)


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ([30.1], "gaz.yaml: districts[0].at: expected [latitude, longitude], got 1 numbers"),
        ([95, 115], "gaz.yaml: districts[0].at.lat: Input should be less than or equal to 90"),
    ],
)
def test_bad_coordinates_name_the_field(at, message):
    data = _mini()
    data["districts"][0]["at"] = at
    with pytest.raises(ConfigError) as exc:
        parse_gazetteer(data, "gaz.yaml")
    assert str(exc.value).startswith(message)


def test_bad_yaml_and_missing_file_are_one_line_errors(tmp_path):
    bad = tmp_path / "gazetteer.yaml"
    bad.write_text("city: 云江市\ndistricts: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gazetteer.yaml: line \d+, column \d+: invalid YAML"):
        load_gazetteer(bad)
    with pytest.raises(ConfigError, match="gazetteer file not found"):
        load_gazetteer(tmp_path / "nope.yaml")


def test_load_from_file(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(_mini(), allow_unicode=True), encoding="utf-8")
    assert load_gazetteer(path).district_names() == ["东湖区", "江北区", "湖滨区"]


# --- locating ---------------------------------------------------------------


def test_landmark_implies_street_and_district(locator):
    loc = locator.locate("东湖公园门口的路灯一直在闪")
    assert (loc.district, loc.street, loc.landmark) == ("东湖区", "湖滨街道", "东湖公园")
    assert loc.confidence == 1.0
    assert loc.matched == ["东湖公园"]


def test_community_alias_implies_street_and_district(locator):
    loc = locator.locate("柳岸小区3栋电梯坏了")
    assert (loc.district, loc.street, loc.community) == ("东湖区", "湖滨街道", "柳岸社区")


def test_longest_match_wins(locator):
    assert locator.mentions("东湖区人民医院排队") == ["东湖区人民医院"]
    assert locator.locate("东湖区人民医院").landmark == "东湖区人民医院"


def test_nothing_found_gives_an_empty_location(locator):
    loc = locator.locate("今天天气真好，云江市到处都是人")
    assert loc.district is None and loc.confidence == 0.0 and loc.matched == []


def test_more_specific_and_repeated_mentions_win(locator):
    loc = locator.locate("我住东湖区，每天去江北区上班，江北区铁塔路路口的红绿灯坏了")
    assert (loc.district, loc.street, loc.road) == ("江北区", "铁塔街道", "铁塔路")
    assert 0 < loc.confidence < 1


def test_road_in_two_districts_is_settled_by_other_mentions(locator):
    assert locator.locate("滨江大道靠近北岸社区那段").district == "江北区"
    assert locator.locate("滨江大道靠近西关小区那段").district == "老城区"
    loc = locator.locate("滨江大道有个坑")
    assert loc.road == "滨江大道" and loc.confidence <= 0.5


def test_location_text_is_a_fallback_with_low_confidence(locator):
    loc = locator.locate("我们小区电梯又坏了", "云江·临港区")
    assert loc.district == "临港区" and loc.confidence == 0.5
    assert locator.locate("铁塔路红绿灯坏了", "云江·临港区").district == "江北区"


def test_abbreviation_only_when_unambiguous():
    gaz = parse_gazetteer(_mini())
    loc = Locator(gaz)
    # 东湖 is short for 东湖区 and 东湖街道, both in 东湖区: accepted
    assert loc.locate("东湖这边停电了").district == "东湖区"
    # 湖滨 is short for 湖滨街道 (东湖区) and 湖滨区: ambiguous, never guessed
    assert loc.locate("湖滨这边停电了").district is None
    # 江北 is short for 江北区 only
    assert loc.locate("江北那边停电了").district == "江北区"


def test_stop_abbreviations_are_not_generated():
    gaz = parse_gazetteer(_mini(stop_abbreviations=["江北"]))
    assert Locator(gaz).locate("江北那边停电了").district is None


def test_project_gazetteer_abbreviations(locator):
    assert locator.locate("东湖今天好热").district == "东湖区"
    assert locator.locate("老城改造又开始了").district is None  # stop abbreviation
    assert locator.locate("云台这边的房价").district == "云台区"


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        # right after another city's or county's name: that place's station, school, hospital
        ("长沙市火车站的出租车乱收费", []),
        ("K7县火车站出站口没有路灯", []),
        ("C市三中寒假违规补课", []),  # 市三中 shares C市's suffix
        # a post naming another city and none of this city's own places: somewhere else
        ("刚从长沙市出差回来，火车站的出租车乱收费", []),
        # this city's own name, or one of its districts, anchors the post here
        ("云江市火车站的出租车乱收费", ["火车站"]),
        ("刚从长沙市出差回来，江北区火车站的出租车乱收费", ["江北区", "火车站"]),
        # common words ending in 市 or 县, and 市 starting a word, are no other city
        ("去超市的路上经过火车站，出租车乱收费", ["火车站"]),
        ("近期有市民反映火车站出租车乱收费", ["火车站"]),
        ("早上六点半的市三中门口堵车", ["市三中"]),
    ],
)
def test_places_of_somewhere_else_are_not_this_citys(
    locator: Locator, text: str, mentions: list[str]
) -> None:
    assert locator.mentions(text) == mentions
    assert (locator.locate(text).district is None) == (not mentions)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("A市A2区桂花坪街道的A2区公安分局宿舍区物业管理有问题", "A市/A2区"),
        ("请求K6县住建局依法查处万家庄路的违章建筑", "/K6县"),
        # the most named county; the word before a Chinese name is not part of it
        ("我在长沙市工作，在K7县买房，K7县的学校不收", "长沙市/K7县"),
        ("C4市重视农村道路安全管理问题", "C4市"),
        # a coded name is a name whatever follows it (县城, 市民 start words after 县 and 市)
        ("A7县城西安置小区的市场问题", "/A7县"),
        ("请A市民政局核实K6县政府的答复", "A市/K6县"),
        # this city, its districts and common words ending in 市 or 县 are no region
        ("云江市江北区的路灯坏了", None),
        ("去超市的路上全县的学校都放假了", None),
    ],
)
def test_region_is_the_other_city_and_county_a_post_names(
    locator: Locator, text: str, region: str | None
) -> None:
    assert locator.locate(text).region == region
