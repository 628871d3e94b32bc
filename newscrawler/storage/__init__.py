"""Article storage: MongoDB when MONGO_URI is set, else embedded SQLite; same semantics."""

from __future__ import annotations

from pathlib import Path

from pymongo.errors import PyMongoError
from pymongo.uri_parser import split_hosts
from scrapy.settings import BaseSettings

from newscrawler.errors import ConfigError
from newscrawler.storage.base import Query, Store, StoreError, WriteResult
from newscrawler.storage.mongouri import split

__all__ = ["Query", "Store", "StoreError", "WriteResult", "check_store_settings", "open_store", "store_target"]


def open_store(settings: BaseSettings, create: bool = True) -> Store:
    """The store the settings select (imports only the backend in use).

    Readers (``query``, exports) pass ``create=False``: a mistyped SQLite path is then a
    StoreError naming it, not a new empty database.
    """
    from newscrawler.sources.registry import sources_dir
    from newscrawler.storage.upgrade import channel_names

    names = channel_names(sources_dir(settings))  # the profiles' channels, for older documents
    if settings.get("MONGO_URI"):
        from newscrawler.storage.mongo import MongoStore

        return MongoStore.from_settings(settings, create, names)
    from newscrawler.storage.sqlite import SqliteStore

    return SqliteStore(settings.get("NEWSCRAWLER_DB"), create=create, names=names)


def check_store_settings(settings: BaseSettings, create: bool = True) -> None:
    """ConfigError for a bad setting of the store the settings select, without opening it."""
    if settings.get("MONGO_URI"):
        from newscrawler.storage.mongo import MongoStore

        MongoStore.check_settings(settings, create)


def store_target(settings: BaseSettings) -> str:
    """Where the settings store articles, the same for every process writing there, never a credential.

    MongoDB: the URI's hosts (sorted, as pymongo splits them), database and collection; SQLite:
    the database file's resolved path.

    >>> store_target(BaseSettings({"MONGO_URI": "mongodb://u:p%40ss@DB2:27018,db1/x?tls=true",
    ...                            "MONGO_DATABASE": "news", "MONGO_COLLECTION": "articles"}))
    'mongodb://db1:27017,db2:27018/news.articles'
    """
    uri = settings.get("MONGO_URI")
    if not uri:
        return f"sqlite:{Path(settings.get('NEWSCRAWLER_DB')).resolve()}"
    scheme, _, rest = split(uri)  # the user info (up to the last @) goes first: never part of the target
    hosts = rest.partition("?")[0].partition("/")[0]
    try:
        nodes = split_hosts(hosts, default_port=None if scheme == "mongodb+srv" else 27017)
    except (PyMongoError, ValueError):  # its words may quote the user info: not shown
        raise ConfigError("MONGO_URI does not parse: no usable host list") from None
    where = ",".join(sorted(host if port is None else f"{host}:{port}" for host, port in nodes))
    return f"{scheme}://{where}/{settings.get('MONGO_DATABASE')}.{settings.get('MONGO_COLLECTION')}"
