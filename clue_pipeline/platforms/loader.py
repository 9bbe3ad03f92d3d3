"""Load ``platforms.yaml``: YAML with line marks → ``${ENV}`` expansion →
pydantic schema → checks (selectors, JMESPath, URLs, unique names) →
``defaults`` merged under each platform's ``politeness``.

Every failure is a :class:`ConfigError` with ONE line naming the file (and
line), the platform, the field, the problem, what was expected and a hint;
``(+N more problems)`` when there are more.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from clue_pipeline import settings
from clue_pipeline.errors import ConfigError
from clue_pipeline.platforms.checks import check_platforms
from clue_pipeline.platforms.envvars import expand_in_place
from clue_pipeline.platforms.models import PlatformsFile, Politeness
from clue_pipeline.platforms.problems import Problem, describe_value, did_you_mean, first_line
from clue_pipeline.platforms.validation_errors import problems_from_validation
from clue_pipeline.platforms.yaml_source import load_marked_yaml, yaml_error_line

TOP_KEYS = tuple(PlatformsFile.model_fields)
TOP_NEEDS = "a mapping with 'platforms:' (a list) and optionally 'defaults:'"
EXAMPLE_HINT = "see config/platforms.yaml in the project for a commented example"


def load_platforms(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> PlatformsFile:
    """The validated platforms file at ``path`` (default: the ``CLUES_PLATFORMS``
    setting). ``environ`` replaces ``os.environ`` for ``${NAME}`` expansion."""
    path = Path(path) if path is not None else settings.platforms_file()
    shown = str(path)
    text = _read(path, shown)
    return parse_platforms(text, shown, environ=environ)


def parse_platforms(
    text: str, source: str, *, environ: Mapping[str, str] | None = None
) -> PlatformsFile:
    """Validate ``text`` (the content of the file named ``source``)."""
    try:
        data = load_marked_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_error_line(source, exc)) from None
    _check_top(data, source)
    problems = expand_in_place(data, environ)
    if problems:
        raise ConfigError(first_line(source, problems, data))
    try:
        parsed = PlatformsFile.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, data) or [
            Problem((), str(exc).splitlines()[0], TOP_NEEDS, EXAMPLE_HINT)
        ]
        raise ConfigError(first_line(source, problems, data)) from None
    problems = check_platforms(parsed)
    if problems:
        raise ConfigError(first_line(source, problems, data))
    return merge_defaults(parsed)


def merge_defaults(parsed: PlatformsFile) -> PlatformsFile:
    """Each platform's ``politeness``: its own keys, else ``defaults``, else
    the built-in default."""
    base = parsed.defaults.model_dump(exclude_unset=True)
    merged = []
    for platform in parsed.platforms:
        own = platform.politeness.model_dump(exclude_unset=True)
        politeness = Politeness.model_validate({**base, **own})
        merged.append(platform.model_copy(update={"politeness": politeness}))
    return parsed.model_copy(update={"platforms": merged})


def _read(path: Path, shown: str) -> str:
    if not path.exists():
        raise ConfigError(
            f"{shown}: file not found; expected a platforms file; hint: create it "
            f"({EXAMPLE_HINT}) or point CLUES_PLATFORMS at it"
        )
    if path.is_dir():
        raise ConfigError(
            f"{shown}: is a directory; expected a platforms YAML file; hint: name the file, "
            "e.g. config/platforms.yaml"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{shown}: cannot be read ({exc.strerror}); expected a readable file; "
            "hint: check its permissions"
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{shown}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected UTF-8; "
            "hint: save the file as UTF-8 (not GBK)"
        ) from None


def _check_top(data: Any, source: str) -> None:
    if data is None:
        raise ConfigError(f"{source}: file is empty; expected {TOP_NEEDS}; hint: {EXAMPLE_HINT}")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}:{getattr(data, 'line', 1)}: top level is {describe_value(data)}, "
            f"not a mapping; expected {TOP_NEEDS}; hint: start the file with 'platforms:'"
        )
    if "platforms" not in data:
        near = [k for k in data if did_you_mean(k, ["platforms"])]
        if near:
            return  # the unknown key's problem carries the suggestion
        raise ConfigError(
            f"{source}: field 'platforms': missing required key 'platforms'; expected a list "
            f"of platforms, each starting with '- name: ...'; hint: {EXAMPLE_HINT}"
        )
