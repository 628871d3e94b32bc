"""Check the project's settings once, at start: each bad one is a ConfigError naming it."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from scrapy.settings import BaseSettings

from newscrawler.storage.batchsize import store_batch_size
from newscrawler.errors import ConfigError

# Whole numbers that only make sense above zero.
POSITIVE_INTS = (
    "MONGO_SERVER_SELECTION_TIMEOUT_MS", "MONGO_CONNECT_TIMEOUT_MS", "STORE_WRITE_ATTEMPTS",
    "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE", "DOWNLOAD_MAXHEADERSIZE", "DOWNLOAD_MAXHEADERS",
)
# Durations in seconds: finite and not negative (0 turns the periodic flush off).
DURATIONS = ("STORE_FLUSH_INTERVAL", "STORE_RETRY_BACKOFF", "STORE_OUTAGE_COOLDOWN")


def positive_int(name: str, value: object) -> int:
    """
    >>> positive_int("MONGO_BATCH_SIZE", "100")
    100
    """
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number < 1:
        raise ConfigError(f"{name}={value!r}: expected a whole number greater than 0")
    return number


def duration(name: str, value: object) -> float:
    try:
        number = float(str(value).strip()) if not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise ConfigError(f"{name}={value!r}: expected a number of seconds, 0 or more")
    return number


def check_selector(name: str, css: str) -> None:
    try:
        CSSSelector(css)  # the translator the body code compiles with
    except SelectorError as exc:
        raise ConfigError(f"{name}={css!r}: not a CSS selector ({exc})") from None


def check_proxy(prefix: str) -> None:
    if prefix and (urlsplit(prefix).scheme.lower() not in ("http", "https") or not urlsplit(prefix).netloc):
        raise ConfigError(f"CORS_PROXY={prefix!r}: expected empty or an http(s):// prefix")


def check_mongo_uri(settings: BaseSettings) -> None:
    """MONGO_URI as pymongo reads it, without a connection (nor the DNS lookup of mongodb+srv://),
    and the write concern it gives with MONGO_JOURNAL: w=0 is refused. Messages never show a secret."""
    uri = str(settings.get("MONGO_URI") or "")
    if not uri:
        return
    from newscrawler.storage.mongo import MongoStore

    MongoStore.check_settings(settings)


def validate_settings(settings: BaseSettings) -> None:
    """Raise ConfigError for the first bad setting; called when the spider is built."""
    for name in POSITIVE_INTS:
        positive_int(name, settings.get(name))
    store_batch_size(settings)  # STORE_BATCH_SIZE, or MONGO_BATCH_SIZE, its old name
    for name in DURATIONS:
        duration(name, settings.get(name))
    for selector in settings.getlist("BODY_DROP_SELECTORS"):
        check_selector("BODY_DROP_SELECTORS", selector)
    check_proxy(str(settings.get("CORS_PROXY") or ""))
    check_mongo_uri(settings)
