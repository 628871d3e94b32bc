"""Which page object reads a profile's pages: one per listing kind, the article page reader, or the
profile's own (``page_object``, the escape hatch for a site its keys cannot describe).

Every page object is built from the profile once per crawl and turns one response into data:
``parse_response(response, now)`` gives a ``ListingPage`` (listings), ``parse_response(response,
now, known)`` a ``DetailPage`` (article pages; ``known``: the facts the listing already gave). The spider only calls it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from scrapy.http import Response, TextResponse
from scrapy.utils.misc import load_object

from newscrawler.pages.detail import ArticlePageReader, DetailPage
from newscrawler.pages.entries import ListingPage
from newscrawler.pages.feed_listing import FeedListing
from newscrawler.pages.html_listing import HtmlListing
from newscrawler.pages.json_listing import JsonListing
from newscrawler.sources.profile import ProfileError, SourceProfile

LISTING_KINDS: dict[str, Any] = {"json": JsonListing, "html": HtmlListing, "feed": FeedListing}


class ListingPageObject(Protocol):
    def parse_response(self, response: Response, now: datetime) -> ListingPage: ...


class ArticlePageObject(Protocol):
    # ``known``: the facts the listing entry already gives, which the page object need not read
    def parse_response(self, response: TextResponse, now: datetime, known: Collection[str] = ()) -> DetailPage: ...


def listing_page_object(profile: SourceProfile) -> ListingPageObject:
    """The page object of the profile's listing kind, or the one ``listing.page_object`` names."""
    if profile.listing.page_object:
        return named(profile, "listing.page_object", profile.listing.page_object)(profile)  # type: ignore[no-any-return]
    return LISTING_KINDS[profile.listing.kind](profile)  # type: ignore[no-any-return]


def article_page_object(profile: SourceProfile) -> ArticlePageObject:
    """The article page reader, or the one ``article.page_object`` names."""
    if profile.article.page_object:
        return named(profile, "article.page_object", profile.article.page_object)(profile)  # type: ignore[no-any-return]
    return ArticlePageReader(profile)


def named(profile: SourceProfile, key: str, dotted: str) -> Any:
    """The class or function ``module.name`` (or ``module:name``) names; a ProfileError when there is none."""
    try:
        found = load_object(dotted.replace(":", "."))
    except (ImportError, AttributeError, NameError, ValueError) as exc:
        raise ProfileError(profile.path, key, dotted, f"cannot be imported ({type(exc).__name__}: {exc})") from None
    if not callable(found):
        raise ProfileError(profile.path, key, dotted, "is not a class or function")
    return found
