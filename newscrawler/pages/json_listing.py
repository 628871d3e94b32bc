"""The ``json`` listing kind: an API answer, read with the profile's JMESPath rules."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from scrapy.http import Response, TextResponse

from newscrawler.pages.entries import EntryReader, ListingError, ListingPage, lookup_in, next_page_url, text_field
from newscrawler.sources.profile import SourceProfile


class JsonListing:
    """One profile's JSON listing pages; built once per crawl.

    >>> from newscrawler.sources.profile import profile_from_data
    >>> listing = JsonListing(profile_from_data({"name": "news", "listing": {
    ...     "kind": "json", "url": "http://news.example/api/list/{page}", "entries": "payload", "fields": {
    ...         "id": "id", "url": "permalink", "published_at": {"path": "date", "format": "%Y/%m/%d"}}},
    ...     "article": {"body": "article"}, "hexo": {"categories": ["news"], "author": "news"}}, "news.yaml"))
    >>> page = listing.parse('{"payload": [{"id": 7, "title": "PM", "permalink": "/pmd/7.html", '
    ...                      '"date": "2021/07/08"}]}', "http://news.example/api/list/1")
    >>> entry = page.entries[0]
    >>> entry.source_id, entry.url, entry.published_at.isoformat()
    ('7', 'http://news.example/pmd/7.html', '2021-07-07T16:00:00+00:00')
    """

    def __init__(self, profile: SourceProfile) -> None:
        self.listing = profile.listing
        self.reader = EntryReader(profile, html=False)

    def parse_response(self, response: Response, now: datetime) -> ListingPage:
        """One listing response: text decoded by its declared charset, anything else read as UTF-8."""
        body = response.text if isinstance(response, TextResponse) else response.body
        return self.parse(body, response.url, now)

    def parse(self, body: str | bytes, url: str, now: datetime | None = None) -> ListingPage:
        """Entries of one page; ListingError when the page cannot be used at all."""
        doc = self.document(body)
        self.check_status(doc)
        assert self.listing.entries is not None  # a json profile has them (profile.py)
        raw_entries = self.listing.entries.search(doc)
        page = ListingPage()
        if raw_entries is None and not isinstance(doc, dict):
            raise ListingError("unexpected_shape", f"top level is a {type(doc).__name__}, not an object")
        if raw_entries is None or raw_entries == []:
            return page  # past the last page some APIs answer "data": [] or nothing
        if not isinstance(raw_entries, list):
            raise ListingError("unexpected_shape", f"{self.listing.entries.text} is a {type(raw_entries).__name__}, "
                                                   "not a list of entries")
        now = now or datetime.now(timezone.utc)
        for raw in raw_entries:
            if not isinstance(raw, dict):
                page.invalid += 1
                page.problems["invalid/entry"] += 1
            elif any(rule.search(raw) for rule in self.listing.skip):
                page.skipped += 1
            else:
                entry = self.reader.read(lookup_in(raw), url, now, page.problems)
                if entry is None:
                    page.invalid += 1
                else:
                    page.entries.append(entry)
        if self.listing.paging.kind == "next":
            page.next_url = next_page_url(self.listing.paging.next, lookup_in(doc), url, html=False)
        return page

    @staticmethod
    def document(body: str | bytes) -> Any:
        if isinstance(body, bytes):
            body = body.decode("utf-8-sig", errors="replace")
        if not body.strip():
            raise ListingError("empty_body", "empty body")
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
            raise ListingError("malformed_json", f"malformed JSON: {exc}") from None

    def check_status(self, doc: Any) -> None:
        """An API that says it refused (a code outside ``status.ok``): the channel stops there."""
        status = self.listing.status
        if status is None:
            return
        code = status.query.search(doc)
        if code is None:
            return  # captures without a code are answers too
        if text_field(code)[0] not in status.ok:
            message = text_field(status.message.search(doc))[0] if status.message else None
            raise ListingError("api_error", f"API {status.query.text} {code!r}: {message or ''}".rstrip(": "))

