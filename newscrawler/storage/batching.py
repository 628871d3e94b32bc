"""Batching for the store stage: a buffer, one flush at a time, and no background task left unwatched."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

Flush = Callable[[list[dict[str, Any]]], Awaitable[None]]


class Batcher:
    """Collects documents and hands full batches to ``write``, one batch at a time.

    Flushes started by a timer or the idle signal run as tasks kept in ``tasks`` until they end;
    an exception in one is logged and counted, and ``drain`` waits for all of them at close.
    """

    def __init__(self, size: int, write: Flush, stats: StatsCollector) -> None:
        self.size = size
        self.write = write
        self.stats = stats
        self.buffer: list[dict[str, Any]] = []
        self.lock = asyncio.Lock()
        self.last_flush = time.monotonic()
        self.tasks: set[asyncio.Task[None]] = set()

    async def add(self, doc: dict[str, Any]) -> None:
        self.buffer.append(doc)
        if len(self.buffer) >= self.size:
            await self.flush()

    def idle_for(self) -> float:
        return time.monotonic() - self.last_flush

    async def flush(self) -> None:
        async with self.lock:
            batch, self.buffer = self.buffer, []
            self.last_flush = time.monotonic()
            if batch:
                await self.write(batch)

    def flush_soon(self) -> None:
        """Start a flush from a synchronous caller (timer, signal), keeping a reference to it."""
        if not self.buffer:
            return
        task = asyncio.get_running_loop().create_task(self.flush())
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            self.stats.inc_value("store/flush_errors/cancelled")
            logger.error("A background flush of the store stage was cancelled")
            return
        exc = task.exception()
        if exc is not None:
            self.stats.inc_value(f"store/flush_errors/{type(exc).__name__}")
            logger.error("A background flush of the store stage failed", exc_info=exc)

    async def drain(self) -> None:
        """Wait for running background flushes, then write what is left."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        await self.flush()
