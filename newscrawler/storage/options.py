"""Options of ``query`` and the exports: pure parsers raising OptionError (a ValueError) with a one-line reason.

The same checks run for both stores, so a bad value gets the same answer from SQLite and MongoDB.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timezone

from newscrawler.items import SOURCE_NAME, channel_id_from_text
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


def parse_source(text: str) -> str:
    """``--source``: a source's name, as its profile (or ``scrapy crawl feed -a name=``) spells it.

    >>> parse_source("news")
    'news'
    >>> parse_source("新闻")
    Traceback (most recent call last):
    ...
    newscrawler.storage.options.OptionError: --source '新闻': expected a source's name (lowercase letters, digits and _, as scrapy list shows)
    """
    if not SOURCE_NAME.fullmatch(text):
        raise OptionError(f"--source {text!r}: expected a source's name (lowercase letters, digits and _, "
                          "as scrapy list shows)")
    return text


def parse_channel(text: str, channels: Collection[int | str] = ()) -> int | str:
    """``--channel``: a channel id, a whole number (both stores hold a signed 64-bit integer) or a
    word. A whole number is the number, unless ``channels`` (the ids of ``--source``'s profile)
    holds it as a word only: the stores keep the number 1 and the word "1" apart.

    >>> parse_channel("255"), parse_channel("tech"), parse_channel("1", {"1", "2"})
    (255, 'tech', '1')
    """
    value = channel_id_from_text(text, channels)
    if value is None:
        raise OptionError(f"--channel {text!r}: expected a channel id (a whole number, or a word of letters, "
                          "digits, _ . -)")
    if isinstance(value, int) and not -MAX_LIMIT - 1 <= value <= MAX_LIMIT:
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
    limit: str | None = None, source: str | None = None,
    channels: Mapping[str, Collection[int | str]] | None = None,
) -> Query:
    """The store query the command-line options describe; OptionError names the bad option.

    ``channels`` (source -> its profile's channel ids) types ``--channel`` for ``--source``.
    """
    source_name = parse_source(source) if source is not None else None
    known = (channels or {}).get(source_name, ()) if source_name is not None else ()
    query = Query(
        since=parse_date("--since", since) if since is not None else None,
        until=parse_date("--until", until) if until is not None else None,
        source=source_name,
        channel=parse_channel(channel, known) if channel is not None else None,
        tag=tag,
        limit=parse_limit(limit) if limit is not None else None,
    )
    if query.since and query.until and query.since > query.until:
        raise OptionError(f"--since {since!r} is after --until {until!r}")
    return query
