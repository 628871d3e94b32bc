"""The ``html`` listing kind: a listing page whose rows are found by the profile's CSS or XPath."""

from __future__ import annotations

from datetime import datetime, timezone

import lxml.html
from lxml.etree import ParserError
from scrapy.http import Response, TextResponse
from w3lib.encoding import html_to_unicode

from newscrawler.pages.entries import EntryReader, ListingError, ListingPage, lookup_in, next_page_url
from newscrawler.pages.body import html_parser
from newscrawler.pages.detail import base_url
from newscrawler.sources.profile import SourceProfile
from newscrawler.text import scrub


class HtmlListing:
    """One profile's HTML listing pages; built once per crawl."""

    def __init__(self, profile: SourceProfile) -> None:
        self.listing = profile.listing
        self.reader = EntryReader(profile, html=True)

    def parse_response(self, response: Response, now: datetime) -> ListingPage:
        """One listing response; one sent with a type that is not text (octet-stream) is decoded as a browser would."""
        if isinstance(response, TextResponse):
            text = response.text
        else:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            text = html_to_unicode(content_type, response.body)[1]
        return self.parse(text, response.url, now)

    def parse(self, text: str, url: str, now: datetime | None = None) -> ListingPage:
        """Entries of one page; ListingError when it has no rows (a changed layout, or an error page)."""
        try:
            root = lxml.html.document_fromstring(scrub(text).encode("utf-8"), parser=html_parser())
        except ParserError:  # an empty document
            raise ListingError("empty_body", "empty page") from None
        base, _ = base_url(root, url)  # a refused <base> is the article page's concern: the URL serves
        assert self.listing.entries is not None  # an html profile has them (profile.py)
        rows = [row for row in self.listing.entries.search(root) if isinstance(row, lxml.html.HtmlElement)]
        if not rows:
            raise ListingError("no_rows", f"no row matches {self.listing.entries.text!r}")
        page = ListingPage()
        now = now or datetime.now(timezone.utc)
        for row in rows:
            if any(rule.search(row) for rule in self.listing.skip):
                page.skipped += 1
                continue
            entry = self.reader.read(lookup_in(row), base, now, page.problems)
            if entry is None:
                page.invalid += 1
            else:
                page.entries.append(entry)
        if self.listing.paging.kind == "next":
            page.next_url = next_page_url(self.listing.paging.next, lookup_in(root), base, html=True)
        return page

