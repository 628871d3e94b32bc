"""The bounded frontier: article pages go before more listing pages, across hosts."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.test import get_crawler

from newscrawler.scheduler.frontier import DETAIL_PRIORITY, DetailsFirstPriorityQueue
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests import oracle
from tests.crawling import crawl

LISTING = "http://api.1sapp.com/content/outList?cid={}&page=1"


class FakeDownloader:
    """Slots are hosts; ``active`` says how many downloads each has in flight."""

    def __init__(self, active: dict[str, int]) -> None:
        self.slots = {host: SimpleNamespace(active=[None] * n) for host, n in active.items()}

    def get_slot_key(self, request: Request) -> str:
        return request.url.split("/")[2]


def queue(active: dict[str, int]) -> DetailsFirstPriorityQueue:
    crawler = get_crawler()
    crawler.engine = SimpleNamespace(downloader=FakeDownloader(active))
    return DetailsFirstPriorityQueue.from_crawler(crawler, FifoMemoryQueue, key="")


def detail(host: str, n: int) -> Request:
    return Request(f"http://{host}/detail/{n}.html", priority=DETAIL_PRIORITY)


def test_details_go_before_listing_pages_of_a_quieter_host() -> None:
    # The listing host has nothing in flight: Scrapy's own queue would pick it first.
    pq = queue({"api.1sapp.com": 0, "html2.qktoutiao.com": 3, "html.shehuitu.com": 1})
    pq.push(Request(LISTING.format(1)))
    pq.push(Request(LISTING.format(2)))
    for n in range(3):
        pq.push(detail("html2.qktoutiao.com", n))
    pq.push(detail("html.shehuitu.com", 9))
    assert pq.peek().url == "http://html.shehuitu.com/detail/9.html"  # the less busy article host
    popped = [pq.pop().url for _ in range(len(pq))]
    assert popped[:4] == ["http://html.shehuitu.com/detail/9.html"] + [
        f"http://html2.qktoutiao.com/detail/{n}.html" for n in range(3)]
    assert popped[4:] == [LISTING.format(1), LISTING.format(2)]
    assert pq.pop() is None and len(pq) == 0


def test_equal_priorities_still_spread_over_hosts() -> None:
    pq = queue({"a.example": 2, "b.example": 0})
    for n in range(2):
        pq.push(detail("a.example", n))
        pq.push(detail("b.example", n))
    assert pq.pop().url.startswith("http://b.example/")


class PendingProbe:
    """Most requests that waited in the scheduler at once, over a crawl."""

    most = 0

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        PendingProbe.most = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PendingProbe:
        probe = cls(crawler)
        crawler.signals.connect(probe.request_reached_downloader, signal=signals.request_reached_downloader)
        return probe

    def request_reached_downloader(self, **kwargs: Any) -> None:
        waiting = self.stats.get_value("scheduler/enqueued", 0) - self.stats.get_value("scheduler/dequeued", 0)
        PendingProbe.most = max(PendingProbe.most, waiting)


@pytest.fixture
def deep_replica(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplicaServer]:
    """Channels with many listing pages: an unbounded frontier would hold most of the site."""
    server = serve_in_thread(0, ReplicaConfig(channels=4, pages=20, per_page=10))
    monkeypatch.setenv("http_proxy", server.url)
    yield server
    server.shutdown()
    server.server_close()


def test_crawl_keeps_about_one_listing_page_per_channel_waiting(deep_replica: ReplicaServer) -> None:
    result = crawl({"ITEM_PIPELINES": {}, "EXTENSIONS": {PendingProbe: 0}}, pages="20", limit="10",
                   cids=",".join(map(str, deep_replica.site.channels)))
    expected = oracle.expected(deep_replica.site, limit=10, pages=20)["emitted"]
    assert {item.source_id for item in result.items} == expected
    assert len(expected) > 600
    # Four channels of ten entries per page: what one round of listing pages releases.
    assert 0 < PendingProbe.most <= 4 * 10 + 4
