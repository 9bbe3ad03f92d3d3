"""Posts about somewhere else. Every city has a 火车站, a 中心医院 and a 解放路: a place name
right after the name of another city or county ("长沙市火车站", "C市三中", "K7县人民医院") is
about that place, and a post that names another city or county but neither this city nor
one of its districts or streets is about somewhere else as a whole. The city's own name, its
districts and counties, and common words that end in 市 or 县 (城市, 超市, 本市, 全县) do
not count as somewhere else."""

from __future__ import annotations

import re

#: a city, county or prefecture name: two or three Chinese characters, or a letter and up to
#: two digits (how posts hide names: A市, K7县), then the administrative suffix; a letter
#: code for a district too (A2区), but no Chinese word ending in 区 (小区, 社区, 城区, 景区)
_NAME = r"(?:(?:[A-Za-z][0-9]{0,2}|[\u4e00-\u9fff]{2,3})[市县州]|[A-Za-z][0-9]{0,2}区)"
NAME_BEFORE = re.compile(_NAME + "$")
#: in running text the suffix must not start a word of its own (市民, 市场, 市中心, 县城)
NAME_ANYWHERE = re.compile(_NAME + r"(?!民|场|政|区|委|长|级|容|貌|值|面|中心|城|里|内|域)")
#: a character that, before 市 or 县, makes a common word or phrase rather than a name
#: (城市, 超市, 本市, 全县, 我们市, 针对市民, 早上的市中心)
WORD_BEFORE_SUFFIX = frozenset(
    "本全我该各此们城超都夜菜股楼门上开集花早闹黑街外邻郡省地县区"
    "的有对在到去向望近是和与及或为被把从往于了也就还要请让给说称"
)
SUFFIXES = ("市", "县")
LOOK_BACK = 4


def _is_elsewhere(name: str, own: tuple[str, ...]) -> bool:
    if name.endswith(own):
        return False
    return not ("\u4e00" <= name[0] <= "\u9fff" and name[-2] in WORD_BEFORE_SUFFIX)


def follows_elsewhere(text: str, start: int, surface: str, own: tuple[str, ...]) -> bool:
    """Whether the mention of ``surface`` at ``start`` follows the name of another city or
    county (a surface that starts with 市 or 县, 市三中, may share that name's suffix: C市三中).
    ``own``: the names that are this city's (the city, its districts and counties)."""
    before = text[max(0, start - LOOK_BACK) : start]
    if surface.startswith(SUFFIXES):
        before += surface[0]
    found = NAME_BEFORE.search(before)
    return found is not None and _is_elsewhere(found.group(0), own)


def names_elsewhere(text: str, own: tuple[str, ...]) -> bool:
    """Whether ``text`` names another city or county anywhere."""
    return any(_is_elsewhere(m.group(0), own) for m in NAME_ANYWHERE.finditer(text))


#: a name hidden as a capital letter and digits (A市, K6县, A2区): a name whatever follows it
#: (K6县政府, A市民政局, A7县城西), where a Chinese name must not start a word (市民, 县城)
CODED_NAME = re.compile(r"(?<![A-Za-z0-9])[A-Z][0-9]{0,2}[市县州区]")
#: what a region names: a city or prefecture (市, 州) and a county or district (县, 区)
CITY_SUFFIXES = ("市", "州")
REGION_SEPARATOR = "/"


def region_of(text: str, own: tuple[str, ...]) -> str | None:
    """The other city and county ``text`` is about, as ``city/county``, ``city`` or
    ``/county`` (the most named of each kind, the first named on a tie); None when it names
    no other city or county. A board of another city, or a city whose gazetteer is not
    configured, still tells its posts' counties apart this way ("K6县" is not "K7县")."""
    counts: dict[str, int] = {}
    found_names = sorted(
        [(m.start(), m.group(0)) for m in CODED_NAME.finditer(text)]
        + [
            (m.start(), m.group(0))
            for m in NAME_ANYWHERE.finditer(text)
            if not m.group(0)[0].isascii()  # the coded names are found above
        ],
    )
    for _, name in found_names:
        if _is_elsewhere(name, own):
            if len(name) == 4 and name[0] in WORD_BEFORE_SUFFIX:
                name = name[1:]  # the match may take the word before: 在长沙市
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return None
    order = {name: i for i, name in enumerate(counts)}

    def most(names: list[str]) -> str:
        return max(names, key=lambda n: (counts[n], -order[n])) if names else ""

    city = most([n for n in counts if n.endswith(CITY_SUFFIXES)])
    county = most([n for n in counts if not n.endswith(CITY_SUFFIXES)])
    return join_region(city, county)


def _parts(region: str) -> tuple[str, str]:
    """(city, county) of a region; either may be empty."""
    city, _, county = region.partition(REGION_SEPARATOR)
    return city, county


def join_region(city: str, county: str) -> str:
    """A region as stored: "city/county", "city" or "/county"."""
    return city + (REGION_SEPARATOR + county if county else "")


def region_shown(region: str) -> str:
    """A region as people read it: "K市/K6县", "K市" or "K6县" (no leading separator)."""
    return region.strip(REGION_SEPARATOR)


#: one name a region is made of (a city, a county or a district, of another city)
REGION_NAME = re.compile(_NAME)


def regions_differ(a: str, b: str) -> bool:
    """Whether two regions of ``region_of`` are two places: their cities, or their counties,
    are both named and differ ("A市/A2区" and "A市" may be one place; "A市" and "B市", or
    "/K6县" and "K市/K7县", are not)."""
    return any(x and y and x != y for x, y in zip(_parts(a), _parts(b), strict=True))


def region_completed(mine: str, theirs: str) -> str:
    """``mine`` with the city or county it leaves open taken from ``theirs`` (regions that
    ``regions_differ`` does not tell apart)."""
    return join_region(*(x or y for x, y in zip(_parts(mine), _parts(theirs), strict=True)))
