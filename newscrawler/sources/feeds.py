"""Profiles for ``scrapy crawl feed -a url=…``: any RSS/Atom feed, or a JSON Feed, with no profile file.

They go through the same checks as a profile file. JSON Feed is read as JSON (the ``json``
kind), since feedparser 6.0 reads RSS and Atom only.
"""

from __future__ import annotations

from typing import Any

from newscrawler.sources.profile import SourceProfile, profile_from_data

# JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), field by field.
JSON_FEED_FIELDS: dict[str, Any] = {
    "id": "id",  # required by JSON Feed; an unusable one is no id (not the URL's: a second copy)
    "url": ["url", "external_url"],
    "title": "title",
    "summary": "summary",
    "author": ["authors[0].name", "author.name"],
    "tags": "tags",
    "covers": ["image", "banner_image"],
    "published_at": [{"path": "date_published", "format": "rfc3339"}, {"path": "date_modified", "format": "rfc3339"}],
    "content_html": ["content_html", "content_text"],
}


# What an article page says of itself in standard markup (Open Graph, HTML's <time>, <meta name=author>),
# for entries whose feed does not (RSS 0.9x items carry no date nor author).
PAGE_FACTS: dict[str, Any] = {
    "title": ["meta[property='og:title']::attr(content)", "h1::text", "title::text"],
    "author": ["meta[name=author]::attr(content)", "[rel=author]::text"],
    "published_at": [{"css": "meta[property='article:published_time']::attr(content)", "format": "rfc3339"},
                     {"css": "time::attr(datetime)", "format": "rfc3339"}],
}


def looks_like_json_feed(body: bytes, content_type: str) -> bool:
    """A JSON Feed announces itself by type, or starts with ``{`` where XML starts with ``<``.

    >>> looks_like_json_feed(b' {"version": "https://jsonfeed.org/version/1.1"}', "text/plain")
    True
    >>> looks_like_json_feed(b'<?xml version="1.0"?><rss/>', "application/json")
    False
    """
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start == b"{" or (start != b"<" and "json" in content_type.lower())


def feed_profile(name: str, url: str, json_feed: bool, body_css: str | None = None) -> SourceProfile:
    """The profile of one feed. With ``body_css``, article pages are fetched and that is the body."""
    article: dict[str, Any] = {"fetch": bool(body_css)}
    if body_css:
        article.update(body=body_css, fields=PAGE_FACTS)
    template = url.replace("{", "{{").replace("}", "}}")  # the feed's URL as it is, not a template
    listing: dict[str, Any] = {"kind": "feed", "url": template, "fields": {}}
    if json_feed:
        listing = {"kind": "json", "url": template, "entries": "items", "fields": JSON_FEED_FIELDS,
                   "paging": {"kind": "next", "next": "next_url"}}
    return profile_from_data({
        "name": name,
        "title": name,
        "listing": listing,
        "article": article,
        "hexo": {"categories": [name], "author": name},
    }, f"-a url={url}")
