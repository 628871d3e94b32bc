"""Conditional GET (RFC 9110 13.1): ETag and Last-Modified, and whether a request's copy is current."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from twisted.web.http import datetimeToString, stringToDatetime

# 9999-12-31T23:59:59Z: a date past it (Twisted reads any year) is no HTTP date, and ignored (RFC 9110 13.1.3).
LAST_HTTP_DATE = 253402300799


def etag_of(parts: Iterable[str]) -> str:
    """A weak validator of what ``parts`` describe: a gzip-encoded copy is equivalent, not byte-equal.

    >>> etag_of(["a", "b"]) == etag_of(["a", "b"]) != etag_of(["ab"])
    True
    """
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return f'W/"{digest.hexdigest()[:32]}"'


def http_date(value: datetime) -> str:
    """The HTTP date of ``value``, whole seconds.

    >>> from datetime import timezone
    >>> http_date(datetime(2021, 7, 8, 10, 55, 51, 900000, tzinfo=timezone.utc))
    'Thu, 08 Jul 2021 10:55:51 GMT'
    """
    return datetimeToString(int(value.timestamp())).decode("ascii")


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def is_current(if_none_match: str | None, if_modified_since: str | None, etag: str,
               last_modified: datetime | None) -> bool:
    """Whether the client's copy is current (304): If-None-Match when given (weak comparison,
    a list or ``*``), else If-Modified-Since against Last-Modified (whole seconds).

    >>> tag = 'W/"1"'
    >>> is_current('"0", W/"1"', None, tag, None), is_current('"0"', "Thu, 01 Jan 2099 00:00:00 GMT", tag, None)
    (True, False)
    >>> from datetime import timezone
    >>> is_current(None, "Sat, 01 Jan 99999999999999999999 00:00:00 GMT", tag, datetime(2021, 1, 1, tzinfo=timezone.utc))
    False
    """
    if if_none_match is not None:
        tags = [_opaque(t) for t in if_none_match.split(",")]
        return "*" in tags or _opaque(etag) in tags
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = stringToDatetime(if_modified_since.encode("latin-1"))
    except (ValueError, IndexError, KeyError, UnicodeEncodeError, OverflowError):  # no date: answer in full
        return False
    return since <= LAST_HTTP_DATE and int(last_modified.timestamp()) <= since
