"""Problems in ``platforms.yaml`` and how each reads as one line.

A :class:`Problem` names a place in the loaded data (``("platforms", 0,
"list", "item")``), what is wrong, what was expected and a hint. The file's
line marks turn the place into ``file:line``; the platform's name and the
dotted field path make the rest:

    config/platforms.yaml:12: platform 'city_forum' field 'start_url': unknown key
    'start_url'; expected one of ...; hint: did you mean 'start_urls'?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clue_pipeline.platforms.yaml_source import line_of

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Path
    problem: str
    expected: str | None = None
    hint: str | None = None


def did_you_mean(word: Any, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """``did you mean 'x'?`` for the closest choice, or None."""
    if not isinstance(word, str):
        return None
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f"did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
        close = [lowered[c] for c in close]
    return f"did you mean '{close[0]}'?" if close else None


def describe_value(value: Any) -> str:
    """How a YAML value reads to the person who wrote it."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def platform_label(data: Any, index: int) -> str:
    platforms = data.get("platforms") if isinstance(data, dict) else None
    if isinstance(platforms, list) and 0 <= index < len(platforms):
        entry = platforms[index]
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
            return f"platform '{entry['name']}'"
    return f"platform #{index + 1}"


def dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def format_problem(file: str, problem: Problem, data: Any) -> str:
    """The one line for ``problem`` in ``file`` loaded as ``data``."""
    line = line_of(data, problem.path) if problem.path else None
    where = f"{file}:{line}" if line else file
    path = problem.path
    if len(path) >= 2 and path[0] == "platforms" and isinstance(path[1], int):
        place = platform_label(data, path[1])
        rest = dotted(path[2:])
        if rest:
            place += f" field '{rest}'"
    elif path:
        place = f"field '{dotted(path)}'"
    else:
        place = ""
    text = f"{where}: {place}: {problem.problem}" if place else f"{where}: {problem.problem}"
    if problem.expected:
        text += f"; expected {problem.expected}"
    if problem.hint:
        text += f"; hint: {problem.hint}"
    return text


def first_line(file: str, problems: Sequence[Problem], data: Any) -> str:
    """The first problem in file order, with ``(+N more problems)``."""
    unique = list(dict.fromkeys(problems))
    ordered = sorted(
        enumerate(unique), key=lambda item: (line_of(data, item[1].path) or 0, item[0])
    )
    text = format_problem(file, ordered[0][1], data)
    more = len(unique) - 1
    if more:
        text += f" (+{more} more problem{'s' if more > 1 else ''})"
    return text
