"""A feed request's query parameters: ``limit``, ``since`` and ``format``, checked.

``since`` reads as ``scrapy export --since`` does (storage.options); a bad value is a
``BadRequest`` whose message is the short body of the 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newscrawler.serve.formats import DEFAULT, FORMATS
from newscrawler.storage.options import OptionError, parse_date

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
# Parameters a feed reads; each may appear once.
KNOWN = ("limit", "since", "format")


class BadRequest(ValueError):
    """A parameter that cannot be used; the message says which and why, in one line."""


@dataclass(frozen=True)
class FeedParams:
    limit: int = DEFAULT_LIMIT
    since: datetime | None = None
    format: str = DEFAULT


def one(args: dict[bytes, list[bytes]], name: str) -> str | None:
    values = args.get(name.encode(), [])
    if len(values) > 1:
        raise BadRequest(f"{name}: given more than once")
    if not values:
        return None
    try:
        return values[0].decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"{name}: not UTF-8 text") from None


def parse_limit(text: str) -> int:
    """``limit``: a whole number from 1 to MAX_LIMIT.

    >>> parse_limit("20")
    20
    >>> parse_limit("1000000000")
    Traceback (most recent call last):
    ...
    newscrawler.serve.params.BadRequest: limit: expected a whole number from 1 to 200
    """
    if not text.isascii() or not text.isdigit() or len(text) > 6 or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequest(f"limit: expected a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def feed_params(args: dict[bytes, list[bytes]], extension: str | None) -> FeedParams:
    """The parameters of a feed request (``args`` as Twisted parses the query), or BadRequest."""
    limit = one(args, "limit")
    since = one(args, "since")
    fmt = one(args, "format")
    if fmt is not None and fmt not in FORMATS:
        raise BadRequest(f"format: expected one of {', '.join(FORMATS)}")
    if fmt is not None and extension is not None and fmt != extension:
        raise BadRequest(f"format: {fmt} asked, but the path ends in .{extension}")
    try:
        since_date = parse_date("since", since) if since is not None else None
    except OptionError:
        raise BadRequest("since: expected an ISO 8601 date such as 2021-07-08 or 2021-07-08T10:00+08:00") from None
    return FeedParams(parse_limit(limit) if limit is not None else DEFAULT_LIMIT, since_date,
                      fmt or extension or DEFAULT)
