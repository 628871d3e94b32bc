"""Body stage: clean and sanitize ``content_html``, rewrite images through the CORS proxy.

A link or image the cleaner had to drop is counted (``body/dropped/<reason>``) and named in one
line per article; the article is kept. A body too large to store once cleaned
(``MAX_BODY_BYTES``) is dropped here, before the store stage, whichever store it would reach.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawler.checks import css_selector, named, positive_int, setting, url_prefix
from newscrawler.pages.body import BodyCleaner, CleanBody, UnparseableBody
from newscrawler.pages.images import proxied
from newscrawler.text import body_bytes

logger = logging.getLogger(__name__)


def stored_body_bytes(body: CleanBody) -> int:
    """What the body puts in the stored document (MAX_BODY_BYTES counts it)."""
    return body_bytes(body.html, body.text, body.image_urls)


def take_body(adapter: ItemAdapter) -> str | None:
    """The item's raw body, which the item no longer holds: the cleaner replaces it.

    A parsed page's body is its element plus a serialized copy (``ParsedBody``); passed on
    without another reference, the cleaner frees that copy before it serializes the cleaned tree.
    """
    body, adapter["content_html"] = adapter.get("content_html"), None
    return body


class BodyPipeline:
    def __init__(self, cleaner: BodyCleaner, crawler: Crawler, max_bytes: int) -> None:
        self.cleaner = cleaner
        self.stats = crawler.stats
        self.max_bytes = max_bytes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyPipeline:
        settings = crawler.settings
        # Blank selectors are skipped by the cleaner; any other must compile.
        drop = [named("BODY_DROP_SELECTORS", selector, css_selector)
                for selector in settings.getlist("BODY_DROP_SELECTORS") if selector.strip()]
        cleaner = BodyCleaner(drop, setting(settings, "CORS_PROXY", url_prefix))
        return cls(cleaner, crawler, setting(settings, "MAX_BODY_BYTES", positive_int))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        try:
            body = self.cleaner.clean(take_body(adapter), url or "")
        except UnparseableBody as exc:
            # Storing what the parser kept would store a silently truncated article.
            self.stats.inc_value("body/unparseable")
            logger.warning("Unparseable body on %s: %s", url, exc)
            raise DropItem(f"body/unparseable ({exc}): {url}") from None
        self.count_dropped(body, url)
        size = stored_body_bytes(body)
        if size > self.max_bytes:
            # MongoDB refuses a document over 16 MB; SQLite would take it: neither store gets it.
            self.stats.inc_value("body/too_large")
            logger.warning("Body of %s too large to store: %d bytes once cleaned > MAX_BODY_BYTES (%d); dropped",
                           url, size, self.max_bytes)
            raise DropItem(f"body/too_large ({size} bytes > MAX_BODY_BYTES {self.max_bytes}): {url}")
        prefix = self.cleaner.proxy_prefix
        adapter["content_html"] = body.html
        adapter["content_text"] = body.text
        adapter["image_urls"] = body.image_urls
        covers = [proxied(cover, prefix) for cover in adapter.get("cover_images") or []]
        adapter["cover_images"] = covers
        adapter["headimg"] = (body.images or covers or [None])[0]
        return item

    def count_dropped(self, body: CleanBody, url: str | None) -> None:
        """``body/dropped/<reason>`` per link or image dropped, and one line naming the page."""
        if not body.dropped:
            return
        for (_, reason), count in body.dropped.items():
            self.stats.inc_value(f"body/dropped/{reason}", count)
        what = ", ".join(f"{count} {kind}{'s' if count > 1 else ''} ({reason})"
                         for (kind, reason), count in sorted(body.dropped.items()))
        logger.warning("Body of %s: dropped %s; the rest of the article is kept", url, what)
