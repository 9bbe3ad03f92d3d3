"""Chinese platform times and counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clue_pipeline.timeparse import parse_count, parse_time

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 10, 0, 0, tzinfo=SH)


def at(*parts: int, tz=SH) -> datetime:  # noqa: ANN001
    return datetime(*parts, tzinfo=tz)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019/2/28 11:25:05", at(2019, 2, 28, 11, 25, 5)),
        ("2019-02-28 11:25", at(2019, 2, 28, 11, 25)),
        ("2019-02-28", at(2019, 2, 28)),
        ("2019.2.28", at(2019, 2, 28)),
        ("2020年04月25日 16:55", at(2020, 4, 25, 16, 55)),
        ("2020年4月25日", at(2020, 4, 25)),
        ("3分钟前", NOW - timedelta(minutes=3)),
        ("1 分钟前", NOW - timedelta(minutes=1)),
        ("2小时前", NOW - timedelta(hours=2)),
        ("半小时前", NOW - timedelta(minutes=30)),
        ("30秒前", NOW - timedelta(seconds=30)),
        ("5天前", NOW - timedelta(days=5)),
        ("刚刚", NOW),
        ("今天 08:01", at(2024, 3, 1, 8, 1)),
        ("昨天 12:30", at(2024, 2, 29, 12, 30)),
        ("前天 9:00", at(2024, 2, 28, 9, 0)),
        ("昨天", at(2024, 2, 29)),
        ("02-28", at(2024, 2, 28)),
        ("02月28日 16:55", at(2024, 2, 28, 16, 55)),
        ("2月28日", at(2024, 2, 28)),
        # a month-day later than now is last year's
        ("04月25日 16:55", at(2023, 4, 25, 16, 55)),
        ("03-05", at(2023, 3, 5)),
        ("12:30", at(2024, 2, 29, 12, 30)),  # a time of day later than now: yesterday
        ("09:15", at(2024, 3, 1, 9, 15)),
        ("下午3:05", at(2024, 2, 29, 15, 5)),
        ("上午9:05", at(2024, 3, 1, 9, 5)),
        ("发布于 2019-02-28 11:25", at(2019, 2, 28, 11, 25)),
        ("发布时间：2019-02-28 11:25", at(2019, 2, 28, 11, 25)),
        ("２０１９－０２－２８　１１：２５", at(2019, 2, 28, 11, 25)),  # full-width
        ("2019-02-28T11:25:05Z", at(2019, 2, 28, 11, 25, 5, tz=UTC)),
        ("2019-02-28T11:25:05+08:00", at(2019, 2, 28, 11, 25, 5)),
        ("2019-02-28T11:25:05", at(2019, 2, 28, 11, 25, 5)),
        ("Thu, 28 Feb 2019 11:25:05 +0800", at(2019, 2, 28, 11, 25, 5)),
        ("Thu, 28 Feb 2019 03:25:05 GMT", at(2019, 2, 28, 11, 25, 5)),
        ("1551324305", at(2019, 2, 28, 11, 25, 5)),
        ("1551324305000", at(2019, 2, 28, 11, 25, 5)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    parsed = parse_time(text, now=NOW)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text", ["", "   ", "xyz", "2019-13-01", "02-30", "13月01日", "25:00", "昨天 25:61", "明天"]
)
def test_unreadable_is_none(text: str) -> None:
    assert parse_time(text, now=NOW) is None


def test_leap_day_without_year_goes_back_to_a_leap_year() -> None:
    now = datetime(2025, 3, 10, tzinfo=SH)
    assert parse_time("02-29", now=now) == at(2024, 2, 29)


def test_other_time_zone_and_naive_now() -> None:
    assert parse_time("2019-02-28 11:25", now=NOW, tz="UTC") == at(2019, 2, 28, 11, 25, tz=UTC)
    naive = datetime(2024, 3, 1, 10, 0)
    assert parse_time("3分钟前", now=naive) == NOW - timedelta(minutes=3)
    utc_now = NOW.astimezone(UTC)
    assert parse_time("今天 08:01", now=utc_now) == at(2024, 3, 1, 8, 1)


def test_today_later_than_now_is_clamped() -> None:
    assert parse_time("今天 23:00", now=NOW) == NOW


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2万", 12000),
        ("10万+", 100000),
        ("转发 35", 35),
        ("35 评论", 35),
        ("评论(12)", 12),
        ("赞", 0),
        ("1,234", 1234),
        ("3.5k", 3500),
        ("2.5w", 25000),
        ("1亿", 100_000_000),
        ("１２", 12),
        (" 7 ", 7),
        (7, 7),
        (3.0, 3),
        ("", None),
        (None, None),
    ],
)
def test_parse_count(value, expected) -> None:  # noqa: ANN001
    assert parse_count(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_and_is_aware(text: str) -> None:
    parsed = parse_time(text, now=NOW)
    assert parsed is None or parsed.tzinfo is not None
    count = parse_count(text)
    assert count is None or (isinstance(count, int) and count >= 0)


UNITS = ["秒", "分钟", "小时", "天", "周", "个月", "年"]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(UNITS),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_relative_times_are_never_after_now(amount: int, unit: str, now: datetime) -> None:
    aware_now = now.replace(tzinfo=SH)
    parsed = parse_time(f"{amount}{unit}前", now=aware_now)
    assert parsed is None or parsed <= aware_now


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["今天", "昨天", "前天", ""]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_day_words_and_times_of_day_are_never_after_now(
    word: str, hour: int, minute: int, now: datetime
) -> None:
    aware_now = now.replace(tzinfo=SH)
    parsed = parse_time(f"{word} {hour}:{minute:02d}", now=aware_now)
    assert parsed is not None
    assert parsed <= aware_now
    assert aware_now - parsed < timedelta(days=3)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 28),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_month_day_is_within_the_last_year(month: int, day: int, now: datetime) -> None:
    aware_now = now.replace(tzinfo=SH)
    parsed = parse_time(f"{month:02d}月{day:02d}日", now=aware_now)
    assert parsed is not None
    assert (parsed.month, parsed.day) == (month, day)
    assert aware_now - timedelta(days=366) < parsed <= aware_now
