"""Pydantic models of ``platforms.yaml``. A spider is configuration: every
platform is one of these, and one generic spider per ``kind`` reads it.

Selectors (html): a string is CSS, or XPath when it starts with ``/``, ``./``
or ``(``. CSS may end in ``::text`` or ``::attr(name)``; a selector that
names elements yields their whole text. The mapping form adds ``all`` (keep
every match as a list, for media), ``re`` (a regular expression whose first
group, or whole match, is kept) and ``join``.

Field expressions (json): JMESPath over one record of the ``items`` list.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FIELD_NAMES = (
    "external_id",
    "url",
    "title",
    "text",
    "author",
    "published_at",
    "likes",
    "comments",
    "reposts",
    "location",
    "media",
)
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SelectorSpec(Strict):
    """Long form of a selector."""

    css: str | None = None
    xpath: str | None = None
    all: bool = False
    re: str | None = None
    join: str = " "

    @model_validator(mode="after")
    def _one_of(self) -> SelectorSpec:
        if bool(self.css) == bool(self.xpath):
            raise ValueError("give exactly one of css or xpath")
        if self.re is not None:
            try:
                re.compile(self.re)
            except re.error as exc:
                raise ValueError(f"re is not a valid regular expression: {exc}") from None
        return self


Selector = str | SelectorSpec


class Politeness(Strict):
    """Per-platform limits; every value has a polite default."""

    download_delay: float = Field(1.0, ge=0, description="seconds between requests")
    concurrency: int = Field(2, ge=1, le=64, description="parallel requests to the platform")
    autothrottle: bool = True
    timeout: float = Field(30.0, gt=0, description="seconds before a request is abandoned")
    retries: int = Field(3, ge=0, le=10)
    backoff: float = Field(2.0, ge=0, description="first retry delay in seconds, doubled each time")
    max_retry_after: float = Field(120.0, ge=0, description="longest Retry-After obeyed")
    obey_robots: bool = True
    max_page_bytes: int = Field(5_000_000, ge=10_000)
    user_agent: str | None = None


class ListSpec(Strict):
    """Where the posts are on a list page (html)."""

    item: Selector
    next_page: Selector | None = None
    detail_link: Selector | None = None


class RenderSpec(Strict):
    """Browser rendering (html with ``render: true``)."""

    wait_for: str | None = None
    scrolls: int = Field(0, ge=0, le=100)
    scroll_pause_ms: int = Field(500, ge=0, le=30_000)
    timeout_ms: int = Field(30_000, ge=1000)


class PageSpec(Strict):
    """Pagination of a JSON API."""

    type: Literal["page", "cursor", "none"] = "page"
    start: int = 1
    step: int = 1
    cursor: str | None = None  # JMESPath to the next cursor in the response
    first_cursor: str = ""

    @model_validator(mode="after")
    def _cursor_needs_path(self) -> PageSpec:
        if self.type == "cursor" and not self.cursor:
            raise ValueError("cursor pagination needs 'cursor': a JMESPath to the next cursor")
        return self


class PlatformBase(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    kind: str
    enabled: bool = True
    description: str = ""
    timezone: str = "Asia/Shanghai"
    encoding: str | None = None  # force a page encoding, e.g. gbk; default: detect
    max_pages: int = Field(50, ge=1)
    politeness: Politeness = Politeness()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        import codecs

        if value is None:
            return value
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value


def _check_field_names(value: dict[str, Any]) -> dict[str, Any]:
    for key in value:
        if key not in FIELD_NAMES:
            raise ValueError(f"unknown field {key!r}")
    return value


class HtmlPlatform(PlatformBase):
    kind: Literal["html"]
    start_urls: list[str] = Field(min_length=1)
    render: bool = False
    render_options: RenderSpec = RenderSpec()
    list: ListSpec
    fields: dict[str, Selector]
    detail_fields: dict[str, Selector] = {}

    _names = field_validator("fields", "detail_fields")(_check_field_names)

    @model_validator(mode="after")
    def _needs_text(self) -> HtmlPlatform:
        if "text" not in self.fields and "text" not in self.detail_fields:
            raise ValueError("html platforms need a 'text' field (in fields or detail_fields)")
        if self.detail_fields and self.list.detail_link is None:
            raise ValueError("detail_fields need list.detail_link to reach the detail page")
        return self


class JsonPlatform(PlatformBase):
    kind: Literal["json"]
    url: str  # template: {page}, {cursor}, {since} (ISO date) are filled in
    items: str  # JMESPath to the list of records
    pagination: PageSpec = PageSpec()
    fields: dict[str, str]
    url_template: str | None = None  # post URL from fields, e.g. http://x/p/{external_id}
    headers: dict[str, str] = {}

    _names = field_validator("fields")(_check_field_names)

    @model_validator(mode="after")
    def _needs_id_and_text(self) -> JsonPlatform:
        for required in ("external_id", "text"):
            if required not in self.fields:
                raise ValueError(f"json platforms need a {required!r} field")
        return self


class FeedPlatform(PlatformBase):
    kind: Literal["feed"]
    url: str
    fields: dict[str, str] = {}  # override: field -> feed entry key

    _names = field_validator("fields")(_check_field_names)


Platform = Annotated[HtmlPlatform | JsonPlatform | FeedPlatform, Field(discriminator="kind")]


class PlatformsFile(Strict):
    defaults: Politeness = Politeness()
    platforms: list[Platform] = Field(min_length=1)

    def get(self, name: str) -> HtmlPlatform | JsonPlatform | FeedPlatform:
        for platform in self.platforms:
            if platform.name == name:
                return platform
        raise KeyError(name)

    def enabled(self) -> list[HtmlPlatform | JsonPlatform | FeedPlatform]:
        return [p for p in self.platforms if p.enabled]
