"""Surface forms of the gazetteer's places and one compiled pattern that finds
them all, longest first (the pattern is a character trie, so a text is scanned
once whatever the number of names)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from clue_pipeline.locate.gazetteer import Gazetteer

PlaceKind = Literal["district", "street", "community", "road", "landmark"]

DISTRICT_SUFFIXES = ("区", "县")
STREET_SUFFIXES = ("街道", "镇", "乡")


@dataclass(frozen=True)
class Place:
    """One place a surface form may stand for, with its parents."""

    kind: PlaceKind
    name: str
    district: str
    street: str | None = None
    community: str | None = None
    abbreviation: bool = False


def _strip_suffix(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def surface_forms(gaz: Gazetteer) -> dict[str, tuple[Place, ...]]:
    """Every name, alias, road and accepted abbreviation -> the places it may mean."""
    forms: dict[str, list[Place]] = defaultdict(list)

    def add(surface: str, place: Place) -> None:
        surface = surface.strip()
        if surface and place not in forms[surface]:
            forms[surface].append(place)

    abbreviations: dict[str, list[Place]] = defaultdict(list)
    for d in gaz.districts:
        district = Place("district", d.name, d.name)
        for surface in (d.name, *d.aliases):
            add(surface, district)
        short = _strip_suffix(d.name, DISTRICT_SUFFIXES)
        if short:
            abbreviations[short].append(Place("district", d.name, d.name, abbreviation=True))
        for s in d.streets:
            street = Place("street", s.name, d.name, s.name)
            for surface in (s.name, *s.aliases):
                add(surface, street)
            short = _strip_suffix(s.name, STREET_SUFFIXES)
            if short:
                abbreviations[short].append(
                    Place("street", s.name, d.name, s.name, abbreviation=True)
                )
            for road in s.roads:
                add(road, Place("road", road, d.name, s.name))
            for c in s.communities:
                community = Place("community", c.name, d.name, s.name, c.name)
                for surface in (c.name, *c.aliases):
                    add(surface, community)
    for lm in gaz.landmarks:
        landmark = Place("landmark", lm.name, lm.district, lm.street)
        for surface in (lm.name, *lm.aliases):
            add(surface, landmark)

    stop = set(gaz.stop_abbreviations)
    for short, places in abbreviations.items():
        if short in stop or short in forms or short == gaz.city:
            continue
        if len({p.district for p in places}) != 1:
            continue  # ambiguous across districts: never guess
        forms[short].extend(places)
    forms.pop(gaz.city, None)
    return {surface: tuple(places) for surface, places in forms.items()}


def _trie_pattern(words: list[str]) -> str:
    """A regular expression matching any of ``words``, longest alternative first."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        ends_here = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends_here:
            body = f"(?:{body})?"
        return body

    return build(trie)


def compile_surfaces(surfaces: list[str]) -> re.Pattern[str]:
    if not surfaces:
        return re.compile(r"(?!x)x")
    return re.compile(_trie_pattern(surfaces))
