"""Body stage: clean and sanitize ``content_html``, rewrite images through the CORS proxy."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newscrawler.body import BodyCleaner
from newscrawler.images import proxied


class BodyPipeline:
    def __init__(self, cleaner: BodyCleaner) -> None:
        self.cleaner = cleaner

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyPipeline:
        settings = crawler.settings
        return cls(BodyCleaner(settings.getlist("BODY_DROP_SELECTORS"), settings.get("CORS_PROXY") or ""))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        prefix = self.cleaner.proxy_prefix
        body = self.cleaner.clean(adapter.get("content_html"), adapter.get("url") or "")
        adapter["content_html"] = body.html
        adapter["content_text"] = body.text
        adapter["image_urls"] = body.image_urls
        covers = [proxied(url, prefix) for url in adapter.get("cover_images") or []]
        adapter["cover_images"] = covers
        adapter["headimg"] = (body.images or covers or [None])[0]
        return item
