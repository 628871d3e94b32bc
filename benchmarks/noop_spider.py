"""The no-op twin of the qutoutiao spider (its profile's): the same requests, nothing parsed, no items.

It knows the replica's site (``-a replica=CHANNELS,PAGES,PER_PAGE[,SEED]``, plus ``-a cids``,
``-a pages`` and ``-a limit`` as the real spider gets them), so the listing entries are read
once, before the crawl starts. During the crawl each listing response just releases that
page's detail requests and the next listing page, as the real spider would, with the same
priorities and the same duplicate filtering (canonical URLs). ``bench.py`` runs it with the
project's settings, adding it to SPIDER_MODULES.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from newscrawler.scheduler.fingerprints import CANONICAL_URL_META
from newscrawler.scheduler.priorities import DETAIL_PRIORITY
from newscrawler.pages.entries import ListingError
from newscrawler.pages.json_listing import JsonListing
from newscrawler.replica.site import ReplicaConfig, Site
from newscrawler.sources.registry import load_profiles


def replica_config(value: str) -> ReplicaConfig:
    """``"10,10,25"`` or ``"10,10,25,2016"`` as a ReplicaConfig."""
    return ReplicaConfig(*(int(part) for part in value.split(",")))


class NoopTwinSpider(scrapy.Spider):
    name = "qutoutiao_noop"

    def __init__(self, replica: str, cids: str, pages: str, limit: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = Site(replica_config(replica))
        self.cids = tuple(int(cid) for cid in cids.split(","))
        self.pages, self.limit = int(pages), int(limit)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NoopTwinSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        profile = load_profiles(crawler.settings.get("SOURCES_DIR")).get("qutoutiao")
        spider.list_url, spider.listing = profile.listing.url, JsonListing(profile)
        spider.plan = spider.read_plan()
        return spider

    def read_plan(self) -> dict[tuple[int, int], list[tuple[str, str]] | None]:
        """(url, canonical url) of each article entry per listing page; None past a channel's end."""
        plan: dict[tuple[int, int], list[tuple[str, str]] | None] = {}
        for cid in self.cids:
            for page in range(1, self.pages + 1):
                if not self.site.page_slots(cid, page, self.limit):
                    plan[cid, page] = None
                    break
                try:
                    listing = self.listing.parse(self.site.listing(cid, page, self.limit)[2], self.list_url)
                except ListingError:
                    plan[cid, page] = []  # the real spider logs it and goes on to the next page
                    continue
                plan[cid, page] = [(entry.url, entry.canonical_url) for entry in listing.entries]
        return plan

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for cid in self.cids:
            yield self.listing_request(cid, 1)

    def listing_request(self, cid: int, page: int) -> scrapy.Request:
        url = self.list_url.format(channel=cid, page=page, limit=self.limit)
        return scrapy.Request(url, callback=self.parse_listing, errback=self.failed, cb_kwargs={"cid": cid, "page": page})

    def parse_listing(self, response: Response, cid: int, page: int) -> Iterator[scrapy.Request]:
        details = self.plan.get((cid, page))
        for url, canonical in details or []:
            yield scrapy.Request(url, callback=self.parse_article, errback=self.failed,
                                 meta={CANONICAL_URL_META: canonical}, priority=DETAIL_PRIORITY)
        if details is not None and page < self.pages:
            yield self.listing_request(cid, page + 1)

    def parse_article(self, response: Response) -> Iterator[Any]:
        yield from ()

    def failed(self, failure: Any) -> None:
        pass
