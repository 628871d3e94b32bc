"""Which failures mean "the store is down" and which mean "this document is bad", and bisection.

A batch that fails for a reason of its own content is split in halves until the bad documents
stand alone: the good ones are stored, the bad ones come back as rejected.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from typing import Any

from pymongo.errors import PyMongoError

from newscrawler.storage.base import Rejected, Store, StoreError, UnencodableDocument, WriteResult

logger = logging.getLogger(__name__)

# The store (not the document) failed: retry the batch later or spool it whole.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    PyMongoError, sqlite3.OperationalError, sqlite3.DatabaseError, OSError, StoreError,
)
# What the stores' encoders and constraints say of one document's content: text UTF-8 cannot
# encode (a lone surrogate) or an integer beyond 64 bits (UnencodableDocument: only as the driver
# encodes a write; a bare UnicodeEncodeError or OverflowError is a bug), a BSON document over 16 MB,
# a constraint. Anything else is the store failing (above) or a bug (raised, loud).
_SQLITE_DOCUMENT_ERRORS = (sqlite3.IntegrityError, sqlite3.DataError)
# SQLite errors of the code, not of the file: a closed connection, a bad statement or binding.
_SQLITE_BUGS = (sqlite3.ProgrammingError, sqlite3.InterfaceError)


def is_document_error(exc: BaseException) -> bool:
    """Whether ``exc`` names one document's content: that document is rejected, the rest stored."""
    from bson.errors import BSONError  # InvalidDocument, DocumentTooLarge, InvalidStringData

    return isinstance(exc, (BSONError, UnencodableDocument, *_SQLITE_DOCUMENT_ERRORS))


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the store is unreachable or unusable, whatever the batch holds."""
    if is_document_error(exc) or isinstance(exc, _SQLITE_BUGS):
        return False
    return isinstance(exc, OUTAGE_ERRORS)


def write_isolated(store: Store, docs: list[dict[str, Any]], now: datetime) -> WriteResult:
    """``store.write``, bisecting a batch that fails for its content; outages and bugs propagate."""
    try:
        return store.write(docs, now)
    except Exception as exc:  # noqa: BLE001 - sorted below: document, or raised again
        if not is_document_error(exc):
            raise
        if len(docs) == 1:
            if isinstance(exc, UnencodableDocument):
                return WriteResult(rejected=[Rejected(docs[0], exc.reason, str(exc))])
            reason = type(exc).__name__
            return WriteResult(rejected=[Rejected(docs[0], reason, f"{reason}: {exc}")])
        logger.debug("Batch of %d failed on its content (%s); bisecting", len(docs), exc)
    middle = len(docs) // 2
    result = write_isolated(store, docs[:middle], now)
    result.add(write_isolated(store, docs[middle:], now))
    return result
