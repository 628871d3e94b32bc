"""Article storage: MongoDB when MONGO_URI is set, else embedded SQLite; same semantics."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from newscrawler.storage.base import Query, Store, WriteResult

__all__ = ["Query", "Store", "WriteResult", "open_store"]


def open_store(settings: BaseSettings) -> Store:
    """The store the settings select (imports only the backend in use)."""
    if settings.get("MONGO_URI"):
        from newscrawler.storage.mongo import MongoStore

        return MongoStore.from_settings(settings)
    from newscrawler.storage.sqlite import SqliteStore

    return SqliteStore(settings.get("NEWSCRAWLER_DB"))
