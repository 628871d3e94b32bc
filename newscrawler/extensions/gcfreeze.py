"""Keep the garbage collector off the objects the crawl starts with.

By the time the spider opens, the process holds a few hundred thousand objects that live as
long as it does (modules, Scrapy's components, lxml, the source profiles). Each collection of
the oldest generation walks them all again: about a tenth of the crawl's CPU on the instant
replica (README "Performance"). ``gc.freeze()`` at spider_opened moves them to the permanent
generation, after one collection so that no garbage is frozen; ``gc.unfreeze()`` at
spider_closed gives them back, so a process that runs several crawls (the tests) frees what
the earlier ones left.
"""

from __future__ import annotations

import gc
import logging

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class FreezeStartupObjects:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FreezeStartupObjects:
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        gc.collect()
        gc.freeze()
        logger.debug("%d objects of the start-up left out of garbage collection", gc.get_freeze_count())

    def spider_closed(self) -> None:
        gc.unfreeze()
