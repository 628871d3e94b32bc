"""Article storage: MongoDB when MONGO_URI is set, else embedded SQLite; same semantics."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from newscrawler.storage.base import Query, Store, StoreError, WriteResult

__all__ = ["Query", "Store", "StoreError", "WriteResult", "open_store"]


def open_store(settings: BaseSettings, create: bool = True) -> Store:
    """The store the settings select (imports only the backend in use).

    Readers (``query``, exports) pass ``create=False``: a mistyped SQLite path is then a
    StoreError naming it, not a new empty database.
    """
    if settings.get("MONGO_URI"):
        from newscrawler.storage.mongo import MongoStore

        return MongoStore.from_settings(settings, create)
    from newscrawler.storage.sqlite import SqliteStore

    return SqliteStore(settings.get("NEWSCRAWLER_DB"), create=create)
