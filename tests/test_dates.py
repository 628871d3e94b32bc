"""Every date form 趣头条 shows, to UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from newscrawler.dates import parse_datetime

# Crawl time: 2026-11-28 15:00 UTC is 23:00 in Beijing.
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1625741751000", datetime(2021, 7, 8, 10, 55, 51, tzinfo=UTC)),  # ms, as a string
        (1625741751000, datetime(2021, 7, 8, 10, 55, 51, tzinfo=UTC)),
        (1625741751, datetime(2021, 7, 8, 10, 55, 51, tzinfo=UTC)),  # seconds
        ("1479213961897", datetime(2016, 11, 15, 12, 46, 1, 897000, tzinfo=UTC)),
        ("2021-07-08 18:55", datetime(2021, 7, 8, 10, 55, tzinfo=UTC)),  # Beijing time
        ("07-08 18:55", datetime(2026, 7, 8, 10, 55, tzinfo=UTC)),  # this year
        ("12-30 08:00", datetime(2025, 12, 30, 0, 0, tzinfo=UTC)),  # not in the future: last year
        ("昨天 18:55", datetime(2026, 11, 27, 10, 55, tzinfo=UTC)),
        ("3小时前", NOW - timedelta(hours=3)),
        ("刚刚", NOW),
        ("2021年7月8日", datetime(2021, 7, 7, 16, 0, tzinfo=UTC)),  # Beijing midnight
        ("2021-07-08T10:55:51Z", datetime(2021, 7, 8, 10, 55, 51, tzinfo=UTC)),  # names its zone
        ("Thu, 08 Jul 2021 10:55:51 GMT", datetime(2021, 7, 8, 10, 55, 51, tzinfo=UTC)),
        (datetime(2021, 7, 8, 18, 55, tzinfo=timezone(timedelta(hours=8))), datetime(2021, 7, 8, 10, 55, tzinfo=UTC)),
    ],
)
def test_date_forms(value: object, expected: datetime) -> None:
    parsed = parse_datetime(value, NOW)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [None, "", "0", 0, -5, "garbage", "明天见"])
def test_unreadable_dates(value: object) -> None:
    assert parse_datetime(value, NOW) is None


def test_page_timezone_setting_is_used() -> None:
    assert parse_datetime("2021-07-08 18:55", NOW, tz="UTC") == datetime(2021, 7, 8, 18, 55, tzinfo=UTC)
