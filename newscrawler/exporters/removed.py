"""Export settings that are gone: each is one line naming what replaced it (exit status 2).

``scrapy export`` checks them before it opens the store; a crawl (whose ``-O`` feeds used
FEED_TITLE and its kin) checks them at start through ``RemovedExportSettings``, an extension
that does nothing else.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawler.errors import RemovedSetting

# Front matter and feed metadata were 趣头条's for every article; they are each source's now.
REMOVED_SETTINGS = {
    "HEXO_CATEGORIES": "each source profile's hexo.categories",
    "HEXO_AUTHOR": "each source profile's hexo.author",
    "FEED_TITLE": "the source profile's title (a feed of one source; several sources get a neutral title)",
    "FEED_HOME_URL": "the source profile's home_url (a feed of one source)",
    "FEED_DESCRIPTION": "a description made from the feed's title",
}


def check_removed(settings: Any) -> None:
    """RemovedSetting for the first removed setting still given (``-s``, a settings module)."""
    for name, replacement in REMOVED_SETTINGS.items():
        if settings.get(name) is not None:
            raise RemovedSetting(f"{name} is no longer a setting: use {replacement} (a profile in "
                                 "SOURCES_DIR replaces the bundled one of its name; README, Exports)")


class RemovedExportSettings:
    """Stops a crawl given a removed export setting (one line, exit status 2); else not kept."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RemovedExportSettings:
        check_removed(crawler.settings)
        raise NotConfigured("no removed export setting given")
