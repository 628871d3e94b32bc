"""Scrapy's HTTP/1.1 download handler, with the response head bounded (see headerguard.py).

Scrapy 2.19 has no setting or hook for the size of a response head, and its
``HTTP11DownloadHandler`` takes no endpoint, agent or connection pool from outside: it
builds its ``HTTPConnectionPool`` in ``__init__`` and keeps it in ``self._pool``. This
subclass reads that one private attribute, once, and puts a stand-in in front of the pool
that hands every new connection a ``HeadGuard`` through the pool's public
``getConnection(key, endpoint)``. Everything else (proxies, TLS, DOWNLOAD_MAXSIZE,
timeouts, signals, Scrapy's lenient header parsing) is Scrapy's own handler, unchanged.
If a Scrapy upgrade renames the attribute, the handler refuses to start with a message
saying so: Scrapy logs it and drops http and https, so nothing is fetched unguarded, the
crawl fails its monitors (exit status 1), and tests/test_download_stack.py fails first.

``HeadLimitsAddon`` (``ADDONS``) puts the handler in ``DOWNLOAD_HANDLERS`` and checks the size
limits it reads before Scrapy builds its handlers: Scrapy only logs a handler that fails to
build, and drops its schemes, where a bad limit must stop the crawl at start in one line.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web.client import HTTPConnectionPool, ResponseFailed

from newscrawler.checks import positive_int, setting
from newscrawler.downloader.headerguard import GuardedEndpoint, HeadLimits, ResponseHeadersTooLarge

# Byte and line counts the handler reads, each a whole number above 0: its own two limits, and
# Scrapy's body limits, which its HTTP/1.1 handler (and HttpCompressionMiddleware) enforce.
LIMITS = ("DOWNLOAD_MAXHEADERSIZE", "DOWNLOAD_MAXHEADERS", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE")


class GuardedPool:
    """Stands in for Scrapy's connection pool: new connections come guarded, the rest is the pool's."""

    def __init__(self, pool: HTTPConnectionPool, limits: HeadLimits) -> None:
        self.pool = pool
        self.limits = limits

    def getConnection(self, key: Hashable, endpoint: IStreamClientEndpoint) -> Deferred[Any]:
        # The endpoint is only used when the pool has no idle connection for this key.
        return self.pool.getConnection(key, GuardedEndpoint(endpoint, self.limits))

    def __getattr__(self, name: str) -> Any:
        # Twisted's Agent reads pool.persistent; Scrapy calls closeCachedConnections().
        return getattr(self.pool, name)


def refused_head(error: DownloadFailedError) -> ResponseHeadersTooLarge | None:
    """The guard's verdict inside the error Scrapy made of Twisted's ResponseFailed, if it is one."""
    cause = error.__cause__
    if isinstance(cause, ResponseFailed):
        for reason in cause.reasons:
            if reason.check(ResponseHeadersTooLarge):
                return reason.value
    return None


class HeadLimitedDownloadHandler(HTTP11DownloadHandler):
    """HTTP/1.1 downloads whose response heads stay under DOWNLOAD_MAXHEADERSIZE and DOWNLOAD_MAXHEADERS."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        limits = HeadLimits(
            max_bytes=setting(settings, "DOWNLOAD_MAXHEADERSIZE", positive_int),
            max_lines=setting(settings, "DOWNLOAD_MAXHEADERS", positive_int),
        )
        # The one private name (see the module docstring): Scrapy offers no public way to it.
        pool = getattr(self, "_pool", None)
        if not isinstance(pool, HTTPConnectionPool):
            raise RuntimeError(
                "HeadLimitedDownloadHandler: this Scrapy version keeps no HTTPConnectionPool in "
                "HTTP11DownloadHandler._pool, so response heads cannot be bounded; update "
                "newscrawler/downloader/handler.py for it (or use Scrapy's own header limit, if it has one)"
            )
        self._pool = GuardedPool(pool, limits)

    async def download_request(self, request: Request) -> Response:
        try:
            return await super().download_request(request)
        except DownloadFailedError as exc:
            refused = refused_head(exc)
            if refused is None:
                raise
            # Not a DownloadFailedError any more: a head too large would be too large again,
            # so RetryMiddleware leaves it alone, as it does DOWNLOAD_MAXSIZE's cancellations.
            raise refused from exc


class HeadLimitsAddon:
    """``HeadLimitedDownloadHandler`` for http and https, its limits checked before any handler is built."""

    def update_settings(self, settings: BaseSettings) -> None:
        for name in LIMITS:
            setting(settings, name, positive_int)
        handler = f"{HeadLimitedDownloadHandler.__module__}.{HeadLimitedDownloadHandler.__qualname__}"
        for scheme in ("http", "https"):
            # At the add-ons' priority: DOWNLOAD_HANDLERS in settings.py or -s still wins.
            settings["DOWNLOAD_HANDLERS"].set(scheme, handler, "addon")
