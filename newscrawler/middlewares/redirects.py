"""Follow redirects as Scrapy does, and refuse one whose Location is not a URL.

Scrapy 2.19's ``RedirectMiddleware`` parses the ``Location`` header with w3lib's
``safe_url_string`` and the standard library's ``urljoin``; a Location that does not parse
(``http://[``, a port out of range such as ``:99999``) raises their ``ValueError``, which reaches
the errback as is: a server's answer counted as a bug (``spider_exceptions/ValueError``, exit
status 3), and on a listing page the channel stopped. ``LocationRedirectMiddleware`` takes its
place (same order, same settings) and raises ``BadRedirect`` instead, logged with the URL and
the Location.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

logger = logging.getLogger(__name__)


class BadRedirect(IgnoreRequest):
    """A redirect whose Location header is not a URL that can be requested."""


class LocationRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware; a Location that does not parse is a BadRedirect."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except ValueError as exc:
            # Only a redirect's Location is parsed by the stock code (it returns any other response
            # untouched): outside one, a ValueError is nobody's input but a bug, and goes on as one.
            location = response.headers.get("Location")
            if location is None:
                raise
            shown = location.decode("latin-1")  # any bytes: a header is not UTF-8 by promise
            if self.crawler.stats:
                self.crawler.stats.inc_value("redirect/bad_location")
            logger.warning("Redirect %d from %s to an unusable Location %.200r (%s: %s); page skipped",
                           response.status, response.url, shown, type(exc).__name__, exc)
            raise BadRedirect(f"HTTP {response.status} to an unusable Location {shown[:200]!r} "
                              f"({type(exc).__name__}: {exc})") from exc
