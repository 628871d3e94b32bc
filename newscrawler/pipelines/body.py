"""Body stage: clean and sanitize ``content_html``, rewrite images through the CORS proxy."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawler.body import BodyCleaner, UnparseableBody
from newscrawler.images import proxied
from newscrawler.pipelines.guard import guarded


logger = logging.getLogger(__name__)


class BodyPipeline:
    def __init__(self, cleaner: BodyCleaner, crawler: Crawler | None = None) -> None:
        self.cleaner = cleaner
        self.stats = crawler.stats if crawler is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyPipeline:
        settings = crawler.settings
        return cls(BodyCleaner(settings.getlist("BODY_DROP_SELECTORS"), settings.get("CORS_PROXY") or ""), crawler)

    @guarded("body")
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        prefix = self.cleaner.proxy_prefix
        try:
            body = self.cleaner.clean(adapter.get("content_html"), adapter.get("url") or "")
        except UnparseableBody as exc:
            # Storing what the parser kept would store a silently truncated article.
            self.stats.inc_value("body/unparseable")
            logger.warning("Unparseable body on %s: %s", adapter.get("url"), exc)
            raise DropItem(f"body/unparseable ({exc}): {adapter.get('url')}") from None
        adapter["content_html"] = body.html
        adapter["content_text"] = body.text
        adapter["image_urls"] = body.image_urls
        covers = [proxied(url, prefix) for url in adapter.get("cover_images") or []]
        adapter["cover_images"] = covers
        adapter["headimg"] = (body.images or covers or [None])[0]
        return item
