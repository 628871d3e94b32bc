"""The objects a crawl starts with are out of garbage collection while it runs, and back after."""

from __future__ import annotations

import gc

import scrapy
from scrapy import signals
from scrapy.utils.test import get_crawler

from newscrawler.extensions.gcfreeze import FreezeStartupObjects
from tests.crawling import project_settings_dict


def test_startup_objects_frozen_while_the_spider_runs() -> None:
    crawler = get_crawler(scrapy.Spider, settings_dict=project_settings_dict())
    FreezeStartupObjects.from_crawler(crawler)
    spider = scrapy.Spider("x")
    assert gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    try:
        crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
        assert gc.get_freeze_count() > 10_000  # modules, classes, Scrapy's components
        assert gc.get_threshold() == (10_000, *thresholds[1:])  # young objects collected less often
        garbage = [[]]
        garbage[0].append(garbage)  # a cycle made during the crawl is still collected
        del garbage
        assert gc.collect() > 0
    finally:
        crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
