"""Normalise stage: raw post text to clean, simplified, half-width text with
its links, @handles and #topics kept as fields."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import html as lxml_html

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_URL = re.compile(r"https?://[^\s<>\"'，。！？、）)】]+")
_MENTION = re.compile(r"@([\w\u4e00-\u9fff\-]{1,30})")
_TOPIC = re.compile(r"#([^#\s]{1,40})#")
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000\u200b]+")
_NEWLINES = re.compile(r"\n\s*\n+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# NFKC would also fold Chinese full-width punctuation (，→,); keep those as
# they are and fold only full-width ASCII letters, digits and the ideographic space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})
_FULLWIDTH.update({0x3000: 0x20, 0xFF05: 0x25, 0xFF0B: 0x2B, 0xFF0D: 0x2D, 0xFF0E: 0x2E})
_FULLWIDTH.update({0xFF0F: 0x2F, 0xFF1D: 0x3D, 0xFF20: 0x40, 0xFF03: 0x23})


@dataclass(frozen=True)
class NormalisedText:
    text: str
    language: str
    links: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _t2s():  # noqa: ANN202
    import opencc

    return opencc.OpenCC("t2s")


def html_to_text(value: str) -> str:
    """Text of an HTML fragment; plain text comes back unchanged."""
    if not _TAG.search(value):
        return value
    try:
        root = lxml_html.fragment_fromstring(value, create_parent="div")
    except Exception:  # noqa: BLE001 - malformed markup: fall back to tag stripping
        return _TAG.sub(" ", value)
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for br in root.xpath("//br|//p|//div|//li"):
        br.tail = "\n" + (br.tail or "")
    return root.text_content()


def to_half_width(value: str) -> str:
    return value.translate(_FULLWIDTH)


def to_simplified(value: str) -> str:
    return _t2s().convert(value)


def detect_language(value: str) -> str:
    cjk = len(_CJK.findall(value))
    latin = len(_LATIN.findall(value))
    if cjk == 0 and latin == 0:
        return "und"
    return "zh" if cjk >= latin / 4 else "en"


def normalise(title: str | None, text: str | None) -> NormalisedText:
    """Title and text as one clean string (title first when it adds anything)."""
    body = html_to_text(text or "")
    head = html_to_text(title or "").strip()
    if head and not body.strip().startswith(head):
        body = f"{head}\n{body}"
    body = unicodedata.normalize("NFC", body)
    body = to_simplified(to_half_width(body))
    links = _URL.findall(body)
    mentions = _MENTION.findall(body)
    topics = [t.strip() for t in _TOPIC.findall(body)]
    body = _SPACE.sub(" ", body)
    body = _NEWLINES.sub("\n", "\n".join(line.strip() for line in body.split("\n")))
    body = body.strip()
    return NormalisedText(
        text=body,
        language=detect_language(body),
        links=list(dict.fromkeys(links)),
        mentions=list(dict.fromkeys(mentions)),
        topics=list(dict.fromkeys(topics)),
    )
