"""Turn the date forms 趣头条 uses (epochs and Chinese page text) into UTC datetimes."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import dateparser

# Above this an epoch is in milliseconds: 1e11 seconds is the year 5138.
MILLISECONDS_THRESHOLD = 10**11
# Dates outside this window are junk (NaN, 1e20, a year-3000 typo): no news is older than 1990.
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
LATEST_AHEAD = timedelta(days=2)
_DIGITS = re.compile(r"^\d+(\.\d+)?$")
_STARTS_WITH_YEAR = re.compile(r"^\s*\d{4}")


def from_epoch(value: float) -> datetime | None:
    """Seconds or milliseconds, told apart by magnitude; None for what no clock can show.

    >>> from_epoch(1625741751000).isoformat()
    '2021-07-08T10:55:51+00:00'
    >>> from_epoch(1625741751).isoformat()
    '2021-07-08T10:55:51+00:00'
    >>> [from_epoch(v) for v in (float("nan"), float("inf"), 1e20, -5)]
    [None, None, None, None]
    """
    if not math.isfinite(value) or value <= 0:
        return None
    if value >= MILLISECONDS_THRESHOLD:
        value /= 1000
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def is_plausible(value: datetime, now: datetime) -> bool:
    """Inside 1990 .. now + 2 days: anything else is a broken timestamp.

    >>> now = datetime(2026, 11, 28, tzinfo=timezone.utc)
    >>> [is_plausible(datetime(y, 1, 1, tzinfo=timezone.utc), now) for y in (1989, 2016, 2027)]
    [False, True, False]
    """
    return EARLIEST <= value <= now + LATEST_AHEAD


def parse_datetime(value: object, now: datetime, tz: str = "Asia/Shanghai") -> datetime | None:
    """Any supported form to an aware UTC datetime, or None when unreadable.

    Page text without a zone is read in ``tz``; relative forms such as
    "3小时前" or "昨天 18:55" count back from ``now`` (the crawl time).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_epoch(value)
    text = " ".join(str(value).split())
    if _DIGITS.match(text):
        return from_epoch(float(text))
    if len(text) > 64:
        return None  # no date is written this long; dateparser would only spend time on it
    try:
        parsed = _dateparser_parse(text, now, tz)
    except (ValueError, OverflowError):  # a date dateparser reads but no datetime can hold
        return None
    return parsed.astimezone(timezone.utc) if parsed else None


def _dateparser_parse(text: str, now: datetime, tz: str) -> datetime | None:
    zone = ZoneInfo(tz)
    return dateparser.parse(
        text,
        languages=["zh", "en"],
        settings={
            "TIMEZONE": tz,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
            "PREFER_DATES_FROM": "past",
            # "07-08 18:55" is month-day; "2021-07-08" is year first.
            "DATE_ORDER": "YMD" if _STARTS_WITH_YEAR.match(text) else "MDY",
        },
    )


def rfc1123(value: datetime) -> str:
    """The HTTP/RSS date form, in GMT.

    >>> rfc1123(datetime(2021, 7, 8, 18, 55, 51, tzinfo=ZoneInfo("Asia/Shanghai")))
    'Thu, 08 Jul 2021 10:55:51 GMT'
    """
    return format_datetime(value.astimezone(timezone.utc), usegmt=True)
