"""Store stage: batched upserts into the configured store; failures spool to dead-letter files.

The stage only wires three parts together: batching (``storage.batching``), retries and the
outage window (``storage.writing``) and dead-letter spooling (``storage.spooling``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import create_looping_call

from newscrawler.checks import duration, positive_int, setting
from newscrawler.signals import forced_shutdown, run_rejoined
from newscrawler.storage import check_store_settings, open_store
from newscrawler.storage.base import WriteResult
from newscrawler.storage.batching import Batcher
from newscrawler.storage.batchsize import store_batch_size
from newscrawler.storage.documents import to_document
from newscrawler.storage.spooling import Spooler
from newscrawler.storage.writing import RetryingWriter, StoreDown

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(
        self, crawler: Crawler, batch_size: int, flush_interval: float, attempts: int, backoff: float,
        outage_cooldown: float,
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.flush_interval = flush_interval
        self.attempts = attempts
        self.backoff = backoff
        self.outage_cooldown = outage_cooldown
        self.batcher = Batcher(batch_size, self.write, self.stats)
        self.spooler = Spooler(crawler.settings.get("DEADLETTER_DIR"), self.stats)
        self.writer: RetryingWriter | None = None
        self.timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        check_store_settings(settings)  # the store opens with the spider: its settings fail here, at start
        pipeline = cls(
            crawler,
            batch_size=store_batch_size(settings),
            flush_interval=setting(settings, "STORE_FLUSH_INTERVAL", duration),  # 0: no periodic flush
            attempts=setting(settings, "STORE_WRITE_ATTEMPTS", positive_int),
            backoff=setting(settings, "STORE_RETRY_BACKOFF", duration),
            outage_cooldown=setting(settings, "STORE_OUTAGE_COOLDOWN", duration),
        )
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(pipeline.run_rejoined, signal=run_rejoined)
        crawler.signals.connect(pipeline.forced_shutdown, signal=forced_shutdown)
        return pipeline

    @property
    def store(self) -> Any:
        return self.writer.store if self.writer else None

    @store.setter
    def store(self, store: Any) -> None:
        """Swap the store (tests hand in stand-ins)."""
        assert self.writer is not None
        self.writer.store = store
        self.spooler.store_description = store.description

    def open_spider(self) -> None:
        store = open_store(self.crawler.settings)
        self.writer = RetryingWriter(store, self.stats, self.attempts, self.backoff, self.outage_cooldown)
        self.spooler.store_description = store.description
        logger.info("Storing articles in %s (dead letters: %s); %s", store.description,
                    self.spooler.deadletter.directory, store.durability)
        if self.flush_interval > 0:
            self.timer = create_looping_call(self.flush_if_due)
            self.timer.start(self.flush_interval, now=False)

    async def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        await self.batcher.drain()
        if self.writer is not None:
            self.writer.store.close()

    def forced_shutdown(self) -> int:
        """After a forced shutdown (a second Ctrl-C: close_spider never ran), spool the buffer."""
        batch, self.batcher.buffer = self.batcher.buffer, []
        if batch:
            self.spooler.spool(batch, "forced shutdown before this batch was written")
        return len(batch)

    async def process_item(self, item: Any) -> Any:
        try:
            doc = to_document(item)
        except Exception as exc:  # noqa: BLE001 - a bug: the article has no document to store or spool
            url = ItemAdapter(item).get("url")
            self.stats.inc_value("store/lost")
            logger.critical("Could not turn article %s into a document, it is LOST (%s: %s)", url,
                            type(exc).__name__, exc, exc_info=True)  # a bug: its traceback
            raise DropItem(f"store failed ({type(exc).__name__}: {exc}): {url}") from None
        await self.batcher.add(doc)
        return item

    def flush_if_due(self) -> None:
        """Timer: a slow crawl still reaches the store every few seconds."""
        if self.batcher.idle_for() >= self.flush_interval:
            self.batcher.flush_soon()

    def spider_idle(self) -> None:
        self.batcher.flush_soon()

    async def run_rejoined(self) -> None:
        """The run's listings are about to be fetched again: stored articles are skipped then, buffered ones not."""
        await self.batcher.flush()

    async def write(self, batch: list[dict[str, Any]]) -> None:
        # Off the reactor thread: retries sleep, and MongoDB may take seconds to answer.
        await asyncio.to_thread(self.write_batch, batch)

    def write_batch(self, batch: list[dict[str, Any]]) -> None:
        """Store, spool or (loudly) lose every document of ``batch``: nothing ends unaccounted."""
        assert self.writer is not None
        try:
            result = self.writer.write(batch)
        except StoreDown as exc:
            self.spooler.spool(batch, exc, noted=exc.lasting)
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not cost the batch: spool it with the cause
            # Counted as Scrapy counts an item pipeline's bug: the crawl exits 3.
            self.stats.inc_value("pipeline_exceptions/count")
            self.stats.inc_value(f"pipeline_exceptions/{type(exc).__name__}")
            logger.exception("Unexpected failure writing %d articles", len(batch))
            self.spooler.spool(batch, f"{type(exc).__name__}: {exc}")
            return
        self.count(result)
        self.spooler.reject(result.rejected)

    def count(self, result: WriteResult) -> None:
        for name in ("new", "updated", "unchanged"):
            self.stats.inc_value(f"store/{name}", getattr(result, name))
        if result.stale:  # rare in a crawl: only a concurrent crawl that wrote a newer copy first
            self.stats.inc_value("store/stale", result.stale)
