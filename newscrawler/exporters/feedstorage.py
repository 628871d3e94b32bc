"""Scrapy's file feed storage for ``scrapy crawl -O``: a reader never sees half a feed.

Stock ``FileFeedStorage`` opens the target in place when the crawl starts, so a crawl that is
killed, or fills the disk, leaves a cut file where the last good feed was. Here ``-O`` writes a
hidden file beside the target and renames it over the target once the feed is complete
(exporters/files.Replacement); a write that fails (a full disk) abandons it, the target keeps
its last good feed, one ERROR line names it, and ``feedexport/write_failed`` makes the crawl's
exit status 1. ``-o`` (append) writes in place, as Scrapy does: appending is in place by nature.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage

from newscrawler.exporters.files import Replacement
from newscrawler.storage.causes import cause

logger = logging.getLogger(__name__)

WRITE_FAILED = "feedexport/write_failed"


class ReplacingFileFeedStorage(FileFeedStorage):
    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.replacement: Replacement | None = None
        self.said = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
                     ) -> ReplacingFileFeedStorage:
        storage = cls(uri, feed_options=feed_options, crawler=crawler)
        # A feed whose closing failed before store() (its last bytes did not fit) is never stored:
        # its hidden file is dropped once the engine stops.
        crawler.signals.connect(storage.discard_unstored, signal=signals.engine_stopped)
        return storage

    def open(self, spider: Any) -> IO[bytes]:
        if self.write_mode != "wb":
            return super().open(spider)
        try:
            self.replacement = Replacement(Path(self.path), devices=True)
        except OSError as exc:  # a folder at the path, no permission: no feed this crawl
            self.failed(exc)
            raise
        # Told at once, so that the crawl's stats and exit status say it (the feed is abandoned).
        self.replacement.file.on_failure = self.failed
        return self.replacement.file

    def store(self, file: IO[bytes]) -> None:
        if self.replacement is None:
            file.close()
            return
        replacement, self.replacement = self.replacement, None
        try:
            replacement.commit()
        except OSError as exc:
            self.failed(exc)
            raise

    def failed(self, exc: OSError) -> None:
        """Said once per feed: the first failure is the cause, the rest follow from it."""
        if self.said:
            return
        self.said = True
        logger.error("Feed %s not written, the file keeps what it held: %s", self.path, cause(exc))
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(WRITE_FAILED)

    def discard_unstored(self) -> None:
        if self.replacement is None or self.replacement.done:
            return
        replacement, self.replacement = self.replacement, None
        error = replacement.file.failed or OSError("the feed was never completed")
        replacement.abort()
        self.failed(error)
