"""The in-process crawls run on production's download stack, not a test-only one."""

from __future__ import annotations

import sys

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from twisted.internet.asyncioreactor import AsyncioSelectorReactor

from newscrawler.downloader.handler import GuardedPool, HeadLimitedDownloadHandler
from newscrawler.replica.server import ReplicaServer
from tests.crawling import crawl


def test_asyncio_reactor_and_default_http_handler(via_replica: ReplicaServer) -> None:
    result = crawl({"ITEM_PIPELINES": {}}, cids="1", pages="1")
    assert result.items, "nothing crawled"
    from twisted.internet import reactor

    assert isinstance(reactor, AsyncioSelectorReactor)
    handlers = result.crawler.engine.downloader.handlers._handlers  # the handlers the crawl used
    # Scrapy's own HTTP/1.1 handler, its connections guarded (newscrawler/downloader/handler.py).
    for scheme in ("http", "https"):
        assert type(handlers[scheme]) is HeadLimitedDownloadHandler
        assert isinstance(handlers[scheme], HTTP11DownloadHandler)
    assert isinstance(handlers["http"]._pool, GuardedPool)  # the guard is where Scrapy takes its connections
    assert "scrapy.core.downloader.handlers._aiohttp" not in sys.modules
