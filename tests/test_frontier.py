"""The bounded frontier: article pages go before more listing pages, across hosts, in one process
and on a shared Valkey frontier alike (newscrawler/scheduler/priorities.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from scrapy import signals
from scrapy.crawler import Crawler

from newscrawler.replica.server import ReplicaServer
from newscrawler.replica.site import ReplicaConfig
from tests import oracle
from tests.crawling import crawl, proxy_through


class PendingProbe:
    """Most requests that waited in the scheduler at once, over a crawl."""

    most = 0
    suffix = ""  # "/redis": scrapy-redis's scheduler counts scheduler/enqueued/redis

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        PendingProbe.most = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PendingProbe:
        probe = cls(crawler)
        crawler.signals.connect(probe.request_reached_downloader, signal=signals.request_reached_downloader)
        return probe

    def request_reached_downloader(self, **kwargs: Any) -> None:
        enqueued, dequeued = (self.stats.get_value(f"scheduler/{step}{self.suffix}", 0)
                              for step in ("enqueued", "dequeued"))
        PendingProbe.most = max(PendingProbe.most, enqueued - dequeued)


@pytest.fixture
def slow_articles(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplicaServer]:
    """Channels with many listing pages, and article pages slower than listing pages (20 ms each):
    a frontier whose listing pages run ahead would hold most of the site."""
    server = ReplicaServer(0, ReplicaConfig(channels=4, pages=20, per_page=10), detail_delay=0.02)
    threading.Thread(target=server.serve_forever, name="replica", daemon=True).start()
    proxy_through(monkeypatch, server.url)
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("distributed", [False, True], ids=["one process", "Valkey frontier"])
def test_crawl_keeps_about_one_listing_page_per_channel_waiting(
    slow_articles: ReplicaServer, distributed: bool, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings: dict[str, Any] = {"ITEM_PIPELINES": {}, "EXTENSIONS": {PendingProbe: 0}}
    if distributed:  # scrapy-redis's shared queue, scored by the same request priorities
        valkey_url = request.getfixturevalue("valkey_url")
        redis.Redis.from_url(valkey_url).flushall()
        settings.update(REDIS_URL=valkey_url, REDIS_IDLE_CLOSE=0.5)
        monkeypatch.setattr(PendingProbe, "suffix", "/redis")
    result = crawl(settings, pages="20", limit="10", cids=",".join(map(str, slow_articles.site.channels)))
    expected = oracle.expected(slow_articles.site, limit=10, pages=20)["emitted"]
    assert {item.source_id for item in result.items} == expected
    assert len(expected) > 600
    # Four channels of ten entries per page: what one round of listing pages releases.
    # (Scrapy's default queue, which orders by priority within each host only, let 340 wait.)
    assert 0 < PendingProbe.most <= 4 * 10 + 4
