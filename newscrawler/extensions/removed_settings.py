"""Settings this project no longer reads: given anyway (``-s``, a Scrapyd job), nothing starts.

Silently ignored, an old ``-s QUTOUTIAO_LIST_URL=<mirror>`` would crawl the real site instead of the
mirror, and an old ``-s HEXO_AUTHOR=…`` would leave posts with the profile's author unnoticed. The
RemovedSetting names the setting and what replaced it (exit status 2), for ``scrapy crawl`` (this
extension, at start) and for the exports (``check_removed``, before the store opens).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawler.errors import RemovedSetting

# Each removed setting, and where its job went.
REMOVED: dict[str, str] = {
    "QUTOUTIAO_LIST_URL": "the profile's listing.url; point one crawl at a mirror with -a url=<template>",
    "QUTOUTIAO_PAGES": "the profile's listing.paging.max_pages; for one crawl, -a pages",
    "QUTOUTIAO_LIMIT": "the profile's listing.paging.per_page; for one crawl, -a limit",
    "QUTOUTIAO_MAX_BAD_PAGES": "the profile's listing.paging.max_bad_pages",
    "QUTOUTIAO_BODY_SELECTOR": "the profile's article.body",
    "QUTOUTIAO_STOP_AT_KNOWN_PAGE": "INCREMENTAL_STOP_AT_KNOWN_PAGE",
    "PAGE_TIMEZONE": "the profile's timezone",
    "PROGRESS_LOG_INTERVAL": "LOGSTATS_INTERVAL (Scrapy's LogStats and PeriodicLog; PERIODIC_LOG_STATS says "
                             "which stats)",
    "HEXO_CATEGORIES": "each source profile's hexo.categories",
    "HEXO_AUTHOR": "each source profile's hexo.author",
    "FEED_TITLE": "the source profile's title (a feed of one source; several sources get a neutral title)",
    "FEED_HOME_URL": "the source profile's home_url (a feed of one source)",
    "FEED_DESCRIPTION": "a description made from the feed's title",
}


def check_removed(settings: Any) -> None:
    """RemovedSetting for the first removed setting still given (``-s``, a settings module)."""
    for name, replacement in REMOVED.items():
        if settings.get(name) is not None:
            raise RemovedSetting(f"{name} is no longer read: use {replacement} (README, Settings)")


class RemovedSettings:
    """Raises at start for a removed setting still given; otherwise not an extension at all."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RemovedSettings:
        check_removed(crawler.settings)
        raise NotConfigured
