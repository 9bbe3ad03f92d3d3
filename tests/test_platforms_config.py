"""platforms.yaml loading: every malformed file gives ONE line naming file,
line, platform, field, the problem, what was expected and a hint (pinned
exactly), and valid files load with ${ENV} expansion and defaults merged."""

from __future__ import annotations

from pathlib import Path

import pytest

from clue_pipeline.errors import ConfigError
from clue_pipeline.platforms.checks import is_xpath, selector_error
from clue_pipeline.platforms.envvars import expand_string
from clue_pipeline.platforms.loader import load_platforms
from clue_pipeline.platforms.models import HtmlPlatform, JsonPlatform
from clue_pipeline.platforms.yaml_source import line_of, load_marked_yaml

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "data" / "bad_platforms"

# file in tests/data/bad_platforms -> the message after "<file>"
MESSAGES = [
    (
        "bad_css.yaml",
        ":6: platform 'city_forum' field 'list.item': not a valid CSS selector (Expected "
        "ident or '*', got <EOF at 8>); expected a CSS or XPath selector; hint: XPath "
        "starts with / ./ or (; CSS may end in ::text or ::attr(name)",
    ),
    (
        "bad_jmespath.yaml",
        ":5: platform 'short_video' field 'items': not a valid JMESPath (Invalid "
        "jmespath expression: Incomplete expression); expected a JMESPath expression, "
        "e.g. data.items or user.name; hint: quote it in YAML when it has [ ] { } or `",
    ),
    (
        "bad_name.yaml",
        ":2: platform 'City Forum' field 'name': 'City Forum' is not a valid name; "
        "expected lower-case letters, digits and _, starting with a letter (at most 64); "
        "hint: for example 'city_forum'",
    ),
    (
        "bad_timezone.yaml",
        ":4: platform 'district_news' field 'timezone': unknown time zone "
        "'Asia/Shangai'; expected an IANA time zone name such as Asia/Shanghai; hint: "
        "did you mean 'Asia/Shanghai'?",
    ),
    (
        "bad_url_scheme.yaml",
        ":4: platform 'district_news' field 'url': 'ftp://news.example.org/rss.xml' is "
        "not an http(s) URL; expected an http:// or https:// URL; hint: give the full "
        "address, with https://",
    ),
    (
        "bad_xpath.yaml",
        ":7: platform 'city_forum' field 'fields.text': not a valid XPath (Invalid "
        "predicate); expected a CSS or XPath selector; hint: XPath starts with / ./ or "
        "(; CSS may end in ::text or ::attr(name)",
    ),
    (
        "cursor_without_path.yaml",
        ":6: platform 'short_video' field 'pagination': cursor pagination needs "
        "'cursor': a JMESPath to the next cursor; expected cursor: a JMESPath to the "
        "next cursor, e.g. data.next_cursor; hint: add cursor: under pagination, or use "
        "type: page",
    ),
    (
        "defaults_bad_value.yaml",
        ":2: field 'defaults.timeout': 0 is out of range; expected a value > 0.0; hint: "
        "seconds before a request is abandoned",
    ),
    (
        "defaults_unknown_key.yaml",
        ":2: field 'defaults.download_dely': unknown key 'download_dely'; expected one "
        "of download_delay, concurrency, autothrottle, timeout, retries, backoff, "
        "max_retry_after, obey_robots, max_page_bytes, user_agent; hint: did you mean "
        "'download_delay'?",
    ),
    (
        "detail_without_link.yaml",
        ":7: platform 'city_forum' field 'detail_fields': detail_fields need "
        "list.detail_link to reach the detail page; expected list.detail_link: a "
        "selector of the link to each post's page; hint: add detail_link: "
        "'a::attr(href)' under list",
    ),
    (
        "duplicate_name.yaml",
        ":5: platform 'city_forum' field 'name': duplicate platform name 'city_forum' "
        "(also platform #1); expected a unique name per platform; hint: rename one of "
        "them; the name keys the stored posts",
    ),
    (
        "duplicate_yaml_key.yaml",
        ":5:5: not valid YAML: duplicate key 'url' (first at line 4); hint: delete one "
        "of the two, or rename it",
    ),
    (
        "empty.yaml",
        ": file is empty; expected a mapping with 'platforms:' (a list) and optionally "
        "'defaults:'; hint: see config/platforms.yaml in the project for a commented "
        "example",
    ),
    (
        "empty_platforms.yaml",
        ":1: field 'platforms': is empty; expected at least 1 item; hint: platforms: "
        "needs at least one platform",
    ),
    (
        "enabled_not_bool.yaml",
        ":4: platform 'district_news' field 'enabled': wrong type: got the text 'maybe'; "
        "expected true or false; hint: write true or false, without quotes",
    ),
    (
        "json_missing_external_id.yaml",
        ":6: platform 'short_video' field 'fields': json platforms need an 'external_id' "
        "field; expected fields.external_id: a JMESPath into one record; hint: add "
        "external_id: id under fields (JMESPath of the record's external_id)",
    ),
    (
        "list_empty_value.yaml",
        ":5: platform 'city_forum' field 'list': is empty; expected a mapping with keys "
        "item, next_page, detail_link; hint: write the keys indented under it",
    ),
    (
        "missing_kind.yaml",
        ":2: platform 'city_forum' field 'kind': missing required key 'kind'; expected "
        "one of html, json, feed; hint: add kind: html (web pages read with selectors), "
        "json (an API) or feed (RSS/Atom)",
    ),
    (
        "missing_list.yaml",
        ":2: platform 'city_forum' field 'list': missing required key 'list'; expected a "
        "mapping with item (selector of one post on a list page), next_page, "
        "detail_link; hint: add list: {item: 'ul.posts > li'}",
    ),
    (
        "pagination_type_typo.yaml",
        ":6: platform 'short_video' field 'pagination.type': 'cursr' is not allowed; "
        "expected one of page, cursor, none; hint: did you mean 'cursor'?",
    ),
    (
        "platform_not_mapping.yaml",
        ":2: platform #1: not a mapping: got the text 'city_forum'; expected a platform: "
        "a mapping with name, kind and the keys of its kind; hint: write 'key: value' "
        "lines indented under it",
    ),
    (
        "platforms_not_list.yaml",
        ":1: field 'platforms': not a list: got a mapping; expected a list of platforms, "
        "each starting with '- name: ...'; hint: write each item on its own line "
        "starting with '- '",
    ),
    (
        "selector_mapping_typo.yaml",
        ":8: platform 'city_forum' field 'fields.media.csss': unknown key 'csss'; "
        "expected one of css, xpath, all, re, join; hint: did you mean 'css'?",
    ),
    (
        "selector_wrong_type.yaml",
        ":8: platform 'city_forum' field 'fields.likes': wrong type: got the number 5; "
        "expected a selector: CSS (a::attr(href), p::text) or XPath (//p) text, or a "
        "mapping with css or xpath (and all, re, join); hint: quote selectors in YAML: "
        "item: 'ul.posts > li'",
    ),
    (
        "tab_indent.yaml",
        ":3:1: not valid YAML: found character '\\t' that cannot start any token (while "
        "scanning for the next token); hint: indent with spaces, never tabs",
    ),
    (
        "top_level_list.yaml",
        ":1: top level is a list, not a mapping; expected a mapping with 'platforms:' (a "
        "list) and optionally 'defaults:'; hint: start the file with 'platforms:'",
    ),
    (
        "two_problems.yaml",
        ":5: platform 'district_news' field 'enabeld': unknown key 'enabeld'; expected "
        "one of name, kind, enabled, description, timezone, encoding, max_pages, "
        "politeness, url, fields; hint: did you mean 'enabled'? (+1 more problem)",
    ),
    (
        "unknown_key_start_url.yaml",
        ":4: platform 'city_forum' field 'start_url': unknown key 'start_url'; expected "
        "one of name, kind, enabled, description, timezone, encoding, max_pages, "
        "politeness, start_urls, render, render_options, list, fields, detail_fields; "
        "hint: did you mean 'start_urls'?",
    ),
    (
        "unknown_kind.yaml",
        ":3: platform 'city_forum' field 'kind': unknown kind 'htm'; expected one of "
        "html, json, feed; hint: did you mean 'html'?",
    ),
    (
        "unknown_placeholder.yaml",
        ":4: platform 'short_video' field 'url': unknown placeholder '{pgae}'; expected "
        "only {page}, {cursor}, {since} (they are filled in by the crawler); hint: did "
        "you mean '{page}'?",
    ),
    (
        "unknown_post_field.yaml",
        ":8: platform 'city_forum' field 'fields.athor': unknown field 'athor'; expected "
        "one of external_id, url, title, text, author, published_at, likes, comments, "
        "reposts, location, media; hint: did you mean 'author'?",
    ),
    (
        "unknown_top_key.yaml",
        ":1: field 'platform': unknown key 'platform'; expected one of defaults, "
        "platforms; hint: did you mean 'platforms'?",
    ),
    (
        "unset_env.yaml",
        ":6: platform 'short_video' field 'headers.Authorization': environment variable "
        "'CLUES_TEST_UNSET_TOKEN' is not set; expected 'CLUES_TEST_UNSET_TOKEN' set in "
        "the environment, or a default as ${CLUES_TEST_UNSET_TOKEN:-value}; hint: export "
        "CLUES_TEST_UNSET_TOKEN=... before running clues",
    ),
    (
        "wrong_type_max_pages.yaml",
        ":4: platform 'city_forum' field 'max_pages': wrong type: got the text 'lots'; "
        "expected a whole number; hint: write a whole number without quotes or units",
    ),
    (
        "yaml_syntax.yaml",
        ":4:10: not valid YAML: found unexpected end of stream (while scanning a quoted "
        "scalar); hint: a quote or bracket is not closed",
    ),
]


@pytest.mark.parametrize(("name", "message"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_malformed_file_gives_one_pinned_line(name: str, message: str) -> None:
    path = BAD / name
    with pytest.raises(ConfigError) as caught:
        load_platforms(path, environ={})
    text = str(caught.value)
    assert text == f"{path}{message}"
    assert "\n" not in text


def test_every_bad_file_is_pinned() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(m[0] for m in MESSAGES)
    assert len(MESSAGES) >= 15


def test_shipped_config_is_valid() -> None:
    parsed = load_platforms(ROOT / "config" / "platforms.yaml", environ={})
    kinds = {p.kind for p in parsed.platforms}
    assert kinds == {"html", "json", "feed"}
    assert any(isinstance(p, HtmlPlatform) and p.render for p in parsed.platforms)
    assert not parsed.enabled()
    json_platform = next(p for p in parsed.platforms if isinstance(p, JsonPlatform))
    assert json_platform.pagination.type == "cursor"
    assert json_platform.headers["Authorization"] == "Bearer "  # ${EXAMPLE_VIDEO_TOKEN:-}


def test_default_path_comes_from_settings(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    path = tmp_path / "p.yaml"
    path.write_text(FEED)
    monkeypatch.setenv("CLUES_PLATFORMS", str(path))
    assert load_platforms().get("news").url == "https://news.example.org/rss.xml"


FEED = """\
platforms:
  - name: news
    kind: feed
    url: https://news.example.org/rss.xml
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "platforms.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_env_expansion_in_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
platforms:
  - name: api
    kind: json
    url: https://${API_HOST}/feed?page={page}
    headers:
      Authorization: "Bearer ${API_TOKEN:-anonymous}"
      X-Literal: "$${NOT_EXPANDED}"
      X-Empty: "${EMPTY:-fallback}"
    items: data.items
    fields: {external_id: id, text: desc}
""",
    )
    parsed = load_platforms(path, environ={"API_HOST": "api.example.org", "EMPTY": ""})
    platform = parsed.get("api")
    assert platform.url == "https://api.example.org/feed?page={page}"
    assert platform.headers == {
        "Authorization": "Bearer anonymous",
        "X-Literal": "${NOT_EXPANDED}",
        "X-Empty": "fallback",
    }
    parsed = load_platforms(
        path, environ={"API_HOST": "h.example.org", "API_TOKEN": "s3cret", "EMPTY": ""}
    )
    assert parsed.get("api").headers["Authorization"] == "Bearer s3cret"


def test_env_expansion_feeds_typed_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        FEED + "    max_pages: ${PAGES:-7}\n    enabled: ${ON}\n",
    )
    platform = load_platforms(path, environ={"ON": "false"}).get("news")
    assert platform.max_pages == 7
    assert platform.enabled is False


def test_expand_string_reports_every_unset_name() -> None:
    text, missing = expand_string("${A}-${B:-b}-${C}", {"A": "a"})
    assert text == "a-b-"
    assert missing == ["C"]


def test_uses_os_environ_by_default(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("CLUES_TEST_FEED_HOST", "feeds.example.org")
    path = write(tmp_path, FEED.replace("news.example.org", "${CLUES_TEST_FEED_HOST}"))
    assert load_platforms(path).get("news").url == "https://feeds.example.org/rss.xml"


def test_defaults_merge_under_each_platform(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
defaults:
  download_delay: 3
  retries: 5
platforms:
  - name: news
    kind: feed
    url: https://news.example.org/rss.xml
    politeness:
      retries: 1
      concurrency: 4
  - name: other
    kind: feed
    url: https://other.example.org/rss.xml
""",
    )
    parsed = load_platforms(path)
    news, other = parsed.get("news").politeness, parsed.get("other").politeness
    assert (news.download_delay, news.retries, news.concurrency) == (3, 1, 4)
    assert (other.download_delay, other.retries, other.concurrency) == (3, 5, 2)
    assert other.timeout == 30.0  # neither sets it: the built-in default
    assert parsed.defaults.retries == 5


def test_more_problems_are_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
platforms:
  - name: a
    kind: feed
    url: https://a.example.org/rss
    enabled: perhaps
  - name: b
    kind: feed
    url: https://b.example.org/rss
    max_pages: 0
  - name: c
    kind: feed
    urll: https://c.example.org/rss
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_platforms(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:5: platform 'a' field 'enabled': ")
    assert text.endswith(" (+2 more problems)")


def test_first_problem_is_the_first_in_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
platforms:
  - name: first
    kind: html
    start_urls: [https://a.example.org/]
    list: {item: "li["}
    fields: {text: p}
  - name: first
    kind: feed
    url: https://b.example.org/rss
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_platforms(path)
    assert str(caught.value).startswith(f"{path}:5: platform 'first' field 'list.item': ")
    assert str(caught.value).endswith("(+1 more problem)")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_platforms(missing)
    assert str(caught.value) == (
        f"{missing}: file not found; expected a platforms file; hint: create it (see "
        "config/platforms.yaml in the project for a commented example) or point "
        "CLUES_PLATFORMS at it"
    )
    with pytest.raises(ConfigError) as caught:
        load_platforms(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}: is a directory; ")


def test_gbk_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "platforms.yaml"
    path.write_bytes((FEED + "    description: 区政府新闻\n").encode("gbk"))
    with pytest.raises(ConfigError) as caught:
        load_platforms(path)
    assert str(caught.value).startswith(f"{path}:5: not UTF-8 text (byte 0xc7); ")
    assert str(caught.value).endswith("hint: save the file as UTF-8 (not GBK)")


def test_utf8_bom_and_chinese_text_load(tmp_path: Path) -> None:
    path = tmp_path / "platforms.yaml"
    path.write_bytes(("\ufeff" + FEED + "    description: 区政府新闻\n").encode("utf-8"))
    assert load_platforms(path).get("news").description == "区政府新闻"


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
platforms:
  - &base
    name: one
    kind: feed
    url: https://one.example.org/rss
  - <<: *base
    name: two
""",
    )
    parsed = load_platforms(path)
    assert [p.name for p in parsed.platforms] == ["one", "two"]
    assert parsed.get("two").url == "https://one.example.org/rss"


def test_line_marks() -> None:
    data = load_marked_yaml("a:\n  b:\n    - x\n    - c: 1\n      d: 2\n")
    assert line_of(data, ("a",)) == 1
    assert line_of(data, ("a", "b", 1, "d")) == 5
    assert line_of(data, ("a", "b", 1, "missing")) == 4
    assert data == {"a": {"b": ["x", {"c": 1, "d": 2}]}}


@pytest.mark.parametrize(
    ("selector", "xpath", "ok"),
    [
        ("div.post > a::attr(href)", False, True),
        ("p::text", False, True),
        ("li:nth-child(2n)", False, True),
        ("a::nope", False, False),
        ("div[", False, False),
        ("//div[@class='x']/text()", True, True),
        ("./span", True, True),
        ("(//a)[1]/@href", True, True),
        ("//a[re:test(@href, 'id=\\d+')]", True, True),
        ("//div[", True, False),
    ],
)
def test_selectors_compile(selector: str, xpath: bool, ok: bool) -> None:
    assert is_xpath(selector) is xpath
    assert (selector_error(selector) is None) is ok
