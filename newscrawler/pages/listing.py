"""Parse one response of the 趣头条 listing API (``/content/outList``) into typed entries."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from newscrawler.pages.fields import id_field, string_list, text_field, timestamp_field
from newscrawler.urls import canonical_url, is_http_url, unescape_url

AD_TIPS = "广告"
# content_type "5" is a sponsored download card that carries an id and a URL.
AD_CONTENT_TYPES = frozenset({"5"})
# content_type "3" is a video; its body is a player, not text.
VIDEO_CONTENT_TYPES = frozenset({"3"})
TEXT_FIELDS = ("title", "introduction", "source_name", "source", "type", "content_type",
               "read_count", "comment_count", "share_count", "like_count")


class ListingError(Exception):
    """A listing page that cannot be used. ``reason`` is a short stats key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """What one non-ad entry tells about its article, each field of its contract type.

    Text fields are plain strings (entities and whitespace are the normalize
    stage's job); ``published_at`` is None when the listing has no usable time.
    """

    source_id: str
    url: str
    canonical_url: str
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    category: str | None = None  # the entry's ``type``: a channel id as text
    tags: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()
    video: bool = False
    published_at: datetime | None = None
    counts: dict[str, str | None] = field(default_factory=dict)  # read, comment, share, like


@dataclass
class ListingPage:
    entries: list[ListingEntry] = field(default_factory=list)
    ads: int = 0
    invalid: int = 0
    # "invalid/<field>" (entry skipped) and "coerced/<field>" (value replaced) counts.
    problems: Counter[str] = field(default_factory=Counter)

    @property
    def is_empty(self) -> bool:
        """No entry at all (ads included): the channel has no more pages."""
        return not (self.entries or self.ads or self.invalid)


def is_ad(raw: dict[str, Any]) -> bool:
    """Ads come as ``type: "ad"`` slots, or as sponsored cards tipped 广告."""
    return (
        raw.get("type") == "ad"
        or raw.get("tips") == AD_TIPS
        or text_field(raw.get("content_type"))[0] in AD_CONTENT_TYPES
    )


def parse_entry(raw: dict[str, Any], now: datetime, problems: Counter[str]) -> ListingEntry | None:
    """One entry by the per-field rules (``fields.py``); None when its id or URL is unusable."""
    source_id, _ = id_field(raw.get("id"))
    if source_id is None:
        problems["invalid/id"] += 1
        return None
    url_text, _ = text_field(raw.get("url"))
    url = unescape_url(url_text) if url_text else ""
    if not is_http_url(url):
        problems["invalid/url"] += 1
        return None
    text: dict[str, str | None] = {}
    for name in TEXT_FIELDS:
        text[name], problem = text_field(raw.get(name))
        if problem:
            problems[f"coerced/{name}"] += 1
    lists: dict[str, list[str]] = {}
    for name in ("tag", "cover"):
        lists[name], problem = string_list(raw.get(name))
        if problem:
            problems[f"coerced/{name}"] += 1
    published = None
    for name in ("publish_time", "show_time"):  # listing ms first, then listing seconds
        published, problem = timestamp_field(raw.get(name), now)
        if problem:
            problems[f"coerced/{name}"] += 1
        if published is not None:
            break
    return ListingEntry(
        source_id=source_id,
        url=url,
        canonical_url=canonical_url(url),
        title=text["title"],
        summary=text["introduction"],
        author=text["source_name"] or text["source"],  # site names, never the article id
        category=text["type"],
        tags=tuple(lists["tag"]),
        covers=tuple(u for u in lists["cover"] if u.strip()),
        video=(text["content_type"] or "").strip() in VIDEO_CONTENT_TYPES,
        published_at=published,
        counts={key: text[f"{key}_count"] for key in ("read", "comment", "share", "like")},
    )


def parse_listing(body: bytes | str, now: datetime | None = None) -> ListingPage:
    """Turn a listing body into entries; raise ListingError when unusable.

    Captures from 2016 sometimes lack ``code``/``message``: a body with a
    ``data`` object and no ``code`` counts as a success.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8-sig", errors="replace")
    if not body.strip():
        raise ListingError("empty_body", "empty body")
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise ListingError("malformed_json", f"malformed JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ListingError("unexpected_shape", f"top level is {type(doc).__name__}, not an object")
    code = doc.get("code", 0)
    if text_field(code)[0] != "0":
        raise ListingError("api_error", f"API code {code!r}: {text_field(doc.get('message'))[0] or ''}")
    data = doc.get("data")
    if isinstance(data, list) and not data:
        return ListingPage()  # some API versions send "data": [] past the last page
    if not isinstance(data, dict) or not isinstance(data.get("data", []), list):
        raise ListingError("unexpected_shape", "no data.data list in the response")
    now = now or datetime.now(timezone.utc)
    page = ListingPage()
    for raw in data.get("data") or []:
        if not isinstance(raw, dict):
            page.invalid += 1
            page.problems["invalid/entry"] += 1
        elif is_ad(raw):
            page.ads += 1
        else:
            entry = parse_entry(raw, now, page.problems)
            if entry is None:
                page.invalid += 1
            else:
                page.entries.append(entry)
    return page
