"""Store stage: batched upserts into the configured store; failures spool to dead-letter files."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import datetime, timezone
from typing import Any

from pymongo.errors import PyMongoError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

from newscrawler.batchsize import store_batch_size
from newscrawler.storage import Store, open_store
from newscrawler.storage.deadletter import DeadLetter
from newscrawler.storage.documents import to_document

logger = logging.getLogger(__name__)

STORE_ERRORS = (PyMongoError, sqlite3.Error, OSError)


class StorePipeline:
    def __init__(
        self, crawler: Crawler, batch_size: int, flush_interval: float, attempts: int, backoff: float,
        outage_cooldown: float,
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.attempts = attempts
        self.backoff = backoff
        self.outage_cooldown = outage_cooldown
        self.down_until = 0.0  # after a failed batch, spool at once instead of waiting on timeouts
        self.deadletter = DeadLetter(crawler.settings.get("DEADLETTER_DIR"))
        self.store: Store | None = None
        self.buffer: list[dict[str, Any]] = []
        self.lock = asyncio.Lock()
        self.last_flush = time.monotonic()
        self.timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            batch_size=store_batch_size(settings),
            flush_interval=settings.getfloat("STORE_FLUSH_INTERVAL"),
            attempts=max(1, settings.getint("STORE_WRITE_ATTEMPTS")),
            backoff=settings.getfloat("STORE_RETRY_BACKOFF"),
            outage_cooldown=settings.getfloat("STORE_OUTAGE_COOLDOWN"),
        )
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    def open_spider(self) -> None:
        self.store = open_store(self.crawler.settings)
        logger.info("Storing articles in %s (dead letters: %s)", self.store.description, self.deadletter.directory)
        if self.flush_interval > 0:
            self.timer = create_looping_call(self.flush_if_due)
            self.timer.start(self.flush_interval, now=False)

    async def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        await self.flush()
        if self.store is not None:
            self.store.close()

    async def process_item(self, item: Any) -> Any:
        self.buffer.append(to_document(item))
        if len(self.buffer) >= self.batch_size:
            await self.flush()
        return item

    def flush_if_due(self) -> None:
        """Timer: a slow crawl still reaches the store every few seconds."""
        if self.buffer and time.monotonic() - self.last_flush >= self.flush_interval:
            asyncio.ensure_future(self.flush())

    def spider_idle(self) -> None:
        if self.buffer:
            asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        async with self.lock:
            batch, self.buffer = self.buffer, []
            self.last_flush = time.monotonic()
            if batch:
                # Off the reactor thread: retries sleep, and MongoDB may take seconds to answer.
                await asyncio.to_thread(self.write_batch, batch)

    def store_is_down(self) -> bool:
        return time.monotonic() < self.down_until

    def write_batch(self, batch: list[dict[str, Any]]) -> None:
        assert self.store is not None
        if self.store_is_down():
            self.spool(batch, "the store failed moments ago")
            return
        error: Exception | str | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                result = self.store.write(batch, datetime.now(timezone.utc))
            except STORE_ERRORS as exc:
                error = exc
                self.stats.inc_value("store/write_errors")
                logger.warning("Write of %d articles to %s failed (attempt %d/%d): %s",
                               len(batch), self.store.description, attempt, self.attempts, exc)
                if attempt < self.attempts:
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            self.stats.inc_value("store/new", result.new)
            self.stats.inc_value("store/updated", result.updated)
            self.stats.inc_value("store/unchanged", result.unchanged)
            return
        self.down_until = time.monotonic() + self.outage_cooldown
        self.spool(batch, error)

    def spool(self, batch: list[dict[str, Any]], error: Exception | str | None) -> None:
        assert self.store is not None
        try:
            path = self.deadletter.append(batch)
        except OSError as exc:
            self.stats.inc_value("store/lost", len(batch))
            logger.critical("Could not store nor spool %d articles (%s): %s; ids: %s", len(batch), error, exc,
                            [d["id"] for d in batch])
            return
        self.stats.inc_value("store/deadlettered", len(batch))
        logger.error("Could not store %d articles in %s (%s); kept in %s. Run `python -m newscrawler replay`.",
                     len(batch), self.store.description, error, path)

    def known_ids(self, ids: list[str]) -> set[str]:
        """For the spider's incremental crawl; an unreachable store knows nothing."""
        if self.store is None or self.store_is_down():
            return set()
        try:
            return self.store.known_ids(ids)
        except STORE_ERRORS as exc:
            self.down_until = time.monotonic() + self.outage_cooldown
            self.stats.inc_value("store/known_ids_errors")
            logger.warning("Could not ask %s for known ids: %s", self.store.description, exc)
            return set()
