"""Validate stage: drop what the contract cannot hold, saying which field and URL."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawler.items import missing_fields


class ValidatePipeline:
    """Drops an article missing a field the contract requires (``items.Article``'s ``required``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        missing = missing_fields(adapter)
        if missing:
            for name in missing:
                self.stats.inc_value(f"validate/missing/{name}")
            raise DropItem(f"missing {', '.join(missing)}: {adapter.get('url') or adapter.get('id')}")
        return item
