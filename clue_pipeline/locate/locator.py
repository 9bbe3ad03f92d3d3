"""Locate stage: the district, street, community, road and landmark a post
talks about, for routing a clue to the right office and for grouping.

Every mention of a place votes for the district (and street) it lies in; a
more specific mention weighs more (a landmark or community says more than a
bare district name), repeated mentions add up, and the platform's own location
label counts for half (it says where the author is, not always where the
problem is). The winning district then picks its most-voted street,
community, road and landmark among the mentions that lie in it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from clue_pipeline.locate.elsewhere import follows_elsewhere, names_elsewhere, region_of
from clue_pipeline.locate.gazetteer import Gazetteer
from clue_pipeline.locate.matcher import Place, compile_surfaces, surface_forms

KIND_WEIGHT = {"landmark": 3.0, "community": 3.0, "road": 2.0, "street": 2.0, "district": 1.5}
ABBREVIATION_WEIGHT = 1.0
LOCATION_TEXT_FACTOR = 0.5
NAMED_KINDS = ("community", "landmark", "road")
SPECIFICITY = {"landmark": 1.0, "community": 1.0, "road": 0.9, "street": 0.9, "district": 0.85}
ABBREVIATION_SPECIFICITY = 0.7
LOCATION_TEXT_ONLY_SPECIFICITY = 0.5


@dataclass(frozen=True)
class Location:
    """Where a post is about; every field None when nothing was found."""

    district: str | None = None
    street: str | None = None
    community: str | None = None
    landmark: str | None = None
    road: str | None = None
    confidence: float = 0.0
    matched: list[str] = field(default_factory=list)
    #: the other city and county the post names, outside the gazetteer (``region_of``)
    region: str | None = None


@dataclass(frozen=True)
class _InDistrict:
    """What one surface form says about places inside one district."""

    street_votes: tuple[tuple[str, float], ...]
    named: tuple[tuple[str, str], ...]  # (kind, name) of communities, landmarks, roads
    specificity: float


@dataclass(frozen=True)
class _Surface:
    """Votes of one surface form, computed once when the Locator is built."""

    district_votes: tuple[tuple[str, float], ...]
    inside: dict[str, _InDistrict]


def _weight(place: Place) -> float:
    return ABBREVIATION_WEIGHT if place.abbreviation else KIND_WEIGHT[place.kind]


def _specificity(place: Place) -> float:
    return ABBREVIATION_SPECIFICITY if place.abbreviation else SPECIFICITY[place.kind]


def _surface_votes(places: tuple[Place, ...]) -> _Surface:
    districts = list(dict.fromkeys(p.district for p in places))
    votes = []
    inside = {}
    for district in districts:
        here = [p for p in places if p.district == district]
        votes.append((district, max(_weight(p) for p in here) / len(districts)))
        streets = list(dict.fromkeys(p.street for p in here if p.street and p.kind != "district"))
        street_votes = tuple(
            (st, max(_weight(p) for p in here if p.street == st) / len(streets)) for st in streets
        )
        named = tuple((p.kind, p.name) for p in here if p.kind in NAMED_KINDS)
        inside[district] = _InDistrict(street_votes, named, max(_specificity(p) for p in here))
    return _Surface(tuple(votes), inside)


def _most_voted(votes: dict[str, float], order: dict[str, int]) -> str | None:
    """Highest vote; ties go to the place mentioned first."""
    if not votes:
        return None
    return max(votes, key=lambda name: (votes[name], -order.get(name, 0)))


class Locator:
    """Finds places of one gazetteer in texts. Build once, call ``locate`` often."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._forms = surface_forms(gazetteer)
        self._votes = {surface: _surface_votes(places) for surface, places in self._forms.items()}
        self._street_of = {
            p.name: p.street
            for places in self._forms.values()
            for p in places
            if p.kind == "community"
        }
        self._pattern = compile_surfaces(list(self._forms))
        city = gazetteer.city
        # the city's own names: its own, and every name, alias and short form of its districts
        self._own = tuple(
            {city, city.removesuffix("市")}
            | {s for s, places in self._forms.items() if any(p.kind == "district" for p in places)}
        )
        self._anchors = frozenset(
            surface
            for surface, places in self._forms.items()
            if any(p.kind in ("district", "street") and not p.abbreviation for p in places)
        )

    @property
    def surfaces(self) -> dict[str, tuple[Place, ...]]:
        return dict(self._forms)

    def mentions(self, text: str) -> list[str]:
        """Surface forms found in ``text``, in order (longest match at each place), except
        those right after the name of another city or county (``elsewhere``)."""
        text = text or ""
        found = [
            found.group(0)
            for found in self._pattern.finditer(text)
            if not follows_elsewhere(text, found.start(), found.group(0), self._own)
        ]
        if found and not self._anchored(text, found) and names_elsewhere(text, self._own):
            return []  # about another city: its 火车站 is not this city's
        return found

    def _anchored(self, text: str, found: list[str]) -> bool:
        """Whether ``text`` names this city, or one of its districts or streets in full."""
        return self.gazetteer.city in text or any(s in self._anchors for s in found)

    def locate(self, text: str, location_text: str | None = None) -> Location:
        text = text or ""
        found = [(s, 1.0) for s in self.mentions(text)]
        if location_text:
            found += [(s, LOCATION_TEXT_FACTOR) for s in self.mentions(location_text)]
        region = region_of(text, self._own)
        if not found:
            return Location(region=region)
        return replace(self._resolve(found), region=region)

    def _resolve(self, found: list[tuple[str, float]]) -> Location:
        order: dict[str, int] = {}
        district_votes: dict[str, float] = {}
        for i, (surface, factor) in enumerate(found):
            for district, vote in self._votes[surface].district_votes:
                district_votes[district] = district_votes.get(district, 0.0) + vote * factor
                order.setdefault(district, i)
        district = _most_voted(district_votes, order)
        if district is None:  # pragma: no cover - every surface votes for a district
            return Location()

        street_votes: dict[str, float] = {}
        named: dict[str, dict[str, float]] = {kind: {} for kind in NAMED_KINDS}
        specificity = 0.0
        for i, (surface, factor) in enumerate(found):
            inside = self._votes[surface].inside.get(district)
            if inside is None:
                continue
            if factor == 1.0:
                specificity = max(specificity, inside.specificity)
            for street, vote in inside.street_votes:
                street_votes[street] = street_votes.get(street, 0.0) + vote * factor
                order.setdefault(street, i)
            for kind, name in inside.named:
                named[kind][name] = named[kind].get(name, 0.0) + factor
                order.setdefault(name, i)
        street = _most_voted(street_votes, order)
        communities = {
            c: v
            for c, v in named["community"].items()
            if street is None or self._street_of.get(c) == street
        }
        share = district_votes[district] / sum(district_votes.values())
        return Location(
            district=district,
            street=street,
            community=_most_voted(communities, order),
            landmark=_most_voted(named["landmark"], order),
            road=_most_voted(named["road"], order),
            confidence=round(share * (specificity or LOCATION_TEXT_ONLY_SPECIFICITY), 3),
            matched=list(dict.fromkeys(surface for surface, _ in found)),
        )
