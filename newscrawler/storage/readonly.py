"""Reading the store, never writing it: what ``scrapy serve`` asks of SQLite and MongoDB.

SQLite is opened ``mode=ro`` (SQLite itself refuses any write), and a database an older version
wrote is reported (``StoreNeedsUpgrade``) rather than migrated: the next crawl upgrades it.
MongoDB is read with ``find`` and one ``$group`` aggregation (no ``$out``/``$merge``), each
bounded by ``maxTimeMS``. Every read is bounded in rows and time.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pymongo import DESCENDING, MongoClient
from pymongo.errors import PyMongoError
from scrapy.settings import BaseSettings

from newscrawler.checks import positive_int, setting
from newscrawler.errors import ConfigError
from newscrawler.storage.base import Query, StoreError
from newscrawler.storage.causes import cause
from newscrawler.storage.mongo import MongoStore, find, mongo_cause
from newscrawler.storage.mongouri import redact, scrub
from newscrawler.storage.reading import read_document, stored_date
from newscrawler.storage.sqlite import SCHEMA_VERSION, file_identity, select
from newscrawler.storage.upgrade import ChannelNames

logger = logging.getLogger(__name__)


class StoreNeedsUpgrade(StoreError):
    """A store an older version wrote: a reader may not migrate it (the next crawl does)."""


@dataclass(frozen=True)
class Stamp:
    """What tells one stored version of an article from another, without reading its body."""

    id: str
    content_hash: str
    changed_at: datetime | None  # when the store last took a new version (first seen, or updated)


@dataclass(frozen=True)
class ChannelSummary:
    source: str
    channel_id: int | str | None
    count: int
    newest: datetime | None  # the newest article's publication time
    crawled: datetime | None  # the last crawl that stored or saw one of its articles


class StoreReader(ABC):
    description: str

    @abstractmethod
    def stamps(self, query: Query) -> list[Stamp]:
        """The versions of what ``query`` selects, newest first (a bounded query: ``query.limit``)."""

    @abstractmethod
    def articles(self, query: Query) -> Iterator[tuple[Stamp, dict[str, Any] | None]]:
        """What ``query`` selects, one row at a time: each row's stamp and its document, None for a
        row no reader can read (skipped with a warning naming it: one bad row spoils no feed)."""

    @abstractmethod
    def overview(self) -> list[ChannelSummary]:
        """Articles per source and channel, newest publication and last crawl."""

    @abstractmethod
    def last_crawl(self) -> datetime | None:
        """The newest crawl time in the store; StoreError when the store does not answer."""

    def version(self) -> Hashable | None:
        """A token that stays the same while the store's data does, when the store has a cheap one;
        None otherwise (then every answer asks the store)."""
        return None

    @abstractmethod
    def close(self) -> None: ...


class SqliteReader(StoreReader):
    """One read-only connection per thread, opened again when the file at the path changes."""

    def __init__(self, path: str | Path, names: ChannelNames, timeout: float) -> None:
        self.path = Path(path)
        self.description = f"SQLite at {self.path}"
        self.names = names
        self.timeout = timeout
        self.local = threading.local()  # each thread's connection: .held = (file identity, connection)
        self.watch = SimpleNamespace(held=None)  # the one connection version() reads, whichever thread asks
        self.watch_lock = threading.Lock()
        self.lock = threading.Lock()
        self.opened: list[sqlite3.Connection] = []

    def _connect(self, slot: Any = None) -> sqlite3.Connection:
        slot = self.local if slot is None else slot
        try:
            identity = file_identity(os.stat(self.path))
        except FileNotFoundError:
            raise StoreError(f"{self.description}: no such database file (check NEWSCRAWLER_DB)") from None
        except OSError as exc:
            raise StoreError(f"{self.description} cannot be read: {cause(exc)}") from exc
        held = getattr(slot, "held", None)
        if held is not None and held[0] == identity:
            db = held[1]
        else:
            if held is not None:
                # Forgotten before the new file is tried: should it fail, a closed connection must never
                # be taken for the file's when the same identity comes back (a rename back keeps the inode).
                slot.held = None
                self._drop(held[1])
            try:
                # mode=ro: SQLite refuses every write on this connection, whatever asks for one.
                db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.timeout,
                                     check_same_thread=False)
                version = db.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise StoreError(f"{self.description} cannot be read: {cause(exc)}") from exc
            if version < SCHEMA_VERSION:
                db.close()
                raise StoreNeedsUpgrade(f"{self.description} was written by an older version (schema {version}): "
                                        "run a crawl (or scrapy replay) once to upgrade it")
            with self.lock:
                self.opened.append(db)
            slot.held = (identity, db)
        # Bounded time: SQLite asks this every 10000 steps, and stops the statement once it says so.
        deadline = time.monotonic() + self.timeout
        try:
            db.set_progress_handler(lambda: time.monotonic() > deadline, 10000)
        except sqlite3.Error as exc:  # a connection closed under us: forgotten, the next read opens another
            slot.held = None
            raise StoreError(f"{self.description} cannot be read: {cause(exc)}") from exc
        return db

    def _drop(self, db: sqlite3.Connection) -> None:
        with self.lock:
            if db in self.opened:
                self.opened.remove(db)
        db.close()

    def _read(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[Any]:
        db = self._connect()
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.description}: reading failed: {cause(exc)}") from exc

    def stamps(self, query: Query) -> list[Stamp]:
        rows = self._read(*select("id, content_hash, first_seen_at, updated_at", query))
        return [Stamp(row_id, content_hash, stored_date(updated or first, f"article {row_id!r}"))
                for row_id, content_hash, first, updated in rows]

    def articles(self, query: Query) -> Iterator[tuple[Stamp, dict[str, Any] | None]]:
        db = self._connect()
        rows = 0
        try:  # one row at a time: a feed's reader keeps what its byte budget takes, not every row
            for row_id, content_hash, first, updated, doc in db.execute(
                    *select("id, content_hash, first_seen_at, updated_at, doc", query)):
                rows += 1
                stamp = Stamp(row_id, content_hash, stored_date(updated or first, f"article {row_id!r}"))
                yield stamp, read_document(row_id, doc, self.names)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.description}: reading failed after {rows} articles: {cause(exc)}") from exc

    def overview(self) -> list[ChannelSummary]:
        rows = self._read("SELECT source, channel_id, COUNT(*), MAX(published_at), MAX(crawled_at) FROM articles "
                          "GROUP BY source, channel_id ORDER BY source, channel_id")
        return [ChannelSummary(source, channel, count, stored_date(newest, f"source {source!r}"),
                               stored_date(crawled, f"source {source!r}"))
                for source, channel, count, newest, crawled in rows]

    def last_crawl(self) -> datetime | None:
        return stored_date(self._read("SELECT MAX(crawled_at) FROM articles")[0][0], "the newest crawled_at")

    def version(self) -> Hashable | None:
        # PRAGMA data_version changes whenever another connection commits (this one never writes).
        # Values of different connections are not comparable: one connection answers, and is in the token.
        with self.watch_lock:
            db = self._connect(self.watch)
            try:
                return id(db), self.watch.held[0], db.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise StoreError(f"{self.description}: reading failed: {cause(exc)}") from exc

    def close(self) -> None:
        with self.lock:
            opened, self.opened = self.opened, []
        for db in opened:
            db.close()


def mongo_stamp(doc: dict[str, Any]) -> Stamp:
    """A MongoDB document's stamp; the pipelines' documents hold text ids and dates, another
    program's may not (an unreadable date is none, with a warning)."""
    changed = doc.get("updated_at") or doc.get("first_seen_at")
    return Stamp(str(doc["_id"]), str(doc.get("content_hash", "")), stored_date(changed, f"article {doc['_id']!r}"))


class MongoReader(StoreReader):
    def __init__(self, client: Any, database: str, collection: str, where: str, names: ChannelNames,
                 timeout: float, uri: str = "") -> None:
        self.client = client
        self.collection = client[database][collection]
        self.description = f"MongoDB at {where} ({database}.{collection})"
        self.names = names
        self.max_time_ms = int(timeout * 1000)
        self.uri = uri  # only to scrub the driver's words of it

    @classmethod
    def from_settings(cls, settings: BaseSettings, names: ChannelNames, timeout: float) -> MongoReader:
        uri = settings.get("MONGO_URI")
        MongoStore.check_settings(settings, create=False)
        try:
            client = MongoClient(uri, tz_aware=True, tzinfo=timezone.utc,
                                 serverSelectionTimeoutMS=setting(settings, "MONGO_SERVER_SELECTION_TIMEOUT_MS",
                                                                  positive_int),
                                 connectTimeoutMS=setting(settings, "MONGO_CONNECT_TIMEOUT_MS", positive_int),
                                 socketTimeoutMS=int(timeout * 1000) + 1000)
        except (PyMongoError, ValueError) as exc:
            raise ConfigError(f"MONGO_URI {redact(uri)} is not usable: {type(exc).__name__}: "
                              f"{scrub(str(exc), uri)}") from None
        return cls(client, settings.get("MONGO_DATABASE"), settings.get("MONGO_COLLECTION"), redact(uri), names,
                   timeout, uri)

    def _failed(self, exc: PyMongoError) -> StoreError:
        return StoreError(f"{self.description}: reading failed: {scrub(mongo_cause(exc), self.uri)}")

    def stamps(self, query: Query) -> list[Stamp]:
        projection = {"_id": 1, "content_hash": 1, "first_seen_at": 1, "updated_at": 1}
        try:
            docs = list(find(self.collection, query, projection, self.max_time_ms))
        except PyMongoError as exc:
            raise self._failed(exc) from None
        return [mongo_stamp(d) for d in docs]

    def articles(self, query: Query) -> Iterator[tuple[Stamp, dict[str, Any] | None]]:
        try:  # one document at a time (the driver fetches in batches)
            for doc in find(self.collection, query, None, self.max_time_ms):
                stamp = mongo_stamp(doc)
                yield stamp, read_document(doc["_id"], {k: v for k, v in doc.items() if k != "_id"}, self.names)
        except PyMongoError as exc:
            raise self._failed(exc) from None

    def overview(self) -> list[ChannelSummary]:
        pipeline = [
            {"$group": {"_id": {"source": "$source", "channel_id": "$channel_id"}, "count": {"$sum": 1},
                        "newest": {"$max": "$published_at"}, "crawled": {"$max": "$crawled_at"}}},
        ]
        try:
            groups = list(self.collection.aggregate(pipeline, maxTimeMS=self.max_time_ms))
        except PyMongoError as exc:
            raise self._failed(exc) from None
        summaries = [ChannelSummary(g["_id"].get("source"), g["_id"].get("channel_id"), g["count"],
                                    stored_date(g.get("newest"), f"source {g['_id'].get('source')!r}"),
                                    stored_date(g.get("crawled"), f"source {g['_id'].get('source')!r}"))
                     for g in groups]
        return sorted(summaries, key=lambda s: (str(s.source), str(s.channel_id)))

    def last_crawl(self) -> datetime | None:
        try:
            docs = list(self.collection.find({}, {"_id": 0, "crawled_at": 1}).sort("crawled_at", DESCENDING)
                        .limit(1).max_time_ms(self.max_time_ms))
        except PyMongoError as exc:
            raise self._failed(exc) from None
        return stored_date(docs[0].get("crawled_at"), "the newest crawled_at") if docs else None

    def close(self) -> None:
        self.client.close()


def open_reader(settings: BaseSettings, timeout: float) -> StoreReader:
    """A reader of the store the settings select; nothing is opened (or created) until it reads."""
    from newscrawler.sources.registry import sources_dir
    from newscrawler.storage.upgrade import channel_names

    names = channel_names(sources_dir(settings))
    if settings.get("MONGO_URI"):
        return MongoReader.from_settings(settings, names, timeout)
    return SqliteReader(settings.get("NEWSCRAWLER_DB"), names, timeout)
