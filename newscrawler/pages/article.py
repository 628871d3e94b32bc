"""Combine a listing entry, its article page and its profile into a raw Article."""

from __future__ import annotations

from datetime import datetime

from newscrawler.items import Article, article_id
from newscrawler.numbers import to_int
from newscrawler.pages.body import ParsedBody
from newscrawler.pages.detail import DetailPage, body_options
from newscrawler.pages.entries import ListingEntry
from newscrawler.sources.profile import SourceProfile


def channel_key(profile: SourceProfile, value: str | None) -> int | str | None:
    """The profile's channel id ``value`` names (a category given as text), typed as the profile types it.

    >>> from newscrawler.sources.profile import profile_from_data
    >>> news = profile_from_data({"name": "news", "listing": {
    ...     "kind": "html", "url": "http://news.example/{channel}", "channels": {13: "科技", "sport": "体育"},
    ...     "entries": "li", "fields": {"id": "a::text", "url": "a::attr(href)"}}, "article": {"body": "article"},
    ...     "hexo": {"categories": ["news"], "author": "news"}}, "news.yaml")
    >>> channel_key(news, " 13"), channel_key(news, "sport"), channel_key(news, "体育"), channel_key(news, None)
    (13, 'sport', None, None)
    """
    text = (value or "").strip()
    number = to_int(text)
    for key in (number, text):
        if key is not None and key in profile.listing.channels:
            return key
    return None


def category_of(profile: SourceProfile, value: str | None) -> tuple[int | None, str | None]:
    """``category_id`` and ``category`` from an entry's ``category`` value.

    A profile's channel id (an API whose entries name their channel) is the category id, named by that channel's name;
    any other number is an id without a known name, and other text is the category's name.
    """
    text = (value or "").strip()
    if not text:
        return None, None
    key = channel_key(profile, text)
    if key is not None:
        return (key if isinstance(key, int) else None), profile.listing.channels[key]
    number = to_int(text)
    return (number, None) if number is not None else (None, text)


def build_article(
    entry: ListingEntry, channel_id: int | str | None, page: DetailPage | None, profile: SourceProfile,
    crawled_at: datetime,
) -> Article:
    """The entry's typed values, the page's where the listing has none (``page`` None: no article page).

    Text is still raw (entities, spacing): the normalize pipeline cleans it.
    """
    page = page or DetailPage(None)
    content = page.content_html
    if content is None and entry.content_html is not None:  # the listing carries the article (a feed)
        content = ParsedBody.from_fragment(entry.content_html, entry.url, body_options(profile))
    category_id, category = category_of(profile, entry.category)
    return Article(
        id=article_id(profile.name, entry.source_id),
        source=profile.name,
        source_id=entry.source_id,
        url=entry.canonical_url,
        title=entry.title or page.title,
        summary=entry.summary or page.summary,
        author=entry.author or page.author,
        channel_id=channel_id,
        channel=profile.channel_name(channel_id),
        category_id=category_id,
        category=category,
        tags=list(entry.tags or page.tags),
        content_type="video" if entry.video else "article",
        published_at=entry.published_at or page.published_at,
        crawled_at=crawled_at,
        cover_images=list(entry.covers),
        content_html=content,
        stats={
            "read": entry.counts.get("read"),
            "comment": entry.counts.get("comment"),
            "share": entry.counts.get("share"),
            "like": entry.counts.get("like") or page.like,
        },
    )
