"""Request fingerprints that see an article's canonical URL, not its tracking keys."""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy import Request
from scrapy.utils.request import fingerprint

# Requests carrying this meta key are deduplicated on its value instead of their URL.
CANONICAL_URL_META = "canonical_url"


class CanonicalRequestFingerprinter:
    """Scrapy's fingerprint, taken over ``meta["canonical_url"]`` where a request has one.

    Listings name one article with different ``key``/``pv_id`` strings per channel and
    page; the dupefilter (and scrapy-redis's shared one) must see one request.
    """

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> CanonicalRequestFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        hops = request.meta.get("redirect_times", 0)
        if hops:
            # A redirect is its own request at each hop: a loop of any length then reaches
            # REDIRECT_MAX_TIMES (counted, logged) instead of vanishing in the dupefilter.
            return hashlib.sha1(fingerprint(request) + b"redirect:%d" % hops).digest()
        canonical = request.meta.get(CANONICAL_URL_META)
        if canonical and canonical != request.url:
            return fingerprint(Request(canonical, method=request.method, body=request.body))
        return fingerprint(request)
