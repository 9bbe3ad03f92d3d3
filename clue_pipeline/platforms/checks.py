"""Checks the schema cannot make: selectors that compile, JMESPath that
parses, http(s) URLs, known URL placeholders, unique platform names. They run
on a file that passed the schema, so the crawl never starts with a config
that is bound to fail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from clue_pipeline.platforms.models import (
    FeedPlatform,
    HtmlPlatform,
    JsonPlatform,
    PlatformsFile,
    SelectorSpec,
)
from clue_pipeline.platforms.problems import Path, Problem, did_you_mean

JSON_URL_PLACEHOLDERS = ("page", "cursor", "since")
XPATH_STARTS = ("/", "./", "(")


def is_xpath(selector: str) -> bool:
    """The selector convention of platforms.yaml: XPath when it starts with
    ``/``, ``./`` or ``(``, CSS otherwise."""
    return selector.lstrip().startswith(XPATH_STARTS)


def selector_error(selector: str | SelectorSpec) -> str | None:
    """Why ``selector`` does not compile, or None when it does."""
    if isinstance(selector, SelectorSpec):
        if selector.xpath:
            return _xpath_error(selector.xpath)
        return _css_error(selector.css or "")
    if is_xpath(selector):
        return _xpath_error(selector)
    return _css_error(selector)


def _css_error(css: str) -> str | None:
    from cssselect.parser import SelectorError
    from cssselect.xpath import ExpressionError
    from parsel.csstranslator import css2xpath

    try:
        css2xpath(css)
    except (SelectorError, ExpressionError) as exc:
        return f"not a valid CSS selector ({exc})"
    return None


def _xpath_error(xpath: str) -> str | None:
    from lxml import etree

    try:
        etree.XPath(xpath, namespaces={"re": "http://exslt.org/regular-expressions"})
    except etree.XPathSyntaxError as exc:
        return f"not a valid XPath ({exc})"
    return None


def jmespath_error(expression: str) -> str | None:
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        detail = str(exc).splitlines()[0].rstrip(":")
        return f"not a valid JMESPath ({detail})"
    return None


def url_error(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http(s) URL"
    if not parts.hostname:
        return f"{url!r} has no host"
    return None


def placeholders(template: str) -> list[str]:
    """The ``{names}`` in a URL template (the crawler fills these in and
    leaves every other character alone)."""
    return re.findall(r"\{([^{}]*)\}", template)


def check_platforms(parsed: PlatformsFile) -> list[Problem]:
    """Every problem in a schema-valid file, in file order per platform."""
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for index, platform in enumerate(parsed.platforms):
        base: Path = ("platforms", index)
        if platform.name in first_index:
            problems.append(
                Problem(
                    (*base, "name"),
                    f"duplicate platform name '{platform.name}' "
                    f"(also platform #{first_index[platform.name] + 1})",
                    "a unique name per platform",
                    "rename one of them; the name keys the stored posts",
                )
            )
        else:
            first_index[platform.name] = index
        if isinstance(platform, HtmlPlatform):
            problems.extend(_check_html(platform, base))
        elif isinstance(platform, JsonPlatform):
            problems.extend(_check_json(platform, base))
        elif isinstance(platform, FeedPlatform):
            problems.extend(_check_url(platform.url, (*base, "url")))
    return problems


def _check_url(url: str, path: Path) -> Iterator[Problem]:
    error = url_error(url)
    if error:
        yield Problem(
            path, error, "an http:// or https:// URL", "give the full address, with https://"
        )


def _check_selector(selector: str | SelectorSpec, path: Path) -> Iterator[Problem]:
    error = selector_error(selector)
    if error:
        yield Problem(
            path,
            error,
            "a CSS or XPath selector",
            "XPath starts with / ./ or (; CSS may end in ::text or ::attr(name)",
        )


def _check_html(platform: HtmlPlatform, base: Path) -> Iterator[Problem]:
    for i, url in enumerate(platform.start_urls):
        yield from _check_url(url, (*base, "start_urls", i))
    for key in ("item", "next_page", "detail_link"):
        selector = getattr(platform.list, key)
        if selector is not None:
            yield from _check_selector(selector, (*base, "list", key))
    for group in ("fields", "detail_fields"):
        for name, selector in getattr(platform, group).items():
            yield from _check_selector(selector, (*base, group, name))


def _check_json(platform: JsonPlatform, base: Path) -> Iterator[Problem]:
    yield from _check_url(platform.url.replace("{", "").replace("}", ""), (*base, "url"))
    yield from _check_template(
        platform.url, (*base, "url"), JSON_URL_PLACEHOLDERS, "are filled in by the crawler"
    )
    if platform.url_template is not None:
        yield from _check_template(
            platform.url_template,
            (*base, "url_template"),
            tuple(platform.fields),
            "name fields of this platform",
        )
    for path, expression in (
        ((*base, "items"), platform.items),
        ((*base, "pagination", "cursor"), platform.pagination.cursor),
        *(((*base, "fields", name), expr) for name, expr in platform.fields.items()),
    ):
        if expression is None:
            continue
        error = jmespath_error(expression)
        if error:
            yield Problem(
                path,
                error,
                "a JMESPath expression, e.g. data.items or user.name",
                "quote it in YAML when it has [ ] { } or `",
            )


def _check_template(
    template: str, path: Path, allowed: tuple[str, ...], why: str
) -> Iterator[Problem]:
    names = placeholders(template)
    for name in names:
        if name not in allowed:
            shown = ", ".join("{" + a + "}" for a in allowed)
            yield Problem(
                path,
                f"unknown placeholder '{{{name}}}'",
                f"only {shown} (they {why})",
                (did_you_mean(name, allowed) or "")
                .replace("'", "")
                .replace("mean ", "mean '{")
                .replace("?", "}'?")
                or "write a literal brace in a URL as %7B and %7D",
            )
