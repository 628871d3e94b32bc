"""Dead-letter spooling for the store stage: every document stored, spooled, or loudly lost."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy.statscollectors import StatsCollector

from newscrawler.storage.base import Rejected
from newscrawler.storage.causes import cause
from newscrawler.storage.deadletter import DeadLetter

logger = logging.getLogger(__name__)


class Spooler:
    def __init__(self, directory: str | Path, stats: StatsCollector, store_description: str = "the store") -> None:
        self.deadletter = DeadLetter(directory)
        self.stats = stats
        self.store_description = store_description

    def spool(self, batch: list[dict[str, Any]], error: object, noted: bool = False) -> None:
        """A batch the store could not take at all (down, locked, full); ``noted``: the store is
        gone for the rest of the crawl, which was logged once as an ERROR already."""
        if not self._append(batch, None, error):
            return
        self.stats.inc_value("store/deadlettered", len(batch))
        if noted:
            logger.warning("Kept %d articles in %s: the store is gone (see the ERROR above). Run `scrapy replay`.",
                           len(batch), self.deadletter.path)
            return
        logger.error("Could not store %d articles in %s (%s); kept in %s. Run `scrapy replay`.",
                     len(batch), self.store_description, error, self.deadletter.path)

    def reject(self, rejected: list[Rejected]) -> None:
        """Documents the store refused one by one; the rest of their batch is stored."""
        for item in rejected:
            if not self._append([item.doc], item.error, item.error):
                continue
            self.stats.inc_value(f"store/rejected/{item.reason}")
            logger.error("%s refused article %s (%s); kept in %s", self.store_description, item.doc.get("id"),
                         item.error, self.deadletter.path)

    def _append(self, docs: list[dict[str, Any]], note: str | None, error: object) -> bool:
        try:
            self.deadletter.append(docs, note)
        except (OSError, ValueError) as exc:  # ValueError: a document not even JSON can hold
            self.stats.inc_value("store/lost", len(docs))
            for doc in docs:
                logger.critical("Could not store nor spool article %s, it is LOST (store: %s; dead letters %s: %s)",
                                doc.get("id"), error, self.deadletter.path, cause(exc))
            return False
        return True
