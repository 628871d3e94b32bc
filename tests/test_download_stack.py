"""The in-process crawls run on production's download stack, not a test-only one."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from twisted.internet.asyncioreactor import AsyncioSelectorReactor

from newscrawler.downloader.handler import GuardedPool, HeadLimitedDownloadHandler
from newscrawler.replica.server import ReplicaServer
from tests.crawling import crawl


def test_asyncio_reactor_and_default_http_handler(via_replica: ReplicaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []  # the download handlers the crawl built
    guarded: list[Any] = []  # the connections it asked the guard for
    build, connect = HeadLimitedDownloadHandler.__init__, GuardedPool.getConnection

    def recording_build(handler: HeadLimitedDownloadHandler, crawler: Any) -> None:
        build(handler, crawler)
        built.append(handler)

    def recording_connect(pool: GuardedPool, key: Any, endpoint: Any) -> Any:
        guarded.append(key)
        return connect(pool, key, endpoint)

    monkeypatch.setattr(HeadLimitedDownloadHandler, "__init__", recording_build)
    monkeypatch.setattr(GuardedPool, "getConnection", recording_connect)
    result = crawl({"ITEM_PIPELINES": {}}, cids="1", pages="1")
    assert result.items, "nothing crawled"
    from twisted.internet import reactor

    assert isinstance(reactor, AsyncioSelectorReactor)
    # Scrapy's own HTTP/1.1 handler (newscrawler/downloader/handler.py), one for http and one for https...
    assert len(built) == 2 and all(isinstance(handler, HTTP11DownloadHandler) for handler in built)
    # ...and every request it downloaded took its connection through the guard.
    assert len(guarded) == result.stats["downloader/request_count"] > 0
    assert "scrapy.core.downloader.handlers._aiohttp" not in sys.modules
