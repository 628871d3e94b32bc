"""The embedded store: SQLite in WAL mode, one durable transaction per batch."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newscrawler.storage.base import (Query, Rejected, Store, StoreError, StoreGone, WriteResult, chunked,
                                      latest_per_id, newer_or_same)
from newscrawler.storage.causes import cause
from newscrawler.storage.documents import from_json, iso, to_json
from newscrawler.storage.reading import read_document, stored_date
from newscrawler.storage.upgrade import ChannelNames, channel_names

logger = logging.getLogger(__name__)

# PRAGMA user_version of a database whose table, indexes and documents are as this module
# writes them; older ones are migrated when they open (migrate).
SCHEMA_VERSION = 1

# channel_id has no declared type, hence no type affinity: an integer id is stored and compared
# as an integer and a word as text, so 1 never matches "1" (an INTEGER column would store the
# word "1" as 1, and compare a text "1" equal to it).
TABLE = """
CREATE TABLE {name} (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    channel_id,                 -- int or text, as the source profile types it (see above)
    published_at TEXT,          -- ISO 8601 UTC, comparable as text
    content_hash TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT,
    doc TEXT NOT NULL,          -- the article as JSON, item contract field names
    crawled_at TEXT             -- fixed-width UTC: the newest crawl wins
)
"""
COLUMNS = "id, source, channel_id, published_at, content_hash, first_seen_at, updated_at, doc, crawled_at"
# Newest first by date, within a source, within a source's channel, within a channel id alone.
INDEXES = """
CREATE INDEX IF NOT EXISTS articles_published_at ON articles (published_at DESC);
CREATE INDEX IF NOT EXISTS articles_source_published_at ON articles (source, published_at DESC);
CREATE INDEX IF NOT EXISTS articles_source_channel_published_at ON articles (source, channel_id, published_at DESC);
CREATE INDEX IF NOT EXISTS articles_channel_published_at ON articles (channel_id, published_at DESC);
DROP INDEX IF EXISTS articles_source;
"""

# first_seen_at is set on insert only; updated_at on update only. The WHERE repeats the
# newest-wins rule the caller applied, so that no statement can ever move an article back in time.
UPSERT = """
INSERT INTO articles (id, source, channel_id, published_at, content_hash, first_seen_at, doc, crawled_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    source = excluded.source, channel_id = excluded.channel_id, published_at = excluded.published_at,
    content_hash = excluded.content_hash, doc = excluded.doc, crawled_at = excluded.crawled_at, updated_at = ?
WHERE articles.crawled_at IS NULL OR articles.crawled_at <= excluded.crawled_at
"""

SEEN_AGAIN = "UPDATE articles SET crawled_at = ?, doc = json_set(doc, '$.crawled_at', ?) WHERE id = ?"

# Well under SQLite's bound-variable limit (999 on old builds).
LOOKUP_CHUNK = 500
# Seconds a connection waits for another process's lock, at open and on every write.
LOCK_TIMEOUT = 10.0
# WAL: a commit is appended to the -wal file, readers run beside the writer. synchronous=FULL:
# every commit fsyncs the WAL before it returns, so a committed (and counted) batch survives a
# killed process and a power loss alike; NORMAL would let a power loss take the last commits.
JOURNAL_MODE, SYNCHRONOUS = "WAL", "FULL"

# A document the statement could not take (text UTF-8 cannot encode, an integer beyond 64 bits,
# a constraint), caught around the statement alone; the batch goes on without it. Any other
# error, these ones too when raised before the statement, is a bug, raised (isolation.py).
DOCUMENT_ERRORS = (UnicodeEncodeError, OverflowError, sqlite3.IntegrityError, sqlite3.DataError)


def column_date(value: datetime | None) -> str | None:
    """Fixed-width UTC text, so that text order is time order (the year zero-padded: strftime's %Y
    is not below 1000 on glibc).

    >>> column_date(datetime(999, 1, 2, tzinfo=timezone.utc))
    '0999-01-02T00:00:00Z'
    """
    if not value:
        return None
    value = value.astimezone(timezone.utc)
    return f"{value.year:04d}-{value:%m-%dT%H:%M:%S}Z"


def crawl_time(value: datetime | None) -> str | None:
    """``crawled_at`` as fixed-width UTC text with microseconds (the year zero-padded)."""
    if not value:
        return None
    value = value.astimezone(timezone.utc)
    return f"{value.year:04d}-{value:%m-%dT%H:%M:%S.%f}Z"


def file_identity(status: os.stat_result) -> tuple[int, int]:
    """What names one file whatever its path: device and inode."""
    return status.st_dev, status.st_ino


def select(columns: str, query: Query) -> tuple[str, list[Any]]:
    """The statement reading ``columns`` of what ``query`` selects, newest first, and its parameters."""
    where, params = ["1 = 1"], []
    if query.since:
        where.append("published_at >= ?")
        params.append(column_date(query.since))
    if query.until:
        where.append("published_at < ?")
        params.append(column_date(query.until))
    if query.source is not None:
        where.append("source = ?")
        params.append(query.source)
    if query.channel is not None:  # typed: 1 matches the number only, "1" the word only
        where.append("channel_id = ?")
        params.append(query.channel)
    if query.tag:
        where.append("EXISTS (SELECT 1 FROM json_each(articles.doc, '$.tags') WHERE value = ?)")
        params.append(query.tag)
    sql = f"SELECT {columns} FROM articles WHERE {' AND '.join(where)} ORDER BY published_at DESC, id"
    if query.limit is not None:
        sql += " LIMIT ?"
        params.append(query.limit)
    return sql, params


def read_articles(db: sqlite3.Connection, query: Query, names: ChannelNames,
                  description: str) -> Iterator[dict[str, Any]]:
    """Stored documents (contract fields plus bookkeeping) that ``query`` selects, through ``db``."""
    rows = 0
    try:
        for row_id, doc, first_seen_at, updated_at in db.execute(*select("id, doc, first_seen_at, updated_at",
                                                                         query)):
            rows += 1
            article = read_document(row_id, doc, names)
            if article is None:
                continue
            article["first_seen_at"] = stored_date(first_seen_at, f"article {row_id!r}")
            article["updated_at"] = stored_date(updated_at, f"article {row_id!r}")
            yield article
    except sqlite3.Error as exc:
        raise StoreError(f"{description}: reading failed after {rows} articles: {cause(exc)}") from exc


class SqliteStore(Store):
    durability = (f"SQLite journal_mode={JOURNAL_MODE}, synchronous={SYNCHRONOUS}: a batch counts once its "
                  "commit is on disk")

    def __init__(self, path: str | Path, create: bool = True, names: ChannelNames | None = None) -> None:
        self.path = Path(path)
        self.description = f"SQLite at {self.path}"
        # Channel names for documents from before ``channel`` (storage.upgrade).
        self.names = channel_names() if names is None else names
        if not create and not self.path.is_file():
            raise StoreError(f"{self.description}: no such database file (check NEWSCRAWLER_DB)")
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # Writes may run in a worker thread; the pipeline serializes them.
            self.db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT, check_same_thread=False, isolation_level=None)
            # The file the connection opened (sqlite3 shows no descriptor to fstat): taken before
            # anything is written, and checked again before every batch (check_file).
            self.identity = file_identity(os.stat(self.path))
            self.gone: str | None = None
            self._prepare()
            self.check_file()
            # Reads (known ids, queries) on a connection of their own: WAL lets them run beside a write.
            self.reader = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT, check_same_thread=False)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.description} cannot be opened: {cause(exc)}") from exc

    def _prepare(self) -> None:
        """WAL mode and the schema, retried while another process holds the lock.

        When several workers create one new database together, switching to WAL or
        upgrading a read lock answers "database is locked" at once instead of waiting
        for the busy timeout, so the wait is done here.
        """
        deadline = time.monotonic() + LOCK_TIMEOUT
        pause = 0.01
        while True:
            try:
                self.db.execute(f"PRAGMA journal_mode={JOURNAL_MODE}")
                self.db.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
                if self._version() < SCHEMA_VERSION:  # one read on an up-to-date database
                    self._migrate()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.25)

    def _version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        """Create the table, or bring one made by an older version up to date, in one transaction.

        Another process may be migrating too: the version is read again under the write lock.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self._version() < SCHEMA_VERSION:
                columns = {row[1]: row[2] for row in self.db.execute("PRAGMA table_info(articles)")}
                if not columns:
                    self.db.execute(TABLE.format(name="articles"))
                else:
                    self._migrate_table(columns)
                for statement in filter(str.strip, INDEXES.split(";")):
                    self.db.execute(statement)
                if columns:  # with the indexes: each channel's update finds its rows by them
                    self._migrate_documents()
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _migrate_table(self, columns: dict[str, str]) -> None:
        """Tables made before newest-wins lack ``crawled_at``: added, filled from each document.
        Tables made before issue 18 declare ``channel_id`` INTEGER, which turns the word id "1"
        into 1: rebuilt with the column untyped (SQLite cannot change a column's type in place)."""
        if "crawled_at" not in columns:
            self.db.execute("ALTER TABLE articles ADD COLUMN crawled_at TEXT")
            for row_id, doc in self.db.execute("SELECT id, doc FROM articles").fetchall():
                self.db.execute("UPDATE articles SET crawled_at = ? WHERE id = ?",
                                (crawl_time(from_json(doc).get("crawled_at")), row_id))
        if columns.get("channel_id"):
            self.db.execute(TABLE.format(name="articles_migrating"))
            self.db.execute(f"INSERT INTO articles_migrating ({COLUMNS}) SELECT {COLUMNS} FROM articles")
            self.db.execute("DROP TABLE articles")  # its indexes with it
            self.db.execute("ALTER TABLE articles_migrating RENAME TO articles")

    def _migrate_documents(self) -> None:
        """Documents from before ``channel`` (without the field) get their channel's name from their
        source's profile, null when it has none. (A contract field a document lacks otherwise is
        filled in as it is read: storage.upgrade.)"""
        unnamed = "json_type(doc, '$.channel') IS NULL"  # no such field (a JSON null is 'null')
        for source, channels in self.names.items():
            for channel_id, name in channels.items():
                self.db.execute(f"UPDATE articles SET doc = json_set(doc, '$.channel', ?) "
                                f"WHERE source = ? AND channel_id = ? AND {unnamed}", (name, source, channel_id))
        self.db.execute(f"UPDATE articles SET doc = json_set(doc, '$.channel', NULL) WHERE {unnamed}")

    def check_file(self) -> None:
        """StoreGone unless the path still names the file this store opened.

        A database file deleted (or replaced by another file) under an open connection takes every
        later write with it: SQLite writes on into the unlinked file, which is gone once it closes.
        Bytes copied into the same file keep its device and inode: that is not seen here.
        """
        if self.gone is None:
            try:
                now = file_identity(os.stat(self.path))
            except FileNotFoundError:
                now = None
            if now == self.identity:
                return
            self.gone = (f"{self.description}: the database file was {'replaced' if now else 'deleted'} while open; "
                         "nothing more is written to it")
            self._let_go()
        raise StoreGone(self.gone)

    def _let_go(self) -> None:
        """Empty this store's WAL into the file it opened, and close.

        The -wal and -shm files go by the path's name: a database put at that path (a backup
        restored over it) would otherwise read this store's last commits as its own.
        """
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            logger.warning("%s: could not empty the WAL of the database that vanished: %s", self.description,
                           cause(exc))
        self.close()

    def write(self, docs: list[dict[str, Any]], now: datetime) -> WriteResult:
        self.check_file()
        docs, older = latest_per_id(docs)
        result = WriteResult(stale=older)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            stored: dict[str, tuple[str, str | None]] = {}
            for ids in chunked([d["id"] for d in docs], LOOKUP_CHUNK):
                rows = self.db.execute(
                    f"SELECT id, content_hash, crawled_at FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids)
                stored.update((row_id, (content_hash, crawled)) for row_id, content_hash, crawled in rows)
            for doc in docs:
                self._write_one(doc, stored.get(doc["id"]), now, result)
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return result

    def _write_one(self, doc: dict[str, Any], stored: tuple[str, str | None] | None, now: datetime,
                   result: WriteResult) -> None:
        crawled = crawl_time(doc.get("crawled_at"))
        if stored is not None and not newer_or_same(stored[1], crawled):
            result.stale += 1
            return
        if stored is not None and stored[0] == doc["content_hash"]:
            result.unchanged += 1
            if crawled is not None and stored[1] != crawled:
                # Same content seen later: only crawled_at moves on, so no older copy can win after it.
                self.execute_one(doc, SEEN_AGAIN, (crawled, iso(doc["crawled_at"]), doc["id"]), result)
            return
        # One statement: SQLite undoes it alone when it fails, the rest of the batch stays.
        if not self.execute_one(doc, UPSERT, (doc["id"], doc["source"], doc["channel_id"],
                                              column_date(doc["published_at"]), doc["content_hash"], iso(now),
                                              to_json(doc), crawled, iso(now)), result):
            return
        if stored is None:
            result.new += 1
        else:
            result.updated += 1

    def execute_one(self, doc: dict[str, Any], statement: str, values: tuple[Any, ...], result: WriteResult) -> bool:
        """Run one document's statement; False, with the document rejected, when SQLite cannot take it."""
        try:
            self.db.execute(statement, values)
        except DOCUMENT_ERRORS as exc:
            result.rejected.append(Rejected(doc, type(exc).__name__, f"{type(exc).__name__}: {exc}"))
            return False
        return True

    def _rollback(self) -> None:
        """Undo the batch; a failing ROLLBACK (none active after disk full) must not hide the first error."""
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            logger.debug("ROLLBACK on %s failed too: %s", self.description, exc)

    def known_ids(self, ids: list[str]) -> set[str]:
        known: set[str] = set()
        for chunk in chunked(ids, LOOKUP_CHUNK):
            rows = self.reader.execute(f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            known.update(row[0] for row in rows)
        return known

    def query(self, query: Query) -> Iterator[dict[str, Any]]:
        yield from read_articles(self.reader, query, self.names, self.description)

    def count(self) -> int:
        return self.reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def close(self) -> None:
        if hasattr(self, "reader"):  # not yet opened when the file vanished while opening
            self.reader.close()
        self.db.close()
