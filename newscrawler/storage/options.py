"""Options of ``query`` and the exports: pure parsers raising OptionError (a ValueError) with a one-line reason.

The same checks run for both stores, so a bad value gets the same answer from SQLite and MongoDB.
"""

from __future__ import annotations

from datetime import datetime, timezone

from newscrawler.storage.base import Query

class OptionError(ValueError):
    """A bad command-line option value; the message names the option and the value."""


# Both stores take a signed 64-bit LIMIT (and channel id); anything above it is not a real one.
MAX_LIMIT = 2**63 - 1


def parse_limit(text: str) -> int:
    """``--limit``: a positive integer.

    >>> parse_limit("20")
    20
    >>> parse_limit("0")
    Traceback (most recent call last):
    ...
    newscrawler.storage.options.OptionError: --limit '0': expected a positive integer
    """
    try:
        value = int(text)
    except ValueError:
        raise OptionError(f"--limit {text!r}: expected a positive integer") from None
    if value < 1:
        raise OptionError(f"--limit {text!r}: expected a positive integer")
    if value > MAX_LIMIT:
        raise OptionError(f"--limit {text!r}: too large (at most {MAX_LIMIT})")
    return value


def parse_channel(text: str) -> int:
    """``--channel``: a channel id, which both stores hold as a signed 64-bit integer.

    >>> parse_channel("255")
    255
    """
    try:
        value = int(text)
    except ValueError:
        raise OptionError(f"--channel {text!r}: expected a channel id (an integer)") from None
    if not -MAX_LIMIT - 1 <= value <= MAX_LIMIT:
        raise OptionError(f"--channel {text!r}: out of range (a signed 64-bit integer)")
    return value


def parse_date(option: str, text: str) -> datetime:
    """``--since``/``--until``: an ISO 8601 date or datetime, UTC unless a zone is given.

    >>> parse_date("--since", "2021-07-08T10:00+08:00").isoformat()
    '2021-07-08T02:00:00+00:00'
    """
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise OptionError(
            f"{option} {text!r}: not an ISO 8601 date such as 2021-07-08 or 2021-07-08T10:00"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        # Stores compare in UTC; a date whose UTC form leaves years 1..9999 has no stored form.
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise OptionError(f"{option} {text!r}: out of range once converted to UTC") from None


def parse_query(
    since: str | None = None, until: str | None = None, channel: str | None = None, tag: str | None = None,
    limit: str | None = None,
) -> Query:
    """The store query the command-line options describe; OptionError names the bad option."""
    query = Query(
        since=parse_date("--since", since) if since is not None else None,
        until=parse_date("--until", until) if until is not None else None,
        channel=parse_channel(channel) if channel is not None else None,
        tag=tag,
        limit=parse_limit(limit) if limit is not None else None,
    )
    if query.since and query.until and query.since > query.until:
        raise OptionError(f"--since {since!r} is after --until {until!r}")
    return query
