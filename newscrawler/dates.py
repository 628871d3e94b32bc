"""Turn the date forms sites use (epochs, RFC 822/3339, patterns, Chinese page text) into UTC datetimes."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any
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
    >>> is_plausible(now, datetime(9999, 12, 31, tzinfo=timezone.utc))  # no date past 9999 to compare with
    True
    """
    return EARLIEST <= value and value - LATEST_AHEAD <= now


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


# A pure function of its arguments, and slow (about half a millisecond): the rows of one listing
# page share their crawl time, and many share their text ("3天前", "昨天 10:30").
@lru_cache(maxsize=4096)
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


def load_date_parser(tz: str) -> None:
    """Load dateparser's language data and rules now (about a quarter of a second of CPU), so
    the first page with a text date does not stall the crawl while they load."""
    parse_datetime("昨天 18:55", datetime.now(timezone.utc), tz)


def rfc1123(value: datetime) -> str:
    """The HTTP/RSS date form, in GMT.

    >>> rfc1123(datetime(2021, 7, 8, 18, 55, 51, tzinfo=ZoneInfo("Asia/Shanghai")))
    'Thu, 08 Jul 2021 10:55:51 GMT'
    """
    return format_datetime(value.astimezone(timezone.utc), usegmt=True)


# Free text that reads later than the crawl time, past clock skew, is no publication time
# ("5分钟后"); absolute forms keep LATEST_AHEAD of slack for zones and clocks.
TEXT_AHEAD = timedelta(minutes=1)
_DATE_ONLY = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
# Longest date text read: no date is written longer, and parsers would only spend time on it.
MAX_DATE_TEXT = 64


def read_date(value: Any, form: str | None, now: datetime, tz: str) -> tuple[datetime | None, str | None]:
    """A publication time in the form a profile names; ``(datetime, None)`` or ``(None, problem)``.

    ``problem`` is None for an absent value, else ``wrong_type``, ``unreadable``, ``out_of_range``
    or ``future``. Times without a zone are read in ``tz``.

    >>> now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    >>> [read_date(v, f, now, "Asia/Shanghai")[0].isoformat() for v, f in [
    ...     (1625741751000, "epoch"), ("1625741751", "epoch_s"), ("2021/07/08", "%Y/%m/%d"),
    ...     ("Thu, 08 Jul 2021 10:55:51 GMT", "rfc822"), ("2021-07-08T18:55:51+08:00", "rfc3339"),
    ...     ("2018-03-19", "date"), ("2小时前", "text")]]
    ['2021-07-08T10:55:51+00:00', '2021-07-08T10:55:51+00:00', '2021-07-07T16:00:00+00:00', '2021-07-08T10:55:51+00:00', '2021-07-08T10:55:51+00:00', '2018-03-18T16:00:00+00:00', '2026-11-30T10:00:00+00:00']
    >>> [read_date(v, f, now, "Asia/Shanghai")[1] for v, f in [
    ...     (None, "epoch"), ([1], "epoch"), ("soon", "rfc822"), (1e20, "epoch"), ("5分钟后", "text")]]
    [None, 'wrong_type', 'unreadable', 'out_of_range', 'future']
    """
    if value is None or value == "":
        return None, None
    form = form or "text"
    if form.startswith("epoch") and not isinstance(value, bool) and value in (0, "0"):
        return None, None  # APIs send 0 for "no time"
    if form.startswith("epoch") or form == "parsed":
        moment, problem = _read_number_date(value, form)
    elif not isinstance(value, str):
        return None, "wrong_type"
    elif len(value) > MAX_DATE_TEXT:
        return None, "unreadable"
    else:
        moment, problem = _read_text_date(" ".join(value.split()), form, now, tz)
    if moment is None:
        return None, problem
    if not is_plausible(moment, now):
        return None, "out_of_range"
    if form == "text" and moment > now + TEXT_AHEAD:
        return None, "future"
    return moment, None


def _read_number_date(value: Any, form: str) -> tuple[datetime | None, str | None]:
    if form == "parsed":  # feedparser's normalized time: a struct_time in UTC
        if not isinstance(value, time.struct_time):
            return None, "wrong_type"
        try:
            return datetime(*value[:6], tzinfo=timezone.utc), None
        except (ValueError, OverflowError):
            return None, "out_of_range"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, "wrong_type"
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        return None, "wrong_type"
    except OverflowError:
        return None, "out_of_range"
    if form == "epoch_ms":
        number /= 1000
    elif form == "epoch_s" and number >= MILLISECONDS_THRESHOLD:
        return None, "out_of_range"  # said to be seconds: milliseconds here would be year 5138+
    moment = from_epoch(number)
    return (moment, None) if moment is not None else (None, "out_of_range")


def _read_text_date(text: str, form: str, now: datetime, tz: str) -> tuple[datetime | None, str | None]:
    zone = ZoneInfo(tz)
    try:
        if form == "rfc822":
            moment = parsedate_to_datetime(text)
        elif form == "rfc3339":
            moment = datetime.fromisoformat(text)
        elif form == "date":
            moment = _first_pattern(text, _DATE_ONLY)
        elif form == "text":
            moment = parse_datetime(text, now, tz)
        else:  # a strptime pattern (checked when the profile loaded)
            moment = datetime.strptime(text, form)
    except (ValueError, TypeError, OverflowError, IndexError):
        moment = None
    if moment is None:
        return None, "unreadable"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(timezone.utc), None


def _first_pattern(text: str, patterns: tuple[str, ...]) -> datetime | None:
    for pattern in patterns:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def local_time(value: datetime, tz: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in ``tz``: the Hexo date style ``local``.

    >>> local_time(datetime(2018, 3, 19, 2, 59, tzinfo=timezone.utc), "Asia/Shanghai")
    '2018-03-19 10:59:00'
    """
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
