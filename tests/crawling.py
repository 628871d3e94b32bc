"""Run the real spider through Scrapy's engine, in-process, and collect what it did."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.utils.test import get_crawler

from newscrawler import settings as project_settings
from newscrawler.spiders.qutoutiao import QutoutiaoSpider

# Fast and deterministic for tests; politeness is tested by reading settings.py.
TEST_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "INFO",
    "MEMUSAGE_ENABLED": False,
}


@dataclass
class CrawlResult:
    items: list[Any] = field(default_factory=list)
    dropped: list[tuple[Any, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    crawler: Any = None

    def item_scraped(self, item: Any, **kwargs: Any) -> None:
        self.items.append(item)

    def item_dropped(self, item: Any, exception: BaseException, **kwargs: Any) -> None:
        self.dropped.append((item, str(exception)))

    def by_source_id(self) -> dict[str, Any]:
        return {item.source_id: item for item in self.items}


def project_settings_dict(**overrides: Any) -> dict[str, Any]:
    base = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    return {**base, **TEST_SETTINGS, **overrides}


def crawl(settings: dict[str, Any] | None = None, **spider_args: Any) -> CrawlResult:
    """One crawl, start to finish, with the project's settings plus ``settings``."""
    result = CrawlResult()
    settings = dict(settings or {})
    if "NEWSCRAWLER_DB" not in settings:
        # Never the project's data/ folder: each crawl gets an empty store of its own.
        folder = Path(tempfile.mkdtemp(prefix="newscrawler-test-"))
        settings.setdefault("MONGO_URI", "")
        settings.update(NEWSCRAWLER_DB=str(folder / "store.sqlite3"), DEADLETTER_DIR=str(folder / "deadletter"))
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(**settings))
    # Bound methods of a live object: the signal dispatcher keeps weak references.
    crawler.signals.connect(result.item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(result.item_dropped, signal=signals.item_dropped)
    asyncio.run(crawler.crawl_async(**spider_args))
    result.stats = crawler.stats.get_stats()
    result.crawler = crawler
    return result
