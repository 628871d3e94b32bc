"""The embedded store: SQLite in WAL mode, one transaction per batch."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newscrawler.storage.base import Query, Store, WriteResult, latest_per_id
from newscrawler.storage.documents import from_json, iso, to_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    channel_id INTEGER,
    published_at TEXT,          -- ISO 8601 UTC, comparable as text
    content_hash TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT,
    doc TEXT NOT NULL           -- the article as JSON, item contract field names
);
CREATE INDEX IF NOT EXISTS articles_published_at ON articles (published_at DESC);
CREATE INDEX IF NOT EXISTS articles_channel_published_at ON articles (channel_id, published_at DESC);
CREATE INDEX IF NOT EXISTS articles_source ON articles (source);
"""


# first_seen_at is set on insert only; updated_at on update only.
UPSERT = """
INSERT INTO articles (id, source, channel_id, published_at, content_hash, first_seen_at, doc)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    source = excluded.source, channel_id = excluded.channel_id, published_at = excluded.published_at,
    content_hash = excluded.content_hash, doc = excluded.doc, updated_at = ?
"""


def column_date(value: datetime | None) -> str | None:
    """Fixed-width UTC text, so that text order is time order."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


class SqliteStore(Store):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.description = f"SQLite at {self.path}"
        # Writes may run in a worker thread; the pipeline serializes them.
        self.db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        # Reads (known ids, queries) on a connection of their own: WAL lets them run beside a write.
        self.reader = sqlite3.connect(self.path, timeout=10, check_same_thread=False)

    def write(self, docs: list[dict[str, Any]], now: datetime) -> WriteResult:
        docs = latest_per_id(docs)
        result = WriteResult()
        placeholders = ",".join("?" * len(docs))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            stored = dict(self.db.execute(
                f"SELECT id, content_hash FROM articles WHERE id IN ({placeholders})", [d["id"] for d in docs]
            ).fetchall())
            for doc in docs:
                old_hash = stored.get(doc["id"])
                if old_hash == doc["content_hash"]:
                    result.unchanged += 1
                    continue
                self.db.execute(UPSERT, (doc["id"], doc["source"], doc["channel_id"], column_date(doc["published_at"]),
                                         doc["content_hash"], iso(now), to_json(doc), iso(now)))
                if old_hash is None:
                    result.new += 1
                else:
                    result.updated += 1
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return result

    def known_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = self.reader.execute(f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids)
        return {row[0] for row in rows}

    def query(self, query: Query) -> Iterator[dict[str, Any]]:
        where, params = ["1 = 1"], []
        if query.since:
            where.append("published_at >= ?")
            params.append(column_date(query.since))
        if query.until:
            where.append("published_at < ?")
            params.append(column_date(query.until))
        if query.channel is not None:
            where.append("channel_id = ?")
            params.append(query.channel)
        if query.tag:
            where.append("EXISTS (SELECT 1 FROM json_each(articles.doc, '$.tags') WHERE value = ?)")
            params.append(query.tag)
        sql = (f"SELECT doc, first_seen_at, updated_at FROM articles WHERE {' AND '.join(where)}"
               " ORDER BY published_at DESC, id")
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        for doc, first_seen_at, updated_at in self.reader.execute(sql, params):
            article = from_json(doc)
            article["first_seen_at"] = datetime.fromisoformat(first_seen_at)
            article["updated_at"] = datetime.fromisoformat(updated_at) if updated_at else None
            yield article

    def count(self) -> int:
        return self.reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def close(self) -> None:
        self.reader.close()
        self.db.close()
