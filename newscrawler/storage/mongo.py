"""The production store: MongoDB through pymongo, one unordered bulk upsert per batch."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from pymongo import ASCENDING, DESCENDING, MongoClient, UpdateOne
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError
from pymongo.write_concern import WriteConcern
from scrapy.settings import BaseSettings

from newscrawler.checks import positive_int, setting
from newscrawler.errors import ConfigError
from newscrawler.storage.base import (
    Query, Rejected, Store, StoreError, UnencodableDocument, WriteResult, chunked, latest_per_id,
)
from newscrawler.storage.mongouri import check, redact, scrub, write_concern
from newscrawler.storage.reading import read_document, stored_date
from newscrawler.storage.upgrade import ChannelNames, channel_names

logger = logging.getLogger(__name__)

# Newest first by date, within a source, within a source's channel, within a channel id alone;
# articles by tag.
INDEXES = (
    [("published_at", DESCENDING)],
    [("source", ASCENDING), ("published_at", DESCENDING)],
    [("source", ASCENDING), ("channel_id", ASCENDING), ("published_at", DESCENDING)],
    [("channel_id", ASCENDING), ("published_at", DESCENDING)],
    [("tags", ASCENDING)],
)
# The version of the documents' shape; a writer brings older collections up to it (migrate) and
# notes it in the collection "<collection>.schema", so that an up-to-date one costs one lookup.
SCHEMA_VERSION = 1
SCHEMA_ID = "documents"
# Ids per $in lookup: keeps each query far below the 16 MB command limit.
LOOKUP_CHUNK = 1000
DUPLICATE_KEY = 11000
# Authentication failed: retrying cannot help, so this is reported at start.
AUTH_FAILED = 18
# Milliseconds, whole and above 0.
TIMEOUTS = ("MONGO_SERVER_SELECTION_TIMEOUT_MS", "MONGO_CONNECT_TIMEOUT_MS")


def upsert(doc: dict[str, Any], now: datetime) -> UpdateOne:
    """One round trip decides new, updated, unchanged or stale, on the server.

    The filter lets a copy replace only a stored one crawled at or before it (newest wins);
    a stored copy crawled later makes the upsert try an insert, which fails on ``_id`` as a
    duplicate key: that is the stale outcome. The pipeline keeps the stored document when the content
    hash is the same (matched, not modified: unchanged), and sets ``first_seen_at`` on insert only.
    """
    same = {"$eq": ["$content_hash", doc["content_hash"]]}
    inserting = {"$eq": [{"$type": "$first_seen_at"}, "missing"]}
    replacement = {"$mergeObjects": [
        {"$literal": {"_id": doc["id"], **doc}},  # $literal: text such as "$5" stays text
        {"first_seen_at": {"$cond": [inserting, {"$literal": now}, "$first_seen_at"]},
         "updated_at": {"$cond": [inserting, None, {"$literal": now}]}},
    ]}
    crawled = doc.get("crawled_at")
    # Stored copies crawled at or before this one, or never dated ($not also matches a missing field).
    newest_wins = {"$not": {"$gt": crawled}} if crawled is not None else None
    return UpdateOne({"_id": doc["id"], "crawled_at": newest_wins},
                     [{"$replaceWith": {"$cond": [same, "$$ROOT", replacement]}}], upsert=True)


def _switch(branches: list[dict[str, Any]]) -> Any:
    """An aggregation ``$switch`` over ``branches``, null when none matches (or there is none)."""
    return {"$switch": {"branches": branches, "default": None}} if branches else None


def seen_again(doc: dict[str, Any]) -> UpdateOne:
    """Same content crawled later: only ``crawled_at`` moves on, so an older copy can never win after it.

    Sent in the same bulk write as the upserts; it matches only where it changes ``crawled_at``.
    """
    return UpdateOne({"_id": doc["id"], "content_hash": doc["content_hash"],
                      "crawled_at": {"$lt": doc.get("crawled_at")}},
                     {"$set": {"crawled_at": doc.get("crawled_at")}})


def find(collection: Any, query: Query, projection: dict[str, Any], max_time_ms: int | None = None) -> Any:
    """The cursor over what ``query`` selects, newest first (a find: reads only)."""
    spec: dict[str, Any] = {}
    dates = {}
    if query.since:
        dates["$gte"] = query.since
    if query.until:
        dates["$lt"] = query.until
    if dates:
        spec["published_at"] = dates
    if query.source is not None:
        spec["source"] = query.source
    if query.channel is not None:  # BSON compares types: 1 matches the number only, "1" the word only
        spec["channel_id"] = query.channel
    if query.tag:
        spec["tags"] = query.tag
    cursor = collection.find(spec, projection).sort([("published_at", DESCENDING), ("_id", ASCENDING)])
    if query.limit is not None:
        cursor = cursor.limit(query.limit)
    if max_time_ms is not None:
        cursor = cursor.max_time_ms(max_time_ms)
    return cursor


def mongo_cause(exc: PyMongoError) -> str:
    """The driver's message without its topology dump (which can run to a screenful)."""
    return str(exc).split(", Timeout: ")[0]


class MongoStore(Store):
    def __init__(self, client: Any, database: str, collection: str, where: str, indexes: bool = True,
                 concern: WriteConcern | None = None, durability: str = "the client's write concern",
                 names: ChannelNames | None = None) -> None:
        self.client = client
        # Writes wait for what ``concern`` asks (journaled by default, see from_settings), so the
        # counts of a write are of what the server made durable.
        self.collection = client.get_database(database, write_concern=concern)[collection]
        self.schema = self.collection.database[f"{collection}.schema"]
        self.description = f"MongoDB at {where} ({database}.{collection})"
        self.durability = f"MongoDB write concern {durability}"
        # Channel names for documents from before ``channel`` (storage.upgrade).
        self.names = channel_names() if names is None else names
        if indexes:  # writers only: readers must not change the collection
            self._prepare()

    def _prepare(self) -> None:
        """Documents from older versions migrated, and the indexes; a writer does it when it opens.

        The migration first: it touches every old document once, and no new index needs updating meanwhile.
        """
        try:
            self._migrate()
            for keys in INDEXES:
                self.collection.create_index(keys)
        except OperationFailure as exc:
            self._raise_if_auth(exc)
            logger.error("%s refused to create indexes or migrate older documents: %s", self.description,
                         mongo_cause(exc))
        except PyMongoError as exc:
            # Not fatal: writes retry, then spool to the dead-letter folder; readers upgrade what
            # they read (storage.upgrade), and the next writer migrates.
            logger.error("%s is unreachable, indexes not checked, older documents not migrated: %s",
                         self.description, mongo_cause(exc))

    def _migrate(self) -> None:
        """Documents from before ``channel`` (without the field) get their channel's name from their
        source's profile, null when it has none: one pipeline update, one pass over the collection.
        (A contract field a document lacks otherwise is filled in as it is read: storage.upgrade.)
        Idempotent; once done, the collection is noted up to date and the next writer only looks
        that up."""
        if self.schema.find_one({"_id": SCHEMA_ID, "version": {"$gte": SCHEMA_VERSION}}) is not None:
            return
        # The source, then its channel id ($eq keeps 1 and "1" apart); $switch needs one branch at least.
        named = _switch([{"case": {"$eq": ["$source", source]},
                          "then": _switch([{"case": {"$eq": ["$channel_id", channel_id]}, "then": {"$literal": name}}
                                           for channel_id, name in channels.items()])}
                         for source, channels in self.names.items()])
        unnamed = {"channel": {"$exists": False}}
        if self.collection.find_one(unnamed, {"_id": 1}) is not None:  # none in a new collection
            self.collection.update_many(unnamed, [{"$set": {"channel": named}}])
        self.schema.update_one({"_id": SCHEMA_ID}, {"$set": {"version": SCHEMA_VERSION}}, upsert=True)

    def _raise_if_auth(self, exc: PyMongoError) -> None:
        """A wrong user or password is fatal at start: one line naming the host, never the password."""
        if isinstance(exc, OperationFailure) and exc.code == AUTH_FAILED:
            # A bad setting: the crawl must not start (ConfigError is reported in one line).
            raise ConfigError(f"{self.description}: authentication failed (check the user and password "
                              "in MONGO_URI)") from None

    @staticmethod
    def check_settings(settings: BaseSettings, create: bool = True) -> tuple[WriteConcern | None, str]:
        """The write concern of a writer (``create``) from MONGO_URI and MONGO_JOURNAL; ConfigError
        for a URI pymongo refuses, a bad MONGO_JOURNAL or timeout, or w=0. A reader only needs the
        URI to parse and its timeouts."""
        uri = settings.get("MONGO_URI")
        for name in TIMEOUTS:
            setting(settings, name, positive_int)
        if not create:
            check(uri)
            return None, "not used (reading only)"
        try:
            journal = settings.getbool("MONGO_JOURNAL")
        except ValueError:
            raise ConfigError(f"MONGO_JOURNAL={settings.get('MONGO_JOURNAL')!r}: expected True or False") from None
        return write_concern(uri, journal)

    @classmethod
    def from_settings(cls, settings: BaseSettings, create: bool = True,
                      names: ChannelNames | None = None) -> MongoStore:
        uri = settings.get("MONGO_URI")
        concern, durability = cls.check_settings(settings, create)
        try:
            client = MongoClient(
                uri,
                tz_aware=True,
                tzinfo=timezone.utc,
                serverSelectionTimeoutMS=setting(settings, "MONGO_SERVER_SELECTION_TIMEOUT_MS", positive_int),
                connectTimeoutMS=setting(settings, "MONGO_CONNECT_TIMEOUT_MS", positive_int),
            )
        except (PyMongoError, ValueError) as exc:  # its text could quote the URI: scrubbed
            raise ConfigError(f"MONGO_URI {redact(uri)} is not usable: {type(exc).__name__}: "
                              f"{scrub(str(exc), uri)}") from None
        return cls(client, settings.get("MONGO_DATABASE"), settings.get("MONGO_COLLECTION"), redact(uri), create,
                   concern, durability, names)

    def write(self, docs: list[dict[str, Any]], now: datetime) -> WriteResult:
        docs, older = latest_per_id(docs)
        result = WriteResult(stale=older)
        operations, indexes = [], []
        for doc in docs:  # an upsert that cannot be built is a bug, raised (isolation.py)
            operations.append(upsert(doc, now))
            indexes.append(doc)
        if not operations:
            return result
        raced = self._bulk(operations, indexes, result)
        if raced:
            # A duplicate key on _id is either a stale copy or a concurrent insert of the same id
            # that got there first: asking once more tells them apart (the second try updates or is stale).
            self._bulk([upsert(doc, now) for doc in raced], raced, result, last_try=True)
        return result

    def _bulk(self, operations: list[UpdateOne], docs: list[dict[str, Any]], result: WriteResult,
              last_try: bool = False) -> list[dict[str, Any]]:
        """Run one bulk write, add its outcome to ``result``; returns the documents to ask again.

        The bulk holds one upsert per document, then one ``seen_again`` per dated document. The
        server reports sums only, so the counts follow from them: every seen_again that matches also
        modifies, hence matched - modified is the upserts' unchanged; the upserts that matched are
        the documents neither new, stale nor refused, and the rest of them were updated.
        """
        dated = [doc for doc in docs if doc.get("crawled_at") is not None]
        operations = operations + [seen_again(doc) for doc in dated]
        try:
            outcome = self.collection.bulk_write(operations, ordered=False).bulk_api_result
        except (UnicodeEncodeError, OverflowError) as exc:  # bson encoding the batch: a document's content
            raise UnencodableDocument(exc) from exc
        except BulkWriteError as exc:
            outcome = exc.details
            if outcome.get("writeConcernErrors"):
                raise  # nothing is known to be durable: the whole batch is retried or spooled
        raced, refused = [], 0
        for error in outcome.get("writeErrors", []):
            if error["index"] >= len(docs):  # a seen_again: the article itself is stored
                logger.warning("%s: crawled_at of %s not moved on: %s", self.description,
                               dated[error["index"] - len(docs)]["id"], error.get("errmsg"))
                continue
            refused += 1
            doc = docs[error["index"]]
            if error.get("code") == DUPLICATE_KEY and set(error.get("keyPattern") or {"_id": 1}) == {"_id"}:
                if last_try:
                    result.stale += 1
                else:
                    raced.append(doc)
                continue
            code = error.get("code")
            reason = "DuplicateKey" if code == DUPLICATE_KEY else error.get("codeName") or f"code{code}"
            result.rejected.append(Rejected(doc, reason, f"{reason}: {error.get('errmsg')}"))
        unchanged = outcome["nMatched"] - outcome["nModified"]
        matched = len(docs) - outcome["nUpserted"] - refused
        result.new += outcome["nUpserted"]
        result.unchanged += unchanged
        result.updated += matched - unchanged
        return raced

    def known_ids(self, ids: list[str]) -> set[str]:
        known: set[str] = set()
        for chunk in chunked(ids, LOOKUP_CHUNK):
            known.update(d["_id"] for d in self.collection.find({"_id": {"$in": chunk}}, {"_id": 1}))
        return known

    def query(self, query: Query) -> Iterator[dict[str, Any]]:
        cursor = find(self.collection, query, None)
        rows = 0
        try:
            for doc in cursor:
                rows += 1
                row_id = doc.pop("_id")
                article = read_document(row_id, doc, self.names)
                if article is None:
                    continue
                article["first_seen_at"] = stored_date(doc.get("first_seen_at"), f"article {row_id!r}")
                article["updated_at"] = stored_date(doc.get("updated_at"), f"article {row_id!r}")
                yield article
        except PyMongoError as exc:
            self._raise_if_auth(exc)
            raise StoreError(f"{self.description}: reading failed after {rows} articles: "
                             f"{mongo_cause(exc)}") from None

    def count(self) -> int:
        return self.collection.count_documents({})

    def close(self) -> None:
        self.client.close()
