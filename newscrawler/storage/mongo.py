"""The production store: MongoDB through pymongo, unordered bulk upserts."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from pymongo import ASCENDING, DESCENDING, MongoClient, UpdateOne
from pymongo.errors import PyMongoError
from scrapy.settings import BaseSettings

from newscrawler.storage.base import Query, Store, WriteResult, latest_per_id

logger = logging.getLogger(__name__)

INDEXES = (
    [("published_at", DESCENDING)],
    [("channel_id", ASCENDING), ("published_at", DESCENDING)],
    [("tags", ASCENDING)],
)


def redact(uri: str) -> str:
    """The URI without credentials, for logs.

    >>> redact("mongodb://user:s3cret@db1:27017,db2/?authSource=admin")
    'mongodb://***@db1:27017,db2/?authSource=admin'
    """
    return re.sub(r"(?<=://)[^@/]*@", "***@", uri)


class MongoStore(Store):
    def __init__(self, client: Any, database: str, collection: str, where: str) -> None:
        self.client = client
        self.collection = client[database][collection]
        self.description = f"MongoDB at {where} ({database}.{collection})"
        try:
            for keys in INDEXES:
                self.collection.create_index(keys)
        except PyMongoError as exc:
            # Not fatal: writes retry, then spool to the dead-letter folder.
            logger.error("%s is unreachable, indexes not checked: %s", self.description, exc)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> MongoStore:
        uri = settings.get("MONGO_URI")
        client = MongoClient(
            uri,
            tz_aware=True,
            tzinfo=timezone.utc,
            serverSelectionTimeoutMS=settings.getint("MONGO_SERVER_SELECTION_TIMEOUT_MS"),
            connectTimeoutMS=settings.getint("MONGO_CONNECT_TIMEOUT_MS"),
        )
        return cls(client, settings.get("MONGO_DATABASE"), settings.get("MONGO_COLLECTION"), redact(uri))

    def write(self, docs: list[dict[str, Any]], now: datetime) -> WriteResult:
        docs = latest_per_id(docs)
        ids = [d["id"] for d in docs]
        stored = {d["_id"]: d.get("content_hash") for d in self.collection.find({"_id": {"$in": ids}}, {"content_hash": 1})}
        operations = []
        for doc in docs:
            if doc["id"] not in stored:
                # $setOnInsert: a concurrent writer that got there first wins, no duplicate.
                operations.append(UpdateOne(
                    {"_id": doc["id"]}, {"$setOnInsert": {**doc, "first_seen_at": now, "updated_at": None}}, upsert=True
                ))
            elif stored[doc["id"]] != doc["content_hash"]:
                operations.append(UpdateOne({"_id": doc["id"]}, {"$set": {**doc, "updated_at": now}}))
        if not operations:
            return WriteResult(unchanged=len(docs))
        result = self.collection.bulk_write(operations, ordered=False)
        new, updated = result.upserted_count, result.modified_count
        return WriteResult(new=new, updated=updated, unchanged=len(docs) - new - updated)

    def known_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return {d["_id"] for d in self.collection.find({"_id": {"$in": ids}}, {"_id": 1})}

    def query(self, query: Query) -> Iterator[dict[str, Any]]:
        spec: dict[str, Any] = {}
        dates = {}
        if query.since:
            dates["$gte"] = query.since
        if query.until:
            dates["$lt"] = query.until
        if dates:
            spec["published_at"] = dates
        if query.channel is not None:
            spec["channel_id"] = query.channel
        if query.tag:
            spec["tags"] = query.tag
        cursor = self.collection.find(spec, {"_id": 0}).sort([("published_at", DESCENDING), ("_id", ASCENDING)])
        if query.limit is not None:
            cursor = cursor.limit(query.limit)
        yield from cursor

    def count(self) -> int:
        return self.collection.count_documents({})

    def close(self) -> None:
        self.client.close()
