"""Page encodings: the platform's forced ``encoding``, else GB18030 for Chinese
pages that declare no charset.

Scrapy decodes a page by its BOM, the ``Content-Type`` charset, a ``<meta>``
charset, and otherwise guesses: ASCII, UTF-8, then ``charset_normalizer``. The
guess is reliable on long pages but not on short ones: a GBK message-board post
of a line or two is read as cp949 (Korean) or left undecodable. So when a page
declares nothing and is not valid UTF-8, this middleware decodes it as GB18030
(a superset of GB2312 and GBK) when that decodes cleanly into mostly Chinese
text. Pages in other legacy encodings (Big5, Shift-JIS) need ``encoding`` set
on their platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.http import TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

CHINESE_ENCODING = "gb18030"
MIN_CHINESE_SHARE = 0.7  # of the non-ASCII characters decoded
BAD_CHARS_PER_NON_ASCII = 1 / 200  # U+FFFD allowed in long pages (stray bytes)
CHINESE_RANGES = (
    (0x00B7, 0x00B7),  # middle dot
    (0x2000, 0x206F),  # general punctuation: “ ” … —
    (0x2100, 0x214F),  # letterlike symbols: ℃ №
    (0x2150, 0x218F),  # number forms: Ⅰ Ⅱ
    (0x2460, 0x24FF),  # enclosed numbers: ① ②
    (0x2500, 0x25FF),  # box drawing, shapes: ■ ●
    (0x2E80, 0x2FDF),  # radicals
    (0x3000, 0x303F),  # CJK punctuation: 、 。 「 」
    (0x3400, 0x4DBF),  # extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms: ， ！ （ ）
    (0x20000, 0x3134F),  # extensions B-G
)


def declared_charset(response: TextResponse) -> str | None:
    """The charset a response declares (BOM, header, ``<meta>``), if any."""
    bom, _ = read_bom(response.body)
    if bom:
        return bom
    content_type = response.headers.get(b"Content-Type") or b""
    from_header = http_content_type_encoding(content_type.decode("latin-1"))
    if from_header:
        return from_header
    return html_body_declared_encoding(response.body)


def is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_chinese(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in CHINESE_RANGES)


def decodes_as_chinese(body: bytes) -> bool:
    """Whether ``body`` decodes as GB18030 cleanly into mostly Chinese text."""
    text = body.decode(CHINESE_ENCODING, errors="replace")
    non_ascii = [char for char in text if ord(char) > 0x7F]
    if not non_ascii:
        return False
    bad = sum(1 for char in non_ascii if char == "\ufffd")
    allowed = int(len(non_ascii) * BAD_CHARS_PER_NON_ASCII)
    if non_ascii[-1] == "\ufffd":
        allowed += 1  # a multi-byte character cut off at the end of the body
    if bad > allowed:
        return False
    chinese = sum(1 for char in non_ascii if _is_chinese(char))
    return chinese >= MIN_CHINESE_SHARE * (len(non_ascii) - bad)


class EncodingMiddleware:
    """Downloader middleware; reads ``spider.platform.encoding``, else the
    ``CLUES_ENCODING`` setting."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        platform = getattr(self.crawler.spider, "platform", None)
        forced = getattr(platform, "encoding", None) or self.crawler.settings.get("CLUES_ENCODING")
        if forced:
            return response.replace(encoding=forced)
        if declared_charset(response) or is_utf8(response.body):
            return response
        if decodes_as_chinese(response.body):
            self.crawler.stats.inc_value("encoding/gb18030_detected")
            return response.replace(encoding=CHINESE_ENCODING)
        return response
