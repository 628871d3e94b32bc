"""Documents read back from a store: input like any page, since another program may write there.

A data team's script, a restore from an old backup or a hand edit can leave a document the
pipelines would never have written: a title that is a number, a ``javascript:`` link, a body
holding ``<script>``. Exports, queries and served feeds hand what they read to other people's
readers, so every document read goes through ``readable``: the same contract check as a dead
letter replayed (documents.check_storable). One that fails is left out with a warning naming it
and counted (``BAD_ROWS``); the commands that export exit non-zero for it, the rest is read.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Any

from newscrawler.storage.documents import STORABLE_FIELDS, BadDocument, check_storable, from_json
from newscrawler.storage.upgrade import ChannelNames, upgrade

logger = logging.getLogger(__name__)


class BadRows:
    """Stored values no reader can read (a store edited by hand, or a bug): each a warning and a count."""

    def __init__(self) -> None:
        self.skipped = 0  # documents left out
        self.dates = 0  # bookkeeping dates read as none
        self.lock = threading.Lock()

    def skip(self, row_id: Any, why: str) -> None:
        with self.lock:
            self.skipped += 1
            count = self.skipped + self.dates
        logger.warning("Stored article %r skipped, it cannot be read: %s (%d unreadable values so far)",
                       str(row_id)[:200], why, count)

    def bad_date(self, where: str, text: object) -> None:
        with self.lock:
            self.dates += 1
            count = self.skipped + self.dates
        logger.warning("Unreadable date %r in %s, taken as none (%d unreadable values so far)", str(text)[:40],
                       where, count)


BAD_ROWS = BadRows()


def stored_date(value: object, where: str = "the store") -> datetime | None:
    """A bookkeeping date as a store holds it (ISO text in SQLite, a date in MongoDB) in UTC;
    an unreadable one is None, with a warning (a bad value spoils no page)."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        pass
    BAD_ROWS.bad_date(where, value)
    return None


def read_document(row_id: Any, doc: str | dict[str, Any], names: ChannelNames) -> dict[str, Any] | None:
    """The stored document ``doc`` (SQLite's JSON text, or MongoDB's document without ``_id``) of
    row ``row_id`` as ``readable`` gives it; None when it cannot be read, with a warning naming it."""
    try:
        return readable(from_json(doc) if isinstance(doc, str) else doc, names)
    except BadDocument as exc:
        BAD_ROWS.skip(row_id, str(exc))
        return None


def readable(doc: dict[str, Any], names: ChannelNames) -> dict[str, Any]:
    """``doc`` brought up to date (upgrade), or BadDocument unless its contract fields are what
    the pipelines store. Fields outside the contract (another program's notes, the store's
    bookkeeping) are no article's content: kept as they are, never checked, never exported."""
    doc = upgrade(doc, names)
    check_storable({name: value for name, value in doc.items() if name in STORABLE_FIELDS})
    return doc
