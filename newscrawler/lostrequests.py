"""Spider middleware: no request is lost quietly and no callback error escapes as a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware

from newscrawler.fingerprints import CANONICAL_URL_META

logger = logging.getLogger(__name__)


def request_kind(request: Request | None) -> str:
    """``detail`` for article pages (they carry their canonical URL), else ``listing``."""
    return "detail" if request is not None and CANONICAL_URL_META in request.meta else "listing"


class UrlLengthWarningMiddleware(UrlLengthMiddleware):
    """Scrapy's URL length limit, counted and logged at WARNING instead of INFO.

    Replaces ``UrlLengthMiddleware`` in SPIDER_MIDDLEWARES (same setting: URLLENGTH_LIMIT).
    """

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if len(request.url) <= self.maxlength:
            return request
        self.crawler.stats.inc_value(f"qutoutiao/{request_kind(request)}/error/url_too_long")
        logger.warning("Skipped %s: URL longer than URLLENGTH_LIMIT (%d > %d characters)",
                       request.url, len(request.url), self.maxlength)
        return None


class CallbackErrorMiddleware:
    """Turns an exception raised by a callback into a stat and one ERROR line, without traceback."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CallbackErrorMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any]:
        """A bug or a surprise in one page's callback: count it, name the URL, go on."""
        kind = request_kind(response.request)
        name = type(exception).__name__
        self.stats.inc_value(f"qutoutiao/{kind}/error/{name}")
        logger.error("Could not process %s page %s (%s: %s); skipped", kind, response.url, name, exception)
        return []
