"""The backends the shared store suite runs against."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newscrawler.storage.mongo import MongoStore
from newscrawler.storage.sqlite import SqliteStore

BACKENDS = ["sqlite", "mongomock", "mongodb"]


def make_store(kind: str, tmp_path: Path) -> MongoStore | SqliteStore:
    if kind == "sqlite":
        return SqliteStore(tmp_path / "store.sqlite3")
    if kind == "mongomock":
        import mongomock_ng

        return MongoStore(mongomock_ng.MongoClient(tz_aware=True), "newscrawler", "articles", "mongomock")
    uri = os.environ.get("MONGO_TEST_URI")
    if not uri:
        pytest.skip("MONGO_TEST_URI is not set: no MongoDB server to test against")
    from pymongo import MongoClient

    client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=3000)
    database = f"newscrawler_test_{os.getpid()}_{tmp_path.name}"[:60]
    store = MongoStore(client, database, "articles", "MONGO_TEST_URI")
    store.drop_after = database  # type: ignore[attr-defined]
    return store


def cleanup(store: Any) -> None:
    if getattr(store, "drop_after", None):
        store.client.drop_database(store.drop_after)
    store.close()


class WriteCounter:
    """Counts real writes: SQLite row changes, or MongoDB bulk_write calls."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls = 0
        if isinstance(store, MongoStore):
            original = store.collection.bulk_write

            def counting(*args: Any, **kwargs: Any) -> Any:
                self.calls += 1
                return original(*args, **kwargs)

            store.collection.bulk_write = counting  # type: ignore[method-assign]

    def __call__(self) -> int:
        if isinstance(self.store, SqliteStore):
            return self.store.db.total_changes
        return self.calls


def store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    store = make_store(request.param, tmp_path)
    yield store
    cleanup(store)
