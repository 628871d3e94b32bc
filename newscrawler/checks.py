"""Checks of configuration values, shared by every component that reads a setting.

Each component checks what it reads in its ``from_crawler``, with these: a check takes a value
and returns it in its checked form, or raises ``Invalid`` saying what it expected. ``setting()``
and ``named()`` turn that into one ConfigError naming the setting (or spider argument) and the
value, which stops the crawl at start (exit status 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from scrapy.settings import BaseSettings

from newscrawler.errors import ConfigError
from newscrawler.numbers import to_int

T = TypeVar("T")


class Invalid(ValueError):
    """What a check expected; the caller names the setting, argument or key."""


def positive_int(value: object) -> int:
    """A whole number above 0, in ASCII digits (``int()`` also reads "1_0", "+5" and "١").

    >>> positive_int("100"), positive_int(7)
    (100, 7)
    >>> positive_int("1_0")
    Traceback (most recent call last):
    ...
    newscrawler.checks.Invalid: expected a positive whole number
    """
    number = to_int(value)
    if number is None or number < 1:
        raise Invalid("expected a positive whole number")
    return number


def duration(value: object) -> float:
    """Seconds: a finite number, 0 or more.

    >>> duration("2.5"), duration(0)
    (2.5, 0.0)
    """
    try:
        number = math.nan if isinstance(value, bool) else float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise Invalid("expected a number of seconds, 0 or more")
    return number


def positive_duration(value: object) -> float:
    """Seconds: a finite number above 0 (a deadline of 0 would cut everything off at once).

    >>> positive_duration("0.5")
    0.5
    >>> positive_duration(0)
    Traceback (most recent call last):
    ...
    newscrawler.checks.Invalid: expected a number of seconds above 0
    """
    try:
        number = duration(value)
    except Invalid:
        number = 0.0
    if number <= 0:
        raise Invalid("expected a number of seconds above 0")
    return number


def ratio(value: object) -> float:
    """A share between 0 and 1.

    >>> ratio("0.1")
    0.1
    """
    try:
        number = math.nan if isinstance(value, bool) else float(str(value).strip())
    except ValueError:
        number = math.nan
    if not 0.0 <= number <= 1.0:  # NaN fails this too
        raise Invalid("expected a ratio between 0 and 1, such as 0.1")
    return number


def time_zone(value: object) -> str:
    """An IANA time zone name.

    >>> time_zone("Asia/Shanghai")
    'Asia/Shanghai'
    """
    try:
        ZoneInfo(str(value))
    except (ValueError, ZoneInfoNotFoundError):
        raise Invalid("not an IANA time zone such as Asia/Shanghai") from None
    return str(value)


def css_selector(value: object) -> str:
    """A CSS selector lxml compiles (the translator the page code uses)."""
    try:
        CSSSelector(str(value))
    except SelectorError as exc:
        raise Invalid(f"not a CSS selector ({exc})") from None
    return str(value)


def url_prefix(value: object) -> str:
    """Empty, or the start of an http(s) URL with a host (a prefix other URLs are appended to).

    >>> url_prefix(""), url_prefix("https://cors.example/?")
    ('', 'https://cors.example/?')
    """
    prefix = str(value or "")
    if prefix:
        parts = urlsplit(prefix)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise Invalid("expected empty or an http(s):// prefix")
    return prefix


def named(name: str, value: Any, check: Callable[[Any], T]) -> T:
    """``check(value)``, or a one-line ConfigError naming ``name`` and the value.

    >>> named("spider argument pages", "0", positive_int)
    Traceback (most recent call last):
    ...
    newscrawler.errors.ConfigError: spider argument pages='0': expected a positive whole number
    """
    try:
        return check(value)
    except Invalid as exc:
        raise ConfigError(f"{name}={value!r}: {exc}") from None


def setting(settings: BaseSettings, name: str, check: Callable[[Any], T]) -> T:
    """The setting ``name``, checked; a ConfigError naming it otherwise."""
    return named(name, settings.get(name), check)
