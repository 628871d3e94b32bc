"""Articles as stored documents: the item contract plus bookkeeping, and their JSON form."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from itemadapter import ItemAdapter

from newscrawler.items import ARTICLE_FIELDS

DATE_FIELDS = ("published_at", "crawled_at", "first_seen_at", "updated_at")
# What counts as a change worth rewriting; counters and crawl time do not.
HASHED_FIELDS = ("title", "content_html", "image_urls", "tags", "published_at")


def iso(value: datetime) -> str:
    """ISO 8601 in UTC, the text form of every date we write."""
    return value.astimezone(timezone.utc).isoformat()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, default=_default, sort_keys=False)


def from_json(text: str) -> dict[str, Any]:
    """Parse a JSON document back, dates included."""
    doc = json.loads(text)
    for name in DATE_FIELDS:
        if isinstance(doc.get(name), str):
            doc[name] = datetime.fromisoformat(doc[name].replace("Z", "+00:00"))
    return doc


def content_hash(doc: dict[str, Any]) -> str:
    material = to_json({name: doc.get(name) for name in HASHED_FIELDS})
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def to_document(item: Any) -> dict[str, Any]:
    """The item's contract fields (nothing else) and its content hash.

    Dates are cut to milliseconds, BSON's precision, so both stores hold the same.
    """
    adapter = ItemAdapter(item)
    doc = {name: adapter.get(name) for name in ARTICLE_FIELDS}
    for name in DATE_FIELDS:
        if isinstance(doc.get(name), datetime):
            doc[name] = doc[name].replace(microsecond=doc[name].microsecond // 1000 * 1000)
    doc["content_hash"] = content_hash(doc)
    return doc


def contract_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """What data teams get back: the item contract's fields, in order."""
    return {name: doc.get(name) for name in ARTICLE_FIELDS}
