"""The ``feed`` listing kind: RSS 0.9x, 1.0 and 2.0 and Atom, parsed by feedparser.

feedparser gives every dialect one shape (``entries[].link``, ``content``, ``published_parsed``
in UTC …), which the profile's JMESPath rules read. Its XML parser refuses external entities
and stops entity amplification (billion laughs). JSON Feed is JSON: the ``json`` kind reads it
(``sources/feeds.py``), since feedparser 6.0 does not.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import feedparser
from scrapy.http import Response
from w3lib.encoding import resolve_encoding

from newscrawler.pages.entries import EntryReader, ListingError, ListingPage, lookup_in, next_page_url
from newscrawler.sources.profile import SourceProfile
from newscrawler.webencodings import fallback_encoding, is_web_encoding

logger = logging.getLogger(__name__)


class FeedListing:
    """One profile's feed pages; built once per crawl."""

    def __init__(self, profile: SourceProfile) -> None:
        self.listing = profile.listing
        self.reader = EntryReader(profile, html=False)

    def parse_response(self, response: Response, now: datetime) -> ListingPage:
        """One feed response, as bytes: feedparser finds its encoding (XML declaration, BOM, header)."""
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        return self.parse(response.body, response.url, now, content_type)

    def parse(self, body: bytes, url: str, now: datetime | None = None, content_type: str = "") -> ListingPage:
        """Entries of one feed document; ListingError when it holds no feed."""
        if not isinstance(body, bytes):
            # feedparser reads a str as a URL or a file name to open: only ever hand it bytes.
            raise TypeError("a feed is parsed from bytes")
        if not body.strip():
            raise ListingError("empty_body", "empty body")
        # Never fetches: bytes in. Relative links resolve against the feed's URL; sanitizing is
        # the body stage's job (nh3), and feedparser's sanitizer would drop lazy-image attributes.
        parsed = feedparser.parse(
            body, response_headers={"content-location": url, "content-type": content_type}, sanitize_html=False,
        )
        page = ListingPage()
        used = parsed.get("encoding")
        if used and not is_web_encoding(resolve_encoding(used)):
            # A charset no browser reads (UTF-7 turns "+ADw-script+AD4-" into "<script>"): read as the
            # charset middleware reads such a page, given as the header's charset, which wins over
            # the XML declaration.
            codec, source = fallback_encoding(body)
            logger.warning("Feed %s declares charset %r, which browsers do not read; decoded as %s (%s)",
                           url, used, codec, source)
            page.problems["recovered/unusable_charset"] += 1
            mime = content_type.partition(";")[0].strip() or "application/xml"
            parsed = feedparser.parse(body, response_headers={"content-location": url,
                                                              "content-type": f"{mime}; charset={codec}"},
                                      sanitize_html=False)
        if not parsed.entries:
            if parsed.version:
                return page  # a feed with no entries (yet): nothing more to read
            detail = f" ({parsed.get('bozo_exception')})" if parsed.bozo else ""
            raise ListingError("not_a_feed", f"no RSS or Atom feed in the response{detail}")
        if parsed.bozo:
            # A truncated or sloppy feed that feedparser's lenient parser could still read.
            page.problems["recovered/malformed_feed"] += 1
        now = now or datetime.now(timezone.utc)
        for item in parsed.entries:
            # A plain dict: FeedParserDict maps legacy keys (updated_parsed <-> published_parsed)
            # with warnings; the profile's fallbacks say which key is read.
            raw = dict(item)
            if any(rule.search(raw) for rule in self.listing.skip):
                page.skipped += 1
                continue
            entry = self.reader.read(lookup_in(raw), url, now, page.problems)
            if entry is None:
                page.invalid += 1
            else:
                page.entries.append(entry)
        if self.listing.paging.kind == "next":
            page.next_url = next_page_url(self.listing.paging.next, lookup_in({"feed": parsed.feed}), url, html=False)
        return page

