"""The shape of a source profile file, as JSON Schema: keys, types and allowed words.

What a value means (a query that compiles, a zone that exists) is checked by ``profile.py``.
"""

from __future__ import annotations

from typing import Any

from newscrawler.items import SOURCE_NAME

_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}
_TEXTS = {"type": "array", "items": _TEXT, "maxItems": 50}
_TEXT_OR_TEXTS = {"anyOf": [_TEXT, {**_TEXTS, "minItems": 1}]}
_COUNT = {"type": "integer", "minimum": 1, "maximum": 100_000}
_DOTTED = {"type": "string", "pattern": r"^[A-Za-z_][\w.]*[:.][A-Za-z_]\w*$", "maxLength": 300}

# One place a value may be found: a query (JMESPath for json listings and feed entries, CSS or
# XPath for pages), a regex whose first group (or whole match) is the value, and a date format.
_ALTERNATIVE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "path": _TEXT, "css": _TEXT, "xpath": _TEXT,
        "url_pattern": _TEXT,  # a regex over the entry's URL (ids)
        "pattern": _TEXT,
        "format": _TEXT,
    },
    "minProperties": 1,
}
# A field: one query, or several tried in order (the first usable value wins).
FIELD = {
    "anyOf": [
        _TEXT,
        _ALTERNATIVE,
        {"type": "array", "minItems": 1, "maxItems": 20, "items": {"anyOf": [_TEXT, _ALTERNATIVE]}},
    ]
}

LISTING_FIELDS = (
    "id", "url", "title", "summary", "author", "category", "tags", "covers", "video",
    "published_at", "content_html", "read", "comment", "share", "like",
)
PAGE_FIELDS = ("title", "summary", "author", "published_at", "tags", "like")

PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "listing", "hexo"],
    "properties": {
        "name": {"type": "string", "pattern": f"^{SOURCE_NAME.pattern}$"},
        "title": _TEXT,
        "home_url": _TEXT,
        "timezone": _TEXT,
        "listing": {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind", "url", "fields"],
            "properties": {
                "kind": {"enum": ["json", "html", "feed"]},
                "url": _TEXT,
                "channels": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1000,
                    "additionalProperties": _TEXT,
                },
                "paging": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "kind": {"enum": ["pages", "next", "none"]},
                        "first_url": _TEXT,
                        "next": FIELD,
                        "max_pages": _COUNT,
                        "per_page": _COUNT,
                        "max_bad_pages": _COUNT,
                    },
                },
                "status": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["path"],
                    "properties": {
                        "path": _TEXT,
                        "ok": {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}},
                        "message": _TEXT,
                    },
                },
                "entries": _TEXT,
                "skip": _TEXTS,
                "fields": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {name: FIELD for name in LISTING_FIELDS},
                },
                "tracking_params": _TEXTS,
                "page_object": _DOTTED,
            },
        },
        "article": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "fetch": {"type": "boolean"},
                "body": _TEXT_OR_TEXTS,
                "lazy_images": _TEXTS,
                "drop": _TEXTS,
                "fields": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {name: FIELD for name in PAGE_FIELDS},
                },
                "page_object": _DOTTED,
            },
        },
        # An RSSHub route this source's channels answered at, served by ``scrapy serve``: a path
        # whose last segment is the channel (":cid"), and the feed-level fields RSSHub gave.
        "rsshub": {
            "type": "object",
            "additionalProperties": False,
            "required": ["route"],
            "properties": {
                "route": {"type": "string", "pattern": "^(/[a-z0-9_-]{1,40}){1,5}/:[a-z_]{1,20}$"},
                "title": _TEXT,
                "link": _TEXT,
                "description": _TEXT,
            },
        },
        "hexo": {
            "type": "object",
            "additionalProperties": False,
            "required": ["categories", "author"],
            "properties": {
                "categories": {**_TEXTS, "minItems": 1},
                "author": _TEXT,
                "date_style": {"enum": ["rfc1123", "local"]},
            },
        },
    },
}
