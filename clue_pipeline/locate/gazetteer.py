"""The gazetteer: the city's districts, streets, communities, roads and
landmarks, read from ``config/gazetteer.yaml`` and validated when loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clue_pipeline import settings
from clue_pipeline.errors import ConfigError

DEFAULT_GAZETTEER = "config/gazetteer.yaml"

LandmarkKind = Literal[
    "park",
    "metro",
    "station",
    "hospital",
    "school",
    "mall",
    "bridge",
    "market",
    "plaza",
    "government",
    "venue",
    "port",
    "underpass",
    "other",
]

PlaceName = Field(min_length=2, max_length=40)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Coordinates(_Strict):
    """WGS84 latitude and longitude of a place (its centre), written `at: [lat, long]`."""

    lat: float = Field(ge=-90, le=90)
    long: float = Field(ge=-180, le=180)

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"expected [latitude, longitude], got {len(value)} numbers")
            return {"lat": value[0], "long": value[1]}
        return value


class Community(_Strict):
    name: str = PlaceName
    aliases: list[str] = []
    at: Coordinates | None = None


class Street(_Strict):
    name: str = PlaceName
    aliases: list[str] = []
    roads: list[str] = []
    communities: list[Community] = []
    at: Coordinates | None = None


class District(_Strict):
    name: str = PlaceName
    aliases: list[str] = []
    streets: list[Street] = []
    at: Coordinates | None = None


class Landmark(_Strict):
    name: str = PlaceName
    kind: LandmarkKind = "other"
    aliases: list[str] = []
    district: str
    street: str | None = None
    at: Coordinates | None = None


class Gazetteer(_Strict):
    city: str = PlaceName
    stop_abbreviations: list[str] = []
    districts: list[District] = Field(min_length=1)
    landmarks: list[Landmark] = []

    def district(self, name: str) -> District | None:
        return next((d for d in self.districts if d.name == name), None)

    def district_names(self) -> list[str]:
        return [d.name for d in self.districts]

    def landmark_names(self) -> list[str]:
        return [lm.name for lm in self.landmarks]

    def coordinates(
        self,
        *,
        district: str | None = None,
        street: str | None = None,
        community: str | None = None,
        landmark: str | None = None,
    ) -> Coordinates | None:
        """Where a located matter is: the coordinates of its most precise place that has
        them (landmark, then community, street, district), or None."""
        found: dict[str, Coordinates] = {}
        for d in self.districts:
            for s in d.streets:
                for c in s.communities:
                    if c.name == community and c.at:
                        found["community"] = c.at
                if s.name == street and s.at:
                    found["street"] = s.at
            if d.name == district and d.at:
                found["district"] = d.at
        for lm in self.landmarks:
            if lm.name == landmark and lm.at:
                found["landmark"] = lm.at
        for kind in ("landmark", "community", "street", "district"):
            if kind in found:
                return found[kind]
        return None


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _check_references(gaz: Gazetteer) -> tuple[str, str] | None:
    """First broken cross-reference as (field path, message), or None."""
    seen: dict[str, str] = {}

    def claim(name: str, where: str) -> tuple[str, str] | None:
        if name in seen:
            return where, f"{name!r} is already used at {seen[name]}; names must be unique"
        seen[name] = where
        return None

    for di, d in enumerate(gaz.districts):
        problem = claim(d.name, f"districts[{di}].name")
        if problem:
            return problem
        for si, s in enumerate(d.streets):
            problem = claim(s.name, f"districts[{di}].streets[{si}].name")
            if problem:
                return problem
            for ci, c in enumerate(s.communities):
                problem = claim(c.name, f"districts[{di}].streets[{si}].communities[{ci}].name")
                if problem:
                    return problem
    for li, lm in enumerate(gaz.landmarks):
        problem = claim(lm.name, f"landmarks[{li}].name")
        if problem:
            return problem
        district = gaz.district(lm.district)
        if district is None:
            known = ", ".join(gaz.district_names())
            return (
                f"landmarks[{li}].district",
                f"{lm.district!r} is not a district of the gazetteer; expected one of: {known}",
            )
        if lm.street is not None and lm.street not in {s.name for s in district.streets}:
            known = ", ".join(s.name for s in district.streets)
            return (
                f"landmarks[{li}].street",
                f"{lm.street!r} is not a street of {district.name}; expected one of: {known}",
            )
    return None


def parse_gazetteer(data: object, source: str = "gazetteer") -> Gazetteer:
    """Validate already-parsed YAML data; raise ConfigError naming the bad field."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping with keys city, districts, landmarks; "
            f"got {type(data).__name__}"
        )
    try:
        gaz = Gazetteer.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more errors)" if exc.error_count() > 1 else ""
        value = f"; got {err['input']!r}" if err["type"] != "missing" else ""
        raise ConfigError(
            f"{source}: {_where(tuple(err['loc']))}: "
            f"{str(err['msg']).removeprefix('Value error, ')}{value}{more}"
        ) from None
    problem = _check_references(gaz)
    if problem:
        where, message = problem
        raise ConfigError(f"{source}: {where}: {message}")
    return gaz


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Read and validate the gazetteer (default: config/gazetteer.yaml under CLUES_HOME)."""
    file = settings.resolve_path(path if path is not None else DEFAULT_GAZETTEER)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: gazetteer file not found; hint: create it (see config/gazetteer.yaml "
            "of the project for the format) or set the path"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{file}: {place}invalid YAML: {problem}") from None
    return parse_gazetteer(data, str(file))
