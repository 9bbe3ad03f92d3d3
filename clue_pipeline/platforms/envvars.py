"""``${NAME}`` and ``${NAME:-default}`` in the string values of a config file.

``${NAME}`` is the variable's value (an error when it is not set);
``${NAME:-default}`` is the value, or ``default`` when the variable is unset or
empty (as in the shell). ``$${`` writes a literal ``${``. Keys are never
expanded, only values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from clue_pipeline.platforms.problems import Problem

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_string(value: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """``value`` with references replaced, and the names of unset variables."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        found = environ.get(name)
        if default is not None:
            return found if found else default
        if found is None:
            missing.append(name)
            return ""
        return found

    return _REFERENCE.sub(replace, value), missing


def expand_in_place(data: Any, environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Expand every string value inside ``data`` (dicts and lists are changed
    in place, so the line marks stay). Returns one problem per unset variable."""
    environ = os.environ if environ is None else environ
    problems: list[Problem] = []

    def visit(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            return
        for key, value in items:
            if isinstance(value, str) and "${" in value:
                node[key], missing = expand_string(value, environ)
                for name in missing:
                    problems.append(
                        Problem(
                            (*path, key),
                            f"environment variable '{name}' is not set",
                            f"'{name}' set in the environment, or a default as ${{{name}:-value}}",
                            f"export {name}=... before running clues",
                        )
                    )
            else:
                visit(value, (*path, key))

    visit(data, ())
    return problems
