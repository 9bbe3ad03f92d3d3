"""Compiled field selectors for html platforms.

A selector is CSS, or XPath when it starts with ``/``, ``./`` or ``(``. Text
nodes (``::text``, ``text()``) are joined with ``join``; for elements (their
whole text) and attributes the first match is kept; ``all: true`` keeps every
match as a list; ``re`` keeps the first group (or the whole match)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from clue_pipeline.platforms.models import SelectorSpec

_XPATH_STARTS = ("/", "./", "(")
_CSS = HTMLTranslator()
# XPath evaluated by lxml straight on the parsed tree: parsel wraps every match
# in a Selector, which costs more than the evaluation on small pages. The
# namespaces and functions are those parsel registers (EXSLT re/set, has-class).
_NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}
_TEXT_OF_ELEMENT = etree.XPath(
    ".//text()[not(ancestor::script) and not(ancestor::style)]", smart_strings=False
)
Node = Any  # an lxml element, or a str (text node, attribute), float or bool
_TEXT_NODE = re.compile(r"(::text|text\(\))\s*$")


def squash(value: str) -> str:
    """White space runs folded to one space, ends stripped."""
    return " ".join(value.split())


@dataclass(frozen=True)
class FieldSelector:
    """One selector compiled to XPath once, applied to many items."""

    source: str
    xpath: str
    text_nodes: bool
    all: bool = False
    pattern: re.Pattern[str] | None = None
    join: str = " "
    evaluator: etree.XPath = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            evaluator = etree.XPath(self.xpath, namespaces=_NAMESPACES, smart_strings=False)
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"XPath error: {exc} in {self.xpath}") from None
        object.__setattr__(self, "evaluator", evaluator)

    @classmethod
    def compile(cls, spec: str | SelectorSpec) -> FieldSelector:
        if isinstance(spec, str):
            expression, is_xpath, all_, pattern, join = spec, None, False, None, " "
        else:
            is_xpath = spec.xpath is not None
            expression = spec.xpath if is_xpath else spec.css
            all_, pattern, join = spec.all, spec.re, spec.join
        expression = expression.strip()
        if is_xpath is None:
            is_xpath = expression.startswith(_XPATH_STARTS)
        if is_xpath:
            xpath = expression
            text_nodes = bool(_TEXT_NODE.search(expression))
        else:
            text_nodes = bool(_TEXT_NODE.search(expression))
            xpath = _CSS.css_to_xpath(expression, prefix="descendant-or-self::")
        return cls(
            source=expression,
            xpath=xpath,
            text_nodes=text_nodes,
            all=all_,
            pattern=re.compile(pattern) if pattern else None,
            join=join,
        )

    def select(self, node: Selector | Node) -> list[Node]:
        """The matches: lxml elements, or strings for text nodes and attributes."""
        root = node.root if isinstance(node, Selector) else node
        try:
            result = self.evaluator(root)
        except etree.XPathError as exc:
            raise ValueError(f"XPath error: {exc} in {self.xpath}") from None
        return result if isinstance(result, list) else [result]

    def extract(self, node: Selector | Node) -> str | list[str] | None:
        """The field's raw string (or list of strings with ``all``), or None."""
        matches = self.select(node)
        if not matches:
            return [] if self.all else None
        if self.all:
            values = [v for v in (self._apply_re(_value_of(m)) for m in matches) if v]
            return values
        if self.text_nodes:
            value = squash(self.join.join(_serialised(m) for m in matches))
        else:
            value = _value_of(matches[0])
        value = self._apply_re(value)
        return value or None

    def _apply_re(self, value: str) -> str:
        if self.pattern is None:
            return value
        found = self.pattern.search(value)
        if found is None:
            return ""
        return squash(found.group(1) if found.groups() else found.group(0))


def _value_of(match: Node) -> str:
    """An element's whole text (scripts and styles left out); a text node's or
    attribute's value."""
    if isinstance(match, str):
        return squash(match)
    if isinstance(getattr(match, "tag", None), str):
        return squash("".join(_TEXT_OF_ELEMENT(match)))
    return squash(_serialised(match))


def _serialised(match: Node) -> str:
    """A match as parsel's ``Selector.get()`` gives it."""
    if isinstance(match, str):
        return match
    if isinstance(match, bool):
        return "1" if match else "0"
    if isinstance(match, float):
        return str(match)
    return etree.tostring(match, method="html", encoding="unicode", with_tail=False)


def compile_fields(fields: dict[str, str | SelectorSpec]) -> dict[str, FieldSelector]:
    return {name: FieldSelector.compile(spec) for name, spec in fields.items()}
