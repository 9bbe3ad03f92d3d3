"""A YAML settings file validated by a pydantic model when it is loaded: a mistake is one
line naming the file, the field, what was wrong and a hint, never a traceback. Shared by
``config/processing.yaml`` and ``config/orchestration.yaml``."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from clue_pipeline.errors import ConfigError

Model = TypeVar("Model", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    """The parsed file; a syntax error names the line and column."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {exc}") from None


def validate(model: type[Model], data: Any, source: str, comments: str) -> Model:
    """``data`` (an empty file is the defaults) validated by ``model``; ``comments`` names
    the file whose comments explain the settings, for the hint."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc) or "(top)"
        if first["type"] == "extra_forbidden":
            hint = known_key_hint(model, loc)
            raise ConfigError(
                f"{source}: field '{where}': unknown key; hint: {hint or 'remove it'}"
            ) from None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(
            f"{source}: field '{where}': {message}; hint: see the comments in {comments}"
        ) from None


def known_key_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """For an unknown key at ``loc``: the closest known key, else the known keys."""
    current: Any = model
    for part in loc[:-1]:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return ""
        current = field.annotation
    names = list(getattr(current, "model_fields", {}))
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"known keys: {', '.join(names)}" if names else ""
