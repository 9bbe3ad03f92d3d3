"""Pydantic's errors told in the words of ``platforms.yaml``.

Pydantic reports ``loc`` (with union branches and tags mixed in), ``type``
and ``ctx``. Here each error becomes a :class:`Problem` whose path contains
only the keys and indexes that exist in the file, with the model's own field
names as close-match suggestions for misspelt keys.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from clue_pipeline.platforms import models
from clue_pipeline.platforms.models import FIELD_NAMES, PlatformsFile
from clue_pipeline.platforms.problems import (
    Path,
    Problem,
    describe_value,
    did_you_mean,
    dotted,
)

KINDS = ("html", "json", "feed")
KIND_HELP = "html (web pages read with selectors), json (an API) or feed (RSS/Atom)"
SELECTOR = (
    "a selector: CSS (a::attr(href), p::text) or XPath (//p) text, "
    "or a mapping with css or xpath (and all, re, join)"
)
NAME_RULE = "lower-case letters, digits and _, starting with a letter (at most 64)"

# What a missing or wrongly typed key needs, where the type alone says too little.
FIELD_NEEDS: dict[str, str] = {
    "name": f"a platform name: {NAME_RULE}",
    "kind": f"one of {', '.join(KINDS)}",
    "start_urls": "a list of http(s) URLs of the first list pages",
    "list": "a mapping with item (selector of one post on a list page), next_page, detail_link",
    "item": "a selector of one post on the list page",
    "fields": "a mapping of field name to " + "selector (html) or JMESPath (json)",
    "url": "an http(s) URL",
    "items": "a JMESPath to the list of records in the response, e.g. data.items",
    "platforms": "a list of platforms, each starting with '- name: ...'",
    "defaults": "a mapping of politeness settings",
    "politeness": "a mapping of politeness settings",
    "cursor": "a JMESPath to the next cursor in the response",
}
FIELD_HINTS: dict[str, str] = {
    "name": "for example 'city_forum'",
    "kind": f"add kind: {KIND_HELP}",
    "start_urls": 'write start_urls: ["https://example.org/board"]',
    "list": "add list: {item: 'ul.posts > li'}",
    "fields": "add fields: {text: 'div.content'}",
    "url": "give the full address, starting with https://",
    "items": "add items: data.items (JMESPath to the list of records)",
}
# Messages raised by validators in models.py: (pattern, expected, hint)
VALUE_ERRORS: tuple[tuple[str, str, str], ...] = (
    (
        r"unknown time zone",
        "an IANA time zone name such as Asia/Shanghai",
        "see the TZ identifiers of the tz database",
    ),
    (
        r"unknown encoding",
        "a Python codec name such as utf-8, gbk or gb18030",
        "leave encoding out to detect it from the page",
    ),
    (
        r"give exactly one of css or xpath",
        "a mapping with css: ... or xpath: ... (not both)",
        "write {css: 'a::attr(href)'} or {xpath: '//a/@href'}",
    ),
    (
        r"re is not a valid regular expression",
        "a Python regular expression",
        "quote it with single quotes in YAML so backslashes stay",
    ),
    (
        r"cursor pagination needs 'cursor'",
        "cursor: a JMESPath to the next cursor, e.g. data.next_cursor",
        "add cursor: under pagination, or use type: page",
    ),
    (
        r"html platforms need a 'text' field",
        "a 'text' selector in fields or detail_fields",
        "add text: 'div.content' under fields",
    ),
    (
        r"detail_fields need list.detail_link",
        "list.detail_link: a selector of the link to each post's page",
        "add detail_link: 'a::attr(href)' under list",
    ),
    (
        r"json platforms need a '(\w+)' field",
        "fields.{0}: a JMESPath into one record",
        "add {0}: id under fields (JMESPath of the record's {0})",
    ),
)
# Which key of the mapping a model-level message is about.
VALUE_ERROR_KEYS: dict[str, str] = {
    r"html platforms need a 'text' field": "fields",
    r"detail_fields need list.detail_link": "detail_fields",
    r"json platforms need a '(\w+)' field": "fields",
}
TYPE_WORDS: dict[Any, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
}


def problems_from_validation(error: ValidationError, data: Any) -> list[Problem]:
    """One problem per distinct place and cause in ``error``."""
    raw = error.errors(include_url=False)
    problems: list[Problem] = []
    union_places: set[Path] = set()
    extra_keys: dict[Path, list[str]] = {}
    for item in raw:
        if item["type"] == "extra_forbidden":
            place = _walk(data, item["loc"])[0]
            extra_keys.setdefault(place[:-1], []).append(str(place[-1]))
    for item in raw:
        loc = tuple(item["loc"])
        place, _rest, branch_at = _walk(data, loc)
        if branch_at is not None:
            # A str | SelectorSpec union: for a mapping keep the mapping
            # branch's errors, else say once that a selector was expected.
            selector = _value_at(data, place[:branch_at])
            if isinstance(selector, dict):
                if not any("SelectorSpec" in str(part) for part in loc):
                    continue
            else:
                spot = place[:branch_at]
                if spot not in union_places:
                    union_places.add(spot)
                    problems.append(
                        Problem(
                            spot,
                            f"wrong type: got {describe_value(selector)}",
                            SELECTOR,
                            "quote selectors in YAML: item: 'ul.posts > li'",
                        )
                    )
                continue
        if item["type"] == "missing":
            missing = loc[-1]
            near = [k for k in extra_keys.get(place, []) if did_you_mean(k, [str(missing)])]
            if near:
                continue  # the misspelt key's own problem says it
        problem = _translate(item, place, loc)
        if problem is not None:
            problems.append(problem)
    return problems


def _translate(item: dict, place: Path, loc: tuple) -> Problem | None:
    kind = item["type"]
    value = item.get("input")
    ctx = item.get("ctx") or {}
    key = place[-1] if place else None
    model = _model_at(loc[:-1]) if loc else None
    if kind == "extra_forbidden":
        names = list(model.model_fields) if model else []
        return Problem(
            place,
            f"unknown key '{key}'",
            f"one of {', '.join(names)}" if names else None,
            did_you_mean(key, names)
            or "remove it, or check the indent (is it under the right key?)",
        )
    if kind == "missing":
        name = str(loc[-1])
        path = (*place, name)
        needs = FIELD_NEEDS.get(name) or _describe(_annotation_at(loc))
        return Problem(
            path,
            f"missing required key '{name}'",
            needs,
            FIELD_HINTS.get(name) or _add_hint(name, place),
        )
    if kind == "union_tag_invalid":
        return Problem(
            (*place, "kind"),
            f"unknown kind {ctx.get('tag')!r}",
            f"one of {', '.join(KINDS)}",
            did_you_mean(ctx.get("tag"), KINDS) or f"use {KIND_HELP}",
        )
    if kind == "union_tag_not_found":
        if not isinstance(value, dict):
            return _not_a_mapping(
                place, value, "a mapping with name, kind and the keys of its kind"
            )
        return Problem(
            (*place, "kind"),
            "missing required key 'kind'",
            f"one of {', '.join(KINDS)}",
            f"add kind: {KIND_HELP}",
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        target = _model_at(loc)
        if len(place) == 2 and place[0] == "platforms":
            needs = "a platform: a mapping with name, kind and the keys of its kind"
        elif target is not None:
            needs = f"a mapping with keys {', '.join(target.model_fields)}"
        else:
            needs = FIELD_NEEDS.get(str(key), "a mapping")
        return _not_a_mapping(place, value, needs)
    if kind == "list_type":
        needs = FIELD_NEEDS.get(str(key)) or _describe(_annotation_at(loc))
        hint = "write each item on its own line starting with '- '"
        return Problem(place, f"not a list: got {describe_value(value)}", needs, hint)
    if kind == "too_short":
        return Problem(
            place,
            "is empty",
            f"at least {ctx.get('min_length', 1)} item",
            "platforms: needs at least one platform"
            if key == "platforms"
            else f"give at least one {key} entry",
        )
    if kind == "string_pattern_mismatch":
        slug = re.sub(r"[^a-z0-9_]+", "_", str(value).lower()).strip("_") or "platform"
        if not slug[0].isalpha():
            slug = "p_" + slug
        return Problem(
            place, f"{value!r} is not a valid name", NAME_RULE, f"for example '{slug[:64]}'"
        )
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        choices = [c.strip() for c in expected.replace(" or ", ", ").split(",") if c.strip()]
        return Problem(
            place,
            f"{value!r} is not allowed",
            f"one of {', '.join(choices)}",
            did_you_mean(value, choices) or f"use one of {', '.join(choices)}",
        )
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        limit = next(iter(ctx.values()), "")
        description = _field_description(loc)
        return Problem(
            place,
            f"{value!r} is out of range",
            f"a value {sign} {limit}",
            description or f"use a value {sign} {limit}",
        )
    if kind == "value_error":
        message = str(ctx.get("error", item["msg"]))
        message = message.removeprefix("Value error, ")
        return _value_problem(message, place, value)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        annotation = _annotation_at(loc)
        needs = FIELD_NEEDS.get(str(key)) or _describe(annotation)
        hint = {
            "bool": "write true or false, without quotes",
            "int": "write a whole number without quotes or units",
            "float": "write a number without quotes or units",
            "string": "quote the value",
        }.get(kind.split("_")[0], "check the value")
        return Problem(place, f"wrong type: got {describe_value(value)}", needs, hint)
    return Problem(place, item["msg"].rstrip("."), None, "check this value")


def _value_problem(message: str, place: Path, value: Any) -> Problem:
    match = re.match(r"unknown field '(.+)'", message)
    if match:
        name = match.group(1)
        return Problem(
            (*place, name),
            f"unknown field '{name}'",
            f"one of {', '.join(FIELD_NAMES)}",
            did_you_mean(name, FIELD_NAMES) or "map only these post fields",
        )
    if message.startswith("unknown time zone"):
        from zoneinfo import available_timezones

        hint = did_you_mean(value, sorted(available_timezones())) or VALUE_ERRORS[0][2]
        return Problem(place, message, VALUE_ERRORS[0][1], hint)
    for pattern, expected, hint in VALUE_ERRORS:
        found = re.search(pattern, message)
        if found:
            near = VALUE_ERROR_KEYS.get(pattern)
            if near and isinstance(value, dict) and near in value:
                place = (*place, near)
            message = re.sub(r"need a 'e", "need an 'e", message)
            return Problem(
                place, message, expected.format(*found.groups()), hint.format(*found.groups())
            )
    return Problem(place, message, None, "check this value")


def _add_hint(name: str, place: Path) -> str:
    if len(place) > 2 and place[0] == "platforms":
        return f"add {name}: under {dotted(place[2:])}"
    if len(place) == 2 and place[0] == "platforms":
        return f"add {name}: to this platform"
    if place:
        return f"add {name}: under {dotted(place)}"
    return f"add {name}: at the top of the file"


def _not_a_mapping(place: Path, value: Any, needs: str) -> Problem:
    if value is None:
        return Problem(place, "is empty", needs, "write the keys indented under it")
    return Problem(
        place,
        f"not a mapping: got {describe_value(value)}",
        needs,
        "write 'key: value' lines indented under it",
    )


# --- where a pydantic loc points, in the data and in the models ---------------


def _walk(data: Any, loc: tuple) -> tuple[Path, Path, int | None]:
    """Split ``loc`` into the keys and indexes that exist in ``data`` and the
    rest (a missing key, say); union tags and branch names are dropped. The
    third value is the length of the place where a union branch was entered."""
    place: list[str | int] = []
    branch_at: int | None = None
    node = data
    parts = list(loc)
    while parts:
        part = parts[0]
        if _contains(node, part):
            node = node[part]
        elif isinstance(node, dict) and part in KINDS and node.get("kind") == part:
            parts.pop(0)  # the discriminator tag
            continue
        elif isinstance(part, str) and _is_branch_name(part):
            if branch_at is None:
                branch_at = len(place)
            parts.pop(0)
            continue
        else:
            break
        place.append(part)
        parts.pop(0)
    return tuple(place), tuple(parts), branch_at


def _contains(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _is_branch_name(part: str) -> bool:
    return part in ("str", "int", "none") or part.startswith("function-") or part[:1].isupper()


def _value_at(data: Any, place: Path) -> Any:
    node = data
    for part in place:
        node = node[part]
    return node


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return [_unwrap(a) for a in get_args(tp)]
    return [tp]


def _step(tp: Any, part: str | int) -> Any:
    for member in _members(tp):
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            if isinstance(part, str) and part in member.model_fields:
                return member.model_fields[part].annotation
            kind = member.model_fields.get("kind")
            literal = kind is not None and get_origin(kind.annotation) is Literal
            if literal and part in get_args(kind.annotation):
                return member
        elif origin is list and isinstance(part, int):
            return get_args(member)[0]
        elif origin is dict and isinstance(part, str):
            return get_args(member)[1]
        if isinstance(part, str) and isinstance(member, type) and member.__name__ in part:
            return member
        if part == "str" and member is str:
            return member
    return None


def _annotation_at(loc: tuple) -> Any:
    tp: Any = PlatformsFile
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    return tp


def _model_at(loc: tuple) -> type[BaseModel] | None:
    tp = _annotation_at(loc)
    if tp is None:
        return None
    models_found = [m for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
    return models_found[0] if len(models_found) == 1 else None


def _field_description(loc: tuple) -> str | None:
    model = _model_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return None
    field = model.model_fields.get(loc[-1])
    return field.description if field else None


def _describe(tp: Any) -> str:
    if tp is None:
        return "a valid value"
    members = [m for m in _members(tp) if m is not type(None)]
    if models.SelectorSpec in members:
        return SELECTOR
    words = []
    for member in members:
        origin = get_origin(member)
        if member in TYPE_WORDS:
            words.append(TYPE_WORDS[member])
        elif origin is list:
            words.append(f"a list of {_describe(get_args(member)[0]).removeprefix('a ')}")
        elif origin is dict:
            words.append("a mapping")
        elif origin is Literal:
            words.append("one of " + ", ".join(map(str, get_args(member))))
        elif isinstance(member, type) and issubclass(member, BaseModel):
            words.append(f"a mapping with keys {', '.join(member.model_fields)}")
    return " or ".join(words) or "a valid value"
