"""Page objects of a test's own, named by a profile's ``page_object`` keys (the escape hatch)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from scrapy.http import Response, TextResponse

from newscrawler.pages.detail import ArticlePageReader, DetailPage
from newscrawler.pages.entries import ListingPage
from newscrawler.pages.html_listing import HtmlListing
from newscrawler.sources.profile import SourceProfile


class MarkedListing:
    """The html kind's reading, each title marked: proof that this class read the page."""

    def __init__(self, profile: SourceProfile) -> None:
        self.inner = HtmlListing(profile)

    def parse_response(self, response: Response, now: datetime) -> ListingPage:
        page = self.inner.parse_response(response, now)
        page.entries = [replace(entry, title=f"[listing] {entry.title}") for entry in page.entries]
        return page


class MarkedArticlePage(ArticlePageReader):
    def parse_response(self, response: TextResponse, now: datetime, known: Collection[str] = ()) -> DetailPage:
        return replace(super().parse_response(response, now, known), author="[article page]")


NOT_CALLABLE = 42
