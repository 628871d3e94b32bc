"""The objects a crawl starts with are out of garbage collection while it runs, and back after."""

from __future__ import annotations

import gc

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
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


def crawl_signals() -> tuple[Crawler, scrapy.Spider]:
    crawler = get_crawler(scrapy.Spider, settings_dict=project_settings_dict())
    FreezeStartupObjects.from_crawler(crawler)
    return crawler, scrapy.Spider("x")


def test_crawls_sharing_a_process_share_the_collector() -> None:
    """``scrapy demo`` runs crawls side by side: the first open freezes, the last close thaws."""
    (a, spider_a), (b, spider_b) = crawl_signals(), crawl_signals()
    thresholds = gc.get_threshold()
    a.signals.send_catch_log(signals.spider_opened, spider=spider_a)
    b.signals.send_catch_log(signals.spider_opened, spider=spider_b)
    try:
        a.signals.send_catch_log(signals.spider_closed, spider=spider_a, reason="finished")
        assert gc.get_freeze_count() > 10_000 and gc.get_threshold()[0] == 10_000  # B still runs
    finally:
        b.signals.send_catch_log(signals.spider_closed, spider=spider_b, reason="finished")
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


def test_a_crawl_that_never_opened_touches_nothing() -> None:
    (running, spider), (refused, other) = crawl_signals(), crawl_signals()
    running.signals.send_catch_log(signals.spider_opened, spider=spider)
    try:
        refused.signals.send_catch_log(signals.spider_closed, spider=other, reason="shutdown")  # no open before
        assert gc.get_freeze_count() > 10_000
    finally:
        running.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert gc.get_freeze_count() == 0
