"""Spider middleware: no request is lost quietly.

A callback that raises is a bug: Scrapy's scraper logs its traceback and counts
``spider_exceptions/<Class>``, and ``scrapy crawl`` exits 3 (commands/crawl.py).
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware

from newscrawler.scheduler.fingerprints import CANONICAL_URL_META

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
