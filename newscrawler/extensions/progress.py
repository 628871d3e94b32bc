"""ProgressLog: a one-line crawl summary every PROGRESS_LOG_INTERVAL seconds, like Scrapy's LogStats."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call

from newscrawler.extensions.monitors import prefixed_total

logger = logging.getLogger(__name__)


def progress_line(stats: Mapping[str, Any]) -> str:
    """What an operator tailing the log wants to know, from the crawl's stats.

    >>> progress_line({"qutoutiao/listing/pages": 12, "store/new": 80, "store/updated": 3,
    ...                "qutoutiao/detail/error/http_404": 1, "item_dropped_count": 2})
    'Progress: 12 listing pages, 83 articles stored (80 new, 3 updated, 0 unchanged), 1 errors (0 listing, 1 detail), 2 dropped, 0 dead-lettered, 0 lost'
    """
    new, updated, unchanged = (stats.get(f"store/{k}", 0) for k in ("new", "updated", "unchanged"))
    listing_errors = prefixed_total(stats, "qutoutiao/listing/error/")
    detail_errors = prefixed_total(stats, "qutoutiao/detail/error/")
    return (
        f"Progress: {stats.get('qutoutiao/listing/pages', 0)} listing pages, "
        f"{new + updated + unchanged} articles stored ({new} new, {updated} updated, {unchanged} unchanged), "
        f"{listing_errors + detail_errors} errors ({listing_errors} listing, {detail_errors} detail), "
        f"{stats.get('item_dropped_count', 0)} dropped, {stats.get('store/deadlettered', 0)} dead-lettered, "
        f"{stats.get('store/lost', 0)} lost"
    )


class ProgressLog:
    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat("PROGRESS_LOG_INTERVAL")
        if interval <= 0:
            raise NotConfigured("PROGRESS_LOG_INTERVAL is 0")
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def log(self) -> None:
        logger.info("%s", progress_line(self.stats.get_stats()))

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log()  # the final figures, next to the monitors' report
