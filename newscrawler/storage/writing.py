"""Retries and the outage window of the store stage: when to try the store, and when not to."""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timezone
from typing import Any

from scrapy.statscollectors import StatsCollector

from newscrawler.storage.base import Store, StoreGone, WriteResult
from newscrawler.storage.isolation import is_outage, write_isolated

logger = logging.getLogger(__name__)


class StoreDown(Exception):
    """The store failed every attempt, or failed moments ago: spool the batch.

    ``lasting``: the store cannot come back in this crawl (its file is gone), which was logged once.
    """

    def __init__(self, message: str, lasting: bool = False) -> None:
        super().__init__(message)
        self.lasting = lasting


class RetryingWriter:
    """Writes a batch with retries and backoff; after a batch fails every attempt, the store
    counts as down for ``outage_cooldown`` seconds so later batches spool at once."""

    def __init__(self, store: Store, stats: StatsCollector, attempts: int, backoff: float,
                 outage_cooldown: float) -> None:
        self.store = store
        self.stats = stats
        self.attempts = attempts
        self.backoff = backoff
        self.outage_cooldown = outage_cooldown
        self.down_until = 0.0
        self.down_because = "the store failed moments ago"

    def is_down(self) -> bool:
        return time.monotonic() < self.down_until

    def write(self, batch: list[dict[str, Any]]) -> WriteResult:
        """Store ``batch`` (bad documents come back as rejected); StoreDown when the store fails."""
        if self.is_down():
            raise StoreDown(self.down_because, lasting=self.down_until == math.inf)
        error: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                return write_isolated(self.store, batch, datetime.now(timezone.utc))
            except StoreGone as exc:
                self.gone(exc)
                raise StoreDown(str(exc), lasting=True) from exc
            except Exception as exc:  # noqa: BLE001 - an outage is retried; anything else is a bug, raised
                if not is_outage(exc):
                    raise
                error = exc
            self.stats.inc_value("store/write_errors")
            logger.warning("Write of %d articles to %s failed (attempt %d/%d): %s",
                           len(batch), self.store.description, attempt, self.attempts, error)
            if attempt < self.attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        self.down_until = time.monotonic() + self.outage_cooldown
        raise StoreDown(str(error)) from error

    def gone(self, exc: StoreGone) -> None:
        """The store's file went away: one ERROR line, and every batch from now on is spooled."""
        self.down_until = math.inf
        self.down_because = str(exc)
        self.stats.set_value("store/file_gone", 1)
        logger.error("%s. The articles of this batch and of every later one go to the dead-letter file: "
                     "run `scrapy replay` once the store is back", exc)  # the one ERROR line; spooling warns
