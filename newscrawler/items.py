"""The article item: the contract data teams query and exporters read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SOURCE = "qutoutiao"


@dataclass
class Article:
    """One article. Field names are a public contract: keep them exactly.

    The spider fills raw listing/page values; the pipelines normalize them
    (see ``newscrawler.pipelines``), so e.g. ``published_at`` may be a raw
    epoch string until the normalize stage turns it into a UTC datetime.
    """

    id: str | None = None  # "qutoutiao:<source_id>"
    source: str = SOURCE
    source_id: str | None = None
    url: str | None = None  # canonical: tracking parameters removed (urls.canonical_url)
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    channel_id: int | str | None = None  # the source profile's channel id, typed as the profile writes it
    channel: str | None = None  # that channel's name
    category_id: int | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    content_type: str = "article"  # "article" | "video"
    published_at: datetime | str | int | None = None
    crawled_at: datetime | None = None
    cover_images: list[str] = field(default_factory=list)
    image_urls: list[str] = field(default_factory=list)
    headimg: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


ARTICLE_FIELDS: tuple[str, ...] = tuple(Article.__dataclass_fields__)

_TEXT = {"type": "string"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_NUMBER_OR_NULL = {"type": ["integer", "null"]}
_TEXTS = {"type": "array", "items": _TEXT}
# The JSON types of a finished article, every field present: what the store stage writes
# (checked on items by spidermon through monitors.ARTICLE_SCHEMA, on dead letters by replay).
# Dates are left untyped: datetimes on items, ISO text in JSON, read by documents.from_json.
ARTICLE_TYPES: dict[str, Any] = {
    "type": "object",
    "required": list(ARTICLE_FIELDS),
    "properties": {
        "id": _TEXT, "source": _TEXT, "source_id": _TEXT_OR_NULL, "url": _TEXT, "title": _TEXT,
        "summary": _TEXT_OR_NULL, "author": _TEXT_OR_NULL,
        "channel_id": {"type": ["integer", "string", "null"]}, "channel": _TEXT_OR_NULL,
        "category_id": _NUMBER_OR_NULL, "category": _TEXT_OR_NULL, "tags": _TEXTS,
        "content_type": {"enum": ["article", "video"]}, "published_at": {}, "crawled_at": {},
        "cover_images": _TEXTS, "image_urls": _TEXTS, "headimg": _TEXT_OR_NULL, "content_html": _TEXT,
        "content_text": _TEXT_OR_NULL, "stats": {"type": "object", "additionalProperties": _NUMBER_OR_NULL},
    },
}


def article_id(source_id: str) -> str:
    """The store key of an article.

    >>> article_id("221131")
    'qutoutiao:221131'
    """
    return f"{SOURCE}:{source_id}"
