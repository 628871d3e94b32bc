"""Incremental crawling: a spider middleware that skips articles stored by earlier runs.

In the way of zyte-spider-templates' ``IncrementalCrawlMiddleware``: it sees the
whole output of one listing page, asks the configured store once which of the
page's articles it holds, and drops their detail requests. The spider only
marks its requests (``meta``); it knows nothing of stores or pipelines.

- A request with ``meta[STORE_ID_META]`` fetches the article stored under that
  id. It is dropped (stat ``incremental/skipped``) when the store held that id
  before this crawl. Ids requested during this crawl are left to Scrapy's
  dupefilter, which is the one to say "already fetched".
- A request with ``meta[NEXT_PAGE_META]`` continues a listing. When every
  marked article of its page was stored by an earlier run, the listing is
  caught up and the request is dropped (stat ``incremental/listing_stopped``).
  Articles stored by this very crawl (a channel re-listing what another one
  just listed) never count, so the rule cannot fire on a first crawl.
  ``INCREMENTAL_STOP_AT_KNOWN_PAGE = False`` turns this rule off.

``INCREMENTAL_CRAWL_ENABLED`` (default on) turns it on; ``-a refresh=1`` makes
the spider leave its requests unmarked, so every article is fetched again.

The store is asked in a thread of the middleware's own, never on the reactor thread: on
MongoDB, server selection alone can take seconds, and the crawl must go on meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawler.signals import run_rejoined
from newscrawler.storage import Store, open_store
from newscrawler.storage.isolation import is_outage

logger = logging.getLogger(__name__)

# The store id (``<source>:<source_id>``) of the article a request fetches.
STORE_ID_META = "store_id"
# True on a request for the next page of a listing.
NEXT_PAGE_META = "next_listing_page"


class IncrementalCrawlMiddleware:
    def __init__(self, crawler: Crawler, stop_listings: bool) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.stop_listings = stop_listings
        self.store: Store | None = None
        self.requested: set[str] = set()  # ids let through during this crawl
        self.broken = False  # the store failed to answer once: fetch everything from then on
        # One thread: the lookups take turns there, and the store's connection is never used by
        # two threads at once (the store stage writes through a handle of its own).
        self.lookups = ThreadPoolExecutor(max_workers=1, thread_name_prefix="incremental-lookups")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalCrawlMiddleware:
        if not crawler.settings.getbool("INCREMENTAL_CRAWL_ENABLED"):
            raise NotConfigured("INCREMENTAL_CRAWL_ENABLED is off: known articles are fetched again")
        middleware = cls(crawler, crawler.settings.getbool("INCREMENTAL_STOP_AT_KNOWN_PAGE"))
        # A read handle of its own (the store pipeline writes through another), opened
        # here so that a bad store setting stops the crawl at start.
        middleware.store = open_store(crawler.settings)
        logger.info("Incremental crawl: skipping articles already in %s", middleware.store.description)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.run_rejoined, signal=run_rejoined)
        return middleware

    def run_rejoined(self) -> None:
        """The run's fingerprints may be gone: ask the store about every article from now on."""
        self.requested.clear()

    async def spider_closed(self) -> None:
        if self.store is not None:
            store, self.store = self.store, None
            # On the lookups' thread, after any lookup still queued there.
            await asyncio.get_running_loop().run_in_executor(self.lookups, store.close)
        self.lookups.shutdown(wait=False)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for output in await self.drop_stored(response, [output async for output in result]):
            yield output

    async def drop_stored(self, response: Response, outputs: list[Any]) -> list[Any]:
        """The outputs of one callback minus what earlier runs stored."""
        marked = [o for o in outputs if isinstance(o, Request) and o.meta.get(STORE_ID_META)]
        if not marked:
            return outputs
        ids = {request.meta[STORE_ID_META] for request in marked}
        stored_before = await self.stored_before(response.url, ids - self.requested)
        self.requested |= ids - stored_before
        if stored_before:
            self.stats.inc_value("incremental/skipped", sum(r.meta[STORE_ID_META] in stored_before for r in marked))
        caught_up = self.stop_listings and stored_before == ids
        kept = []
        for output in outputs:
            if isinstance(output, Request):
                if output.meta.get(STORE_ID_META) in stored_before:
                    continue
                if caught_up and output.meta.get(NEXT_PAGE_META):
                    self.stats.inc_value("incremental/listing_stopped")
                    logger.info("Every article on %s was stored by an earlier crawl: not following %s",
                                response.url, output.url)
                    continue
            kept.append(output)
        return kept

    async def stored_before(self, url: str, ids: set[str]) -> set[str]:
        """Which of ``ids`` the store holds (none of them was requested by this crawl)."""
        store = self.store
        if not ids or store is None or self.broken:
            return set()
        try:
            return await asyncio.get_running_loop().run_in_executor(self.lookups, store.known_ids, sorted(ids))
        except Exception as exc:  # noqa: BLE001 - any failure: fetch rather than lose articles
            self.broken = True
            self.stats.inc_value("incremental/store_errors")
            bug = not is_outage(exc)
            if bug:  # not the store failing: counted as Scrapy counts a spider middleware's bug (exit status 3)
                self.stats.inc_value("spider_exceptions/count")
                self.stats.inc_value(f"spider_exceptions/{type(exc).__name__}")
            logger.error("Could not ask %s which articles of %s it holds (%s: %s); fetching every article "
                         "for the rest of this crawl", store.description, url, type(exc).__name__, exc,
                         exc_info=exc if bug else None)
            return set()
