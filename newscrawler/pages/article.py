"""Combine a listing entry and its detail page into a raw Article."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newscrawler.categories import CATEGORIES
from newscrawler.items import SOURCE, Article, article_id
from newscrawler.pages.detail import DetailPage
from newscrawler.pages.listing import ListingEntry

VIDEO_CONTENT_TYPES = frozenset({"3"})


def _category_id(raw: dict[str, Any]) -> int | None:
    try:
        return int(str(raw.get("type", "")).strip())
    except ValueError:
        return None


def _published_raw(raw: dict[str, Any], page: DetailPage) -> str | int | None:
    """Listing ms first, then listing seconds, then the page's own date text."""
    for key in ("publish_time", "show_time"):
        value = raw.get(key)
        if value not in (None, "", 0, "0"):
            return value
    return page.published_text


def build_article(
    entry: ListingEntry, channel_id: int, page: DetailPage, crawled_at: datetime
) -> Article:
    """Raw values only: the normalize pipeline types and cleans them.

    The listing's ``source``/``source_name`` hold the publishing site's name
    (``source_id`` too, in some captures), never the article id.
    """
    raw = entry.raw
    category_id = _category_id(raw)
    tags = raw.get("tag") or []
    return Article(
        id=article_id(entry.source_id),
        source=SOURCE,
        source_id=entry.source_id,
        url=entry.canonical_url,
        title=raw.get("title") or page.title,
        summary=raw.get("introduction"),
        author=raw.get("source_name") or raw.get("source") or page.author,
        channel_id=channel_id,
        category_id=category_id,
        category=CATEGORIES.get(category_id) if category_id is not None else None,
        tags=list(tags) if isinstance(tags, list) else [tags],
        content_type="video" if str(raw.get("content_type")) in VIDEO_CONTENT_TYPES else "article",
        published_at=_published_raw(raw, page),
        crawled_at=crawled_at,
        cover_images=[str(u) for u in raw.get("cover") or [] if u],
        content_html=page.content_html,
        stats={
            "read": raw.get("read_count"),
            "comment": raw.get("comment_count"),
            "share": raw.get("share_count"),
            "like": raw.get("like_count", page.like_count),
        },
    )
