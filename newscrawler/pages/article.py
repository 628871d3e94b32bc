"""Combine a listing entry and its detail page into a raw Article."""

from __future__ import annotations

from datetime import datetime

from newscrawler.categories import CATEGORIES
from newscrawler.items import Article, article_id
from newscrawler.pages.detail import DetailPage
from newscrawler.pages.listing import ListingEntry

# The one source these pages read until profiles build articles (issue 18).
SOURCE = "qutoutiao"


def _category_id(entry: ListingEntry) -> int | None:
    try:
        return int((entry.category or "").strip())
    except ValueError:
        return None


def build_article(
    entry: ListingEntry, channel_id: int, page: DetailPage, crawled_at: datetime
) -> Article:
    """The entry's typed values, the page's where the listing has none.

    Text is still raw (entities, spacing): the normalize pipeline cleans it.
    """
    category_id = _category_id(entry)
    return Article(
        id=article_id(SOURCE, entry.source_id),
        source=SOURCE,
        source_id=entry.source_id,
        url=entry.canonical_url,
        title=entry.title or page.title,
        summary=entry.summary,
        author=entry.author or page.author,
        channel_id=channel_id,
        category_id=category_id,
        category=CATEGORIES.get(category_id) if category_id is not None else None,
        tags=list(entry.tags),
        content_type="video" if entry.video else "article",
        # The listing's ms, else its seconds (both checked), else the page's own date text.
        published_at=entry.published_at or page.published_text,
        crawled_at=crawled_at,
        cover_images=list(entry.covers),
        content_html=page.content_html,
        stats={
            "read": entry.counts.get("read"),
            "comment": entry.counts.get("comment"),
            "share": entry.counts.get("share"),
            "like": entry.counts.get("like") or page.like_count,
        },
    )
