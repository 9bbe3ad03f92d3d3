"""YAML that remembers where things are.

Mappings load as :class:`MarkedDict` and sequences as :class:`MarkedList`,
which keep the 1-based line of every key and item, so that an error found
later (by pydantic, or by a semantic check) can point at its line. Duplicate
keys, which plain PyYAML silently resolves to the last one, are an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode


class MarkedDict(dict):
    """A mapping loaded from YAML, with the line of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class MarkedList(list):
    """A sequence loaded from YAML, with the line of each item."""

    line: int = 0
    item_lines: list[int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    """The same key twice in one mapping."""


class _MarkingLoader(yaml.SafeLoader):
    def construct_marked_mapping(self, node: MappingNode) -> Any:
        data = MarkedDict()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # unhashable key: let construct_mapping report it
                continue
            if first is not None:
                raise DuplicateKeyError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first})",
                    key_node.start_mark,
                )
            seen[key] = line
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found an unhashable key",
                    key_node.start_mark,
                ) from None
            data[key] = self.construct_object(value_node, deep=True)
            data.key_lines[key] = key_node.start_mark.line + 1

    def construct_marked_sequence(self, node: SequenceNode) -> Any:
        data = MarkedList()
        data.line = node.start_mark.line + 1
        data.item_lines = [child.start_mark.line + 1 for child in node.value]
        yield data
        data.extend(self.construct_object(child, deep=True) for child in node.value)


_MarkingLoader.add_constructor("tag:yaml.org,2002:map", _MarkingLoader.construct_marked_mapping)
_MarkingLoader.add_constructor("tag:yaml.org,2002:seq", _MarkingLoader.construct_marked_sequence)


def load_marked_yaml(text: str) -> Any:
    """Parse one YAML document. Raises :class:`yaml.YAMLError` (with marks)."""
    return yaml.load(text, Loader=_MarkingLoader)  # noqa: S506 - a SafeLoader subclass


def line_of(data: Any, path: Sequence[str | int]) -> int | None:
    """The line of the deepest element of ``path`` that exists in ``data``."""
    line: int | None = getattr(data, "line", None)
    node = data
    for part in path:
        if isinstance(node, MarkedDict) and _has_key(node, part):
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, MarkedList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def _has_key(mapping: dict, key: Any) -> bool:
    try:
        return key in mapping
    except TypeError:
        return False


YAML_HINTS: tuple[tuple[str, str], ...] = (
    ("that cannot start any token", "indent with spaces, never tabs"),
    ("mapping values are not allowed here", "quote a value that contains ': ', or fix the indent"),
    ("could not find expected ':'", "a key needs ': ' after it; check the indent of this line"),
    ("expected <block end>", "this line is indented differently from the lines above it"),
    ("did not find expected key", "this line is indented differently from the keys above it"),
    ("duplicate key", "delete one of the two, or rename it"),
    ("found unexpected end of stream", "a quote or bracket is not closed"),
    ("did not find expected ',' or ']'", "a [ list ] is not closed"),
    ("did not find expected ',' or '}'", "a { mapping } is not closed"),
    ("found undefined alias", "define the &anchor before using *alias"),
)


def yaml_error_line(file: str, error: yaml.YAMLError) -> str:
    """One line for a YAML syntax error: ``file:line:col: not valid YAML: ...``."""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if "end of stream" in problem and getattr(error, "context_mark", None) is not None:
        mark = error.context_mark  # where the unclosed thing began
    context = getattr(error, "context", None)
    where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark is not None else file
    text = f"{problem} ({context})" if context and "duplicate" not in problem else problem
    hint = next(
        (hint for needle, hint in YAML_HINTS if needle in problem),
        "check the indent and the quoting on this line and the one above",
    )
    return f"{where}: not valid YAML: {text}; hint: {hint}"
