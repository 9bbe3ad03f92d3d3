"""Times and counts as Chinese platforms show them.

``parse_time`` reads absolute times (``2019/2/28 11:25:05``, ``2020年04月25日
16:55``, ``02月28日 16:55``, ``02-28``, ISO 8601, RFC 822, Unix seconds or
milliseconds) and relative ones (``刚刚``, ``3分钟前``, ``2小时前``, ``今天 08:01``,
``昨天 12:30``, ``前天 9:00``) against ``now``; ``parse_count`` reads ``1.2万``,
``10万+``, ``转发 35``. Both return None for what they cannot read and never
raise on text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_PREFIX = re.compile(
    r"^(?:发布于|发表于|发布时间|发表时间|更新于|更新时间|时间|日期|posted)\s*[:：]?\s*"
)
_SUFFIX = re.compile(r"\s*(?:发布|发表|更新|前发布)$")
_AGO = re.compile(
    r"^(\d+|半|一|两|几)\s*(秒|秒钟|分|分钟|小时|个小时|个钟头|天|日|周|星期|个星期|月|个月|年)\s*(?:之)?前$"
)
_UNIT_SECONDS = {
    "秒": 1,
    "秒钟": 1,
    "分": 60,
    "分钟": 60,
    "小时": 3600,
    "个小时": 3600,
    "个钟头": 3600,
    "天": 86400,
    "日": 86400,
    "周": 7 * 86400,
    "星期": 7 * 86400,
    "个星期": 7 * 86400,
    "月": 30 * 86400,
    "个月": 30 * 86400,
    "年": 365 * 86400,
}
_DAY_WORDS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_TIME = (
    r"(?P<ampm>上午|下午|中午|晚上|凌晨|早上)?\s*(?P<h>\d{1,2})[:：时](?P<mi>\d{1,2})"
    r"(?:[:：分](?P<s>\d{1,2})(?:\.\d+)?)?[分秒]?"
)
_DAY_WORD = re.compile(rf"^(?P<day>今天|今日|昨天|昨日|前天)\s*(?:{_TIME})?$")
_FULL_DATE = re.compile(
    rf"^(?P<y>\d{{4}})\s*[-/.年]\s*(?P<mo>\d{{1,2}})\s*[-/.月]\s*(?P<d>\d{{1,2}})\s*日?"
    rf"(?:\s*(?:T|\s)?\s*{_TIME})?$"
)
_MONTH_DAY = re.compile(rf"^(?P<mo>\d{{1,2}})\s*[-/.月]\s*(?P<d>\d{{1,2}})\s*日?(?:\s*{_TIME})?$")
_TIME_ONLY = re.compile(rf"^{_TIME}$")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?(?:\.\d+)?$")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万|w|W|千|k|K|亿|百万|m|M)?")
_MULTIPLIER = {
    None: 1,
    "千": 1000,
    "k": 1000,
    "K": 1000,
    "万": 10_000,
    "w": 10_000,
    "W": 10_000,
    "百万": 1_000_000,
    "m": 1_000_000,
    "M": 1_000_000,
    "亿": 100_000_000,
}


def parse_time(value: str, *, now: datetime, tz: str = "Asia/Shanghai") -> datetime | None:
    """The aware datetime ``value`` names, read in time zone ``tz`` relative to
    ``now`` (naive ``now`` is taken to be in ``tz``); None when unreadable.

    A time that can only be in the past (relative, or a date without a year)
    never lands after ``now``: a month-day in the future means last year, a
    bare time of day later than now means yesterday."""
    try:
        return _parse_time(value, now, _zone(tz))
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def parse_count(value: str | int | float | None) -> int | None:
    """A count shown as text: ``1.2万`` -> 12000, ``10万+`` -> 100000,
    ``转发 35`` -> 35, ``1,234`` -> 1234, a label without digits (``赞``) -> 0,
    nothing -> None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else None
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    text = re.sub(r"(?<=\d)[,，](?=\d{3})", "", text)
    match = _NUMBER.search(text)
    if match is None:
        return 0
    try:
        number = Decimal(match.group(1)) * _MULTIPLIER[match.group(2)]
    except InvalidOperation:
        return None
    return int(number.to_integral_value())


@lru_cache(maxsize=32)
def _zone(tz: str) -> tzinfo:
    return ZoneInfo(tz)


def _parse_time(value: str, now: datetime, zone: tzinfo) -> datetime | None:
    if not isinstance(value, str):
        return None
    now = now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)
    text = unicodedata.normalize("NFKC", value).strip()
    text = _SUFFIX.sub("", _PREFIX.sub("", text)).strip()
    text = re.sub(r"\s+", " ", text)
    if not text:
        return None
    if text in ("刚刚", "刚才", "just now"):
        return now
    match = _AGO.match(text)
    if match:
        return now - _ago(match.group(1), match.group(2))
    match = _DAY_WORD.match(text)
    if match:
        day = (now - timedelta(days=_DAY_WORDS[match.group("day")])).date()
        if match.group("h") is None:
            moment = now if match.group("day") in ("今天", "今日") else _at(day, 0, 0, 0, zone)
        else:
            moment = _at(day, *_clock(match), zone)
        return min(moment, now)
    match = _FULL_DATE.match(text)
    if match:
        clock = _clock(match) if match.group("h") is not None else (0, 0, 0)
        day = datetime(int(match["y"]), int(match["mo"]), int(match["d"])).date()
        return _at(day, *clock, zone)
    match = _MONTH_DAY.match(text)
    if match:
        clock = _clock(match) if match.group("h") is not None else (0, 0, 0)
        return _month_day(int(match["mo"]), int(match["d"]), clock, now, zone)
    match = _TIME_ONLY.match(text)
    if match:
        moment = _at(now.date(), *_clock(match), zone)
        return moment if moment <= now else moment - timedelta(days=1)
    if _EPOCH.match(text):
        seconds = float(text)
        if len(text.split(".")[0]) == 13:
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC).astimezone(zone)
    return _iso(text, zone) or _rfc822(text, zone)


def _ago(amount: str, unit: str) -> timedelta:
    seconds = _UNIT_SECONDS[unit]
    if amount == "半":
        return timedelta(seconds=seconds / 2)
    count = {"一": 1, "两": 2, "几": 3}.get(amount)
    return timedelta(seconds=seconds * (count if count is not None else int(amount)))


def _clock(match: re.Match[str]) -> tuple[int, int, int]:
    hour, minute = int(match["h"]), int(match["mi"])
    second = int(match["s"]) if match["s"] else 0
    ampm = match["ampm"]
    afternoon = ampm in ("下午", "晚上") and hour < 12
    if afternoon or (ampm == "中午" and hour < 11):
        hour += 12
    elif ampm == "凌晨" and hour == 12:
        hour = 0
    return hour, minute, second


def _at(day, hour: int, minute: int, second: int, zone: tzinfo) -> datetime:  # noqa: ANN001
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


def _month_day(
    month: int, day: int, clock: tuple[int, int, int], now: datetime, zone: tzinfo
) -> datetime | None:
    """A month-day without a year: this year, or the latest earlier year in
    which it exists and is not in the future (29 February)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if not (0 <= clock[0] < 24 and 0 <= clock[1] < 60 and 0 <= clock[2] < 60):
        return None
    for year in range(now.year, now.year - 9, -1):
        try:
            moment = datetime(year, month, day, *clock, tzinfo=zone)
        except ValueError:  # 29 February, 31 April: not in this year
            continue
        if moment <= now:
            return moment
    return None


def _iso(text: str, zone: tzinfo) -> datetime | None:
    candidate = text.replace(" T", "T")
    if not re.match(r"^\d{4}-\d{2}-\d{2}", candidate):
        return None
    try:
        moment = datetime.fromisoformat(candidate.replace("z", "Z"))
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _rfc822(text: str, zone: tzinfo) -> datetime | None:
    if not re.search(r"[A-Za-z]{3}", text) or not re.search(r"\d{1,2}:\d{2}", text):
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:  # -0000 (UTC, zone unknown) or no zone given at all
        return moment.replace(tzinfo=UTC if "-0000" in text else zone)
    return moment
