"""Load and validate ``config/catalog.yaml``. Errors are one line naming the
file, the place (``categories[3].subcategories[2].items[5].department``), what
was expected and a hint; a loaded catalogue is cached until the file changes."""

from __future__ import annotations

import difflib
import threading
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from clue_pipeline import settings
from clue_pipeline.catalog.models import Catalog, Category, Item, Subcategory
from clue_pipeline.errors import ConfigError

# The model found under each list/mapping key, to suggest known keys.
_MODEL_UNDER: dict[str | None, type[BaseModel]] = {
    None: Catalog,
    "categories": Category,
    "subcategories": Subcategory,
    "items": Item,
}

_HINTS: dict[str, str] = {
    "code": "item codes look like CX-03-02 (category code, subcategory, item); keep them stable",
    "name": "give the name as a short non-empty string",
    "department": "name the department that handles it, e.g. 城市管理和综合执法局",
    "keywords": "list the words residents write about it, e.g. [路灯, 不亮, 灯杆]",
    "deadline_days": "a whole number of days, e.g. 10",
    "urgency": "write urgent or normal",
    "examples": "an example is a whole post about the item as residents write it, e.g. "
    "小区门口的路灯坏了一个月，晚上一片漆黑",
    "items": "a subcategory needs at least one item",
    "subcategories": "a category needs at least one subcategory",
    "categories": "the catalogue needs at least one category",
    "version": "write version: 1",
}

_lock = threading.Lock()
_cache: dict[Path, tuple[int, int, Catalog]] = {}


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The validated catalogue at ``path`` (default: the ``CLUES_CATALOG``
    setting). Reloaded only when the file's mtime or size changes."""
    file = Path(path) if path is not None else settings.catalog_file()
    try:
        stat = file.stat()
    except OSError as exc:
        raise ConfigError(
            f"{file}: cannot read the catalogue ({exc.strerror}); hint: set CLUES_CATALOG "
            "or create config/catalog.yaml"
        ) from None
    key = file.resolve()
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
            return cached[2]
    catalog = parse_catalog(file.read_text(encoding="utf-8"), str(file))
    with _lock:
        _cache[key] = (stat.st_mtime_ns, stat.st_size, catalog)
    return catalog


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    """Validate catalogue YAML text; ``source`` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{source}: not valid YAML{where}: {problem}; hint: check indentation and quotes"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping with 'categories', got {type(data).__name__}; "
            "hint: start from the shipped config/catalog.yaml"
        )
    if "dispatch" in data:
        raise ConfigError(
            f"{source}: dispatch: the catalogue no longer sets dispatch deadlines; hint: set "
            "dispatch.urgent_minutes and dispatch.normal_minutes in config/workflow.yaml "
            "(CLUES_WORKFLOW) and delete this key"
        )
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc, data, source)) from None


def describe_error(
    exc: ValidationError,
    data: Any,
    source: str,
    models: dict[str | None, type[BaseModel]] | None = None,
    hints: dict[str, str] | None = None,
) -> str:
    """One line for the first validation error. ``models`` maps the key a
    mapping sits under (None: the top level) to its model, for suggesting
    known keys; ``hints`` maps field names to hints."""
    models = models if models is not None else _MODEL_UNDER
    hints = hints if hints is not None else _HINTS
    errors = exc.errors(include_url=False)
    # an unknown key is usually a misspelt known one: report it before "missing"
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    place = format_loc(loc) or "(top level)"
    kind = first["type"]
    field = next((p for p in reversed(loc) if isinstance(p, str)), None)
    if kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
        hint = _suggest_key(loc, models)
    elif kind == "missing":
        message = "required key is missing"
        hint = hints.get(str(loc[-1]), "add it")
    else:
        got = _value_at(data, loc)
        expected = _expected(first)
        if expected:
            message = f"expected {expected}, got {_short(got)}"
        else:
            message = first["msg"].removeprefix("Value error, ")
        hint = hints.get(field or "", "see the comments at the top of the file")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{source}: {place}: {message}; hint: {hint}{more}"


def format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _expected(error: dict[str, Any]) -> str | None:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return "a code like CX-03-02" if "-" in str(ctx.get("pattern")) else "a short code like CX"
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    if kind == "string_too_short" and (ctx.get("min_length") or 1) > 1:
        return f"a string of at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"a string of at most {ctx.get('max_length')} characters"
    if kind in ("string_type", "string_too_short"):
        return "a non-empty string"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number"
    if kind == "greater_than_equal":
        return f"a number >= {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"a number <= {ctx.get('le')}"
    if kind == "list_type":
        return "a list"
    if kind == "too_short":
        return f"at least {ctx.get('min_length')} entries"
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} entries"
    if kind in ("model_type", "dict_type"):
        return "a mapping"
    if kind == "value_error":
        return None
    return None


def _suggest_key(loc: tuple[Any, ...], models: dict[str | None, type[BaseModel]]) -> str:
    parent = next((p for p in reversed(loc[:-1]) if isinstance(p, str)), None)
    model = models.get(parent, models[None])
    known = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known keys: " + ", ".join(known)


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
