"""Count an exception raised in an item pipeline, as Scrapy counts one raised in a callback.

For a callback, Scrapy's scraper logs the traceback and counts ``spider_exceptions/count`` and
``spider_exceptions/<Class>``. For an item pipeline (Scrapy 2.19) it logs the traceback ("Error
processing …", ``LogFormatter.item_error``) and sends ``item_error``, but counts nothing: this
extension adds ``pipeline_exceptions/count`` and ``pipeline_exceptions/<Class>``. Known bad input
never raises (each stage drops it with its reason), so every count is a bug: ``scrapy crawl``
exits 3 (commands/crawl.py) and a close monitor fails (monitors.py).
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

# The prefixes of the bug counters, callbacks then pipelines; each has a ``count`` key.
BUG_STATS = ("spider_exceptions/", "pipeline_exceptions/")


class PipelineExceptionStats:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PipelineExceptionStats:
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def item_error(self, item: Any, failure: Failure) -> None:
        self.stats.inc_value("pipeline_exceptions/count")
        self.stats.inc_value(f"pipeline_exceptions/{type(failure.value).__name__}")
