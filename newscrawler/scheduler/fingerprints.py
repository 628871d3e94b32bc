"""Request fingerprints that see an article (its id and canonical URL), not its tracking keys."""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy import Request
from scrapy.utils.request import fingerprint

# Requests carrying this meta key are deduplicated on its value instead of their URL...
CANONICAL_URL_META = "canonical_url"
# ...and, with this one, on the id of the article they fetch as well.
ARTICLE_ID_META = "article_id"


class CanonicalRequestFingerprinter:
    """Scrapy's fingerprint, taken over ``meta["canonical_url"]`` and ``meta["article_id"]``.

    Listings name one article with different ``key``/``pv_id`` strings per channel and
    page; the dupefilter (and scrapy-redis's shared one) must see one request. Two ids
    listed with one URL are two articles: each is fetched and stored under its own id.
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
            url_print = fingerprint(Request(canonical, method=request.method, body=request.body))
        else:
            url_print = fingerprint(request)
        article = request.meta.get(ARTICLE_ID_META)
        if article:
            return hashlib.sha1(url_print + b"article:" + str(article).encode("utf-8", "surrogatepass")).digest()
        return url_print
