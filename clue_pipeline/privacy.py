"""Personal data in posts: phone and ID numbers in text are masked wherever
text is shown (the web UI and API, exports); author handles are replaced by
stable pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import re

# An ID number (居民身份证号码): 18 characters (17 digits and a digit or X) or
# the old 15 digits, born 1900-2099 for the 18-character form.
_ID_18 = r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
_ID_15 = r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
# A mobile number, optionally with +86/86 and separators: 138 1234 5678, 138-1234-5678.
_MOBILE = r"(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}"
# A landline with its area code: 0571-87654321, (010)12345678, 0571 8765 4321.
_LANDLINE = r"(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{3,4}[\s-]?\d{4}"

_PATTERN = re.compile(
    rf"(?<![\dA-Za-z])(?:(?P<id>{_ID_18}|{_ID_15})|(?P<phone>{_MOBILE}|{_LANDLINE}))(?![\dA-Za-z])"
)

PHONE_MASK = "[电话已隐藏]"
ID_MASK = "[证件号已隐藏]"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _id_checksum_ok(number: str) -> bool:
    """The ISO 7064 MOD 11-2 check character of an 18-character ID number
    (15-digit numbers have none)."""
    if len(number) != 18:
        return True
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17].upper()


def _replace(match: re.Match[str]) -> str:
    if match.group("id"):
        return ID_MASK if _id_checksum_ok(match.group("id")) else match.group(0)
    return PHONE_MASK


def mask_personal(text: str | None) -> str:
    """``text`` with phone numbers and ID numbers replaced by a placeholder.

    Digits that merely look long (order numbers, amounts) are kept unless they
    have the exact shape of a phone number or of an ID number (with a valid
    check character)."""
    if not text:
        return ""
    return _PATTERN.sub(_replace, text)


PSEUDONYM_PREFIX = "用户"
ANONYMOUS = "匿名"


def pseudonym(platform: str | None, author: str | None, key: bytes) -> str:
    """A stable stand-in for an author's handle: ``用户-3fa2c1d0``, the same for
    the same handle on the same platform, never revealing it (a keyed hash,
    HMAC-SHA256 with the installation's secret key)."""
    handle = (author or "").strip()
    if not handle:
        return ANONYMOUS
    message = f"{platform or ''}\x00{handle}".encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()[:8]
    return f"{PSEUDONYM_PREFIX}-{digest}"
