"""A 趣头条 store written before issue 18, opened and queried by today's code.

The stores in tests/fixtures/old-store were written by the code of commit 7d2c1ba (see the
README there): a SQLite file, and each MongoDB document as that store wrote it. Opened now, they
keep their ids and content hashes, gain ``channel`` from the 趣头条 profile, answer queries by
channel, date and tag as they did, and a crawl of the same pages stores nothing again.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from pymongo import MongoClient

from newscrawler.replica.server import ReplicaServer
from newscrawler.sources.registry import load_profiles
from newscrawler.storage import Query
from newscrawler.storage.mongo import SCHEMA_VERSION as MONGO_SCHEMA_VERSION
from newscrawler.storage.mongo import MongoStore
from newscrawler.storage.sqlite import SCHEMA_VERSION, SqliteStore
from tests.conftest import FIXTURES
from tests.crawling import crawl
from tests.stores import BACKENDS, mongo_store

OLD = FIXTURES / "old-store"
CHANNELS = load_profiles().by_name["qutoutiao"].listing.channels
# What the old crawl was asked for (tests/fixtures/old-store/make.py): the same, crawled again.
OLD_CRAWL = {"cids": "1,2,6", "pages": "2", "limit": "10"}


@dataclass(frozen=True)
class OldRow:
    id: str
    channel_id: int
    published_at: str  # as the old SQLite column holds it: fixed-width UTC text
    tags: tuple[str, ...]
    content_hash: str


def old_rows() -> list[OldRow]:
    """The fixture's articles, read from the old file as the old code wrote it (never opened by a store)."""
    with sqlite3.connect(f"file:{OLD / 'old.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT id, channel_id, published_at, content_hash, doc FROM articles").fetchall()
    return [OldRow(i, c, p, tuple(json.loads(doc)["tags"]), h) for i, c, p, h, doc in rows]


def old_answer(rows: list[OldRow], channel: int | None = None, tag: str | None = None, since: str | None = None,
               until: str | None = None) -> list[str]:
    """What the old code's query gave: the filters, newest first, then by id."""
    kept = [r for r in rows if (channel is None or r.channel_id == channel) and (tag is None or tag in r.tags)
            and (since is None or r.published_at >= since) and (until is None or r.published_at < until)]
    return [r.id for r in sorted(sorted(kept, key=lambda r: r.id), key=lambda r: r.published_at, reverse=True)]


def iso_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def queries(rows: list[OldRow]) -> list[tuple[Query, list[str]]]:
    """Queries by channel, date and tag, with the old code's answer to each."""
    dates = sorted(r.published_at for r in rows)
    since, until = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    return [
        (Query(), old_answer(rows)),
        (Query(channel=1), old_answer(rows, channel=1)),
        (Query(channel=6), old_answer(rows, channel=6)),
        (Query(source="qutoutiao", channel=2), old_answer(rows, channel=2)),
        (Query(tag="娱乐"), old_answer(rows, tag="娱乐")),
        (Query(tag="体育", channel=6), old_answer(rows, channel=6, tag="体育")),
        (Query(since=iso_utc(since)), old_answer(rows, since=since)),
        (Query(since=iso_utc(since), until=iso_utc(until), channel=1), old_answer(rows, 1, None, since, until)),
        (Query(channel="1"), []),  # the word "1" is no channel of 趣头条's
        (Query(source="zaker"), []),
    ]


def old_sqlite(tmp_path: Path) -> Path:
    db = tmp_path / "old.sqlite3"
    shutil.copyfile(OLD / "old.sqlite3", db)
    return db


def old_mongo(uri: str, database: str) -> list[dict[str, Any]]:
    """The old documents, inserted as the old MongoStore wrote them."""
    docs = json_util.loads((OLD / "old-mongo.json").read_text(encoding="utf-8"))
    with MongoClient(uri) as client:
        client[database].articles.insert_many(docs)
    return docs


def test_the_fixture_is_from_before_the_change() -> None:
    rows = old_rows()
    assert len(rows) == 52 and {r.channel_id for r in rows} == {1, 2, 6}
    with sqlite3.connect(f"file:{OLD / 'old.sqlite3'}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
        assert dict(db.execute("SELECT name, type FROM pragma_table_info('articles')"))["channel_id"] == "INTEGER"
        assert db.execute("SELECT count(*) FROM articles WHERE json_type(doc, '$.channel') IS NOT NULL").fetchone() == (0,)
    docs = json_util.loads((OLD / "old-mongo.json").read_text(encoding="utf-8"))
    assert sorted(d["_id"] for d in docs) == sorted(r.id for r in rows) and not any("channel" in d for d in docs)


def test_old_sqlite_store_opens_migrated_and_answers_as_before(tmp_path: Path) -> None:
    rows = old_rows()
    db = old_sqlite(tmp_path)
    store = SqliteStore(db, create=False)  # a reader (query, export) opens it first
    try:
        for query, expected in queries(rows):
            assert [doc["id"] for doc in store.query(query)] == expected, query
        stored = {doc["id"]: doc for doc in store.query(Query())}
    finally:
        store.close()
    assert set(stored) == {r.id for r in rows}
    for row in rows:
        doc = stored[row.id]
        assert (doc["channel_id"], doc["channel"]) == (row.channel_id, CHANNELS[row.channel_id])
        assert doc["content_hash"] == row.content_hash and doc["updated_at"] is None  # content untouched
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert dict(raw.execute("SELECT name, type FROM pragma_table_info('articles')"))["channel_id"] == ""
        # The migration wrote the names into the documents: a plain sqlite3 reader sees them too.
        names = dict(raw.execute("SELECT channel_id, json_extract(doc, '$.channel') FROM articles GROUP BY 1"))
        assert names == {1: "热点", 2: "搞笑", 6: "娱乐"}
        indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        assert indexes == {"articles_published_at", "articles_source_published_at",
                           "articles_source_channel_published_at", "articles_channel_published_at"}
    # Up to date, it opens with one read: no write, no wait for the write lock (a crawl writing
    # beside it holds that lock; a store that took it to check would wait, then fail).
    with sqlite3.connect(db, isolation_level=None) as writer:
        writer.execute("BEGIN IMMEDIATE")
        again = SqliteStore(db)
        try:
            assert again.db.total_changes == 0 and again.count() == len(rows)
        finally:
            again.close()
            writer.execute("ROLLBACK")


def test_old_mongodb_store_opens_migrated_and_answers_as_before(mongo_uri: str, mongo_db: str) -> None:
    rows = old_rows()
    old = old_mongo(mongo_uri, mongo_db)
    with MongoClient(mongo_uri, tz_aware=True) as client:
        reader = MongoStore(client, mongo_db, "articles", "the test server", indexes=False)
        # A reader may not write: it reads the old documents as migrated, and leaves them as they are.
        assert [(d["id"], d["channel"]) for d in reader.query(Query(channel=2))] == [
            (i, "搞笑") for i in old_answer(rows, channel=2)]
        assert client[mongo_db].articles.count_documents({"channel": {"$exists": True}}) == 0
    writer = mongo_store(mongo_uri, mongo_db)  # the first writer migrates
    try:
        for query, expected in queries(rows):
            assert [doc["id"] for doc in writer.query(query)] == expected, query
        assert writer.commands.commands["update"] > 0
    finally:
        writer.close()
    with MongoClient(mongo_uri, tz_aware=True) as client:
        collection = client[mongo_db].articles
        # Queried the old way, with pymongo: the same documents match.
        assert sorted(d["_id"] for d in collection.find({"channel_id": 1})) == sorted(
            d["_id"] for d in old if d["channel_id"] == 1)
        for doc in collection.find():
            before = next(d for d in old if d["_id"] == doc["_id"])
            assert doc["channel"] == CHANNELS[doc["channel_id"]]
            assert {k: v for k, v in doc.items() if k != "channel"} == {
                k: v.replace(tzinfo=doc[k].tzinfo) if isinstance(v, datetime) else v for k, v in before.items()}
        assert client[mongo_db]["articles.schema"].find_one()["version"] == MONGO_SCHEMA_VERSION
        assert {"source_1_channel_id_1_published_at_-1", "source_1_published_at_-1", "tags_1"} <= set(
            collection.index_information())
    again = mongo_store(mongo_uri, mongo_db)  # up to date: one lookup, no update
    try:
        assert again.commands.commands["update"] == 0 and again.commands.commands["find"] == 1
    finally:
        again.close()


@pytest.mark.parametrize("kind", BACKENDS)
def test_old_store_is_not_crawled_again(kind: str, via_replica: ReplicaServer, tmp_path: Path,
                                        request: pytest.FixtureRequest) -> None:
    """The incremental skip finds the old articles by their ids: none is fetched or stored again."""
    settings: dict[str, Any] = {"DEADLETTER_DIR": str(tmp_path / "dl"), "MONGO_URI": "",
                                "NEWSCRAWLER_DB": str(old_sqlite(tmp_path))}
    if kind == "mongodb":
        settings.update(MONGO_URI=request.getfixturevalue("mongo_uri"), MONGO_DATABASE=request.getfixturevalue("mongo_db"))
        old_mongo(settings["MONGO_URI"], settings["MONGO_DATABASE"])
    stats = crawl(settings, **OLD_CRAWL).stats
    assert stats["incremental/skipped"] >= 30
    # No stored article reached the store stage again (only the two that never stored: a 404 and
    # an empty body, tried again as every crawl does).
    assert stats.get("item_scraped_count", 0) == 0 and stats.get("store/new", 0) == 0
    assert stats["monitors/result"] == "passed"


def test_a_store_from_before_newest_wins_is_migrated_too(tmp_path: Path) -> None:
    """Older still: no crawled_at column either. It is added (from each document) on the way."""
    db = old_sqlite(tmp_path)
    with sqlite3.connect(db) as raw:  # the table as it was before crawled_at (commit fc2ce86)
        raw.executescript("""
            CREATE TABLE older (id TEXT PRIMARY KEY, source TEXT NOT NULL, channel_id INTEGER, published_at TEXT,
                                content_hash TEXT NOT NULL, first_seen_at TEXT NOT NULL, updated_at TEXT, doc TEXT NOT NULL);
            INSERT INTO older SELECT id, source, channel_id, published_at, content_hash, first_seen_at, updated_at, doc
                FROM articles;
            DROP TABLE articles;
            ALTER TABLE older RENAME TO articles;
        """)
    store = SqliteStore(db)
    try:
        docs = list(store.query(Query(channel=6)))
        assert [d["id"] for d in docs] == old_answer(old_rows(), channel=6)
        assert {d["channel"] for d in docs} == {"娱乐"}
    finally:
        store.close()
    with sqlite3.connect(db) as raw:
        crawled = raw.execute("SELECT crawled_at, json_extract(doc, '$.crawled_at') FROM articles").fetchall()
    assert crawled and all(column and column[:19] == doc[:19] for column, doc in crawled)


@pytest.mark.parametrize("with_profiles", [True, False])
def test_mongodb_migration_names_channels_by_source_and_typed_id(with_profiles: bool, mongo_uri: str, mongo_db: str,
                                                                 tmp_path: Path) -> None:
    """One pipeline update: the number 1 and the word "1" of different sources get their own names;
    with no profile to name them (an empty registry), the field is there and null."""
    from newscrawler.storage.upgrade import channel_names
    from tests.sources_sample import write_sources_dir

    lacking = [{"_id": f"{source}:{n}", "id": f"{source}:{n}", "source": source, "channel_id": channel}
               for n, (source, channel) in enumerate([("qutoutiao", 1), ("zaker", 1), ("wordy", "1"), ("wordy", 1),
                                                      ("dockone", None)])]
    with MongoClient(mongo_uri) as client:
        client[mongo_db].articles.insert_many(lacking)
    names = channel_names(write_sources_dir(tmp_path / "sources")) if with_profiles else {}
    with MongoClient(mongo_uri, tz_aware=True) as client:
        MongoStore(client, mongo_db, "articles", "the test server", names=names).close()
    with MongoClient(mongo_uri) as client:
        found = {d["_id"]: d["channel"] for d in client[mongo_db].articles.find()}
    expected = ["热点", "国内", "头条", None, None] if with_profiles else [None] * 5
    assert found == {doc["_id"]: name for doc, name in zip(lacking, expected)}


@pytest.mark.parametrize("kind", BACKENDS)
def test_dead_letters_from_before_channel_replay(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Dead letters the old code spooled (its documents, as JSON lines) replay into today's store:
    ``channel`` is optional on the way in, named from the profile."""
    from newscrawler.storage.deadletter import append_lines
    from newscrawler.storage.replay import replay
    from tests.stores import make_store

    with sqlite3.connect(f"file:{OLD / 'old.sqlite3'}?mode=ro", uri=True) as db:
        lines = [json.dumps({**json.loads(doc), "content_hash": digest}, ensure_ascii=False)
                 for doc, digest in db.execute("SELECT doc, content_hash FROM articles")]
    assert not any('"channel"' in line for line in lines)
    append_lines(tmp_path / "dl" / "deadletter-20210708T000000Z-1.jsonl", lines)
    store = make_store(kind, tmp_path, request)
    try:
        report = replay(store, tmp_path / "dl")
        assert report.ok and report.written.new == len(lines) == 52
        assert {(d["channel_id"], d["channel"]) for d in store.query(Query())} == {(1, "热点"), (2, "搞笑"), (6, "娱乐")}
        # Written so: what a plain sqlite3 or pymongo reader sees has the name too.
        raw = (store.reader.execute("SELECT json_extract(doc, '$.channel') FROM articles").fetchall() if kind == "sqlite"
               else [(d["channel"],) for d in store.collection.find({}, {"channel": 1})])
        assert sorted(set(raw)) == [("娱乐",), ("搞笑",), ("热点",)]
    finally:
        store.close()
