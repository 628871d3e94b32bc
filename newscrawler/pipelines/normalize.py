"""Normalize stage: trimmed, unescaped text, int counters, tag lists, UTC dates."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from w3lib.html import remove_tags, replace_entities

from newscrawler.checks import setting, time_zone
from newscrawler.dates import is_plausible, parse_datetime
from newscrawler.numbers import to_int
from newscrawler.text import scrub

logger = logging.getLogger(__name__)

STAT_KEYS = ("read", "comment", "share", "like")


def clean_text(value: Any, strip_markup: bool = False) -> str | None:
    """Unescape entities, optionally drop tags, collapse whitespace; '' is None.

    >>> clean_text("  杨幂&quot;经典&quot;\\n 角色 ")
    '杨幂"经典" 角色'
    >>> clean_text('&lt;iframe src="x"&gt;&lt;/iframe&gt;', strip_markup=True) is None
    True
    """
    if value is None:
        return None
    text = scrub(replace_entities(str(value)))
    if strip_markup:
        text = remove_tags(text)
    text = " ".join(text.split())
    return text or None


def clean_tags(value: Any) -> list[str]:
    """A list of unique non-empty strings (a comma string is split)."""
    items = value.split(",") if isinstance(value, str) else (value or [])
    tags = (clean_text(t) for t in items if t is not None)
    return list(dict.fromkeys(t for t in tags if t))


class NormalizePipeline:
    def __init__(self, crawler: Crawler, page_timezone: str) -> None:
        self.stats = crawler.stats
        self.page_timezone = page_timezone

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler, setting(crawler.settings, "PAGE_TIMEZONE", time_zone))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        now = datetime.now(timezone.utc)
        crawled_at = parse_datetime(adapter.get("crawled_at"), now) or now
        adapter["crawled_at"] = crawled_at
        raw_published = adapter.get("published_at")
        published = parse_datetime(raw_published, crawled_at, self.page_timezone)
        adapter["published_at"] = published if published and is_plausible(published, crawled_at) else None
        if raw_published not in (None, "") and adapter["published_at"] is None:
            self.stats.inc_value("normalize/unparsed_date")
            logger.warning("Unreadable date %r on %s", raw_published, adapter.get("url"))
        adapter["title"] = clean_text(adapter.get("title"))
        adapter["summary"] = clean_text(adapter.get("summary"), strip_markup=True)
        adapter["author"] = clean_text(adapter.get("author"))
        # source_id is typed where the listing is parsed (unescaped once, like the id it must match).
        adapter["tags"] = clean_tags(adapter.get("tags"))
        for name in ("channel_id", "category_id"):
            adapter[name] = to_int(adapter.get(name))
        stats = adapter.get("stats") or {}
        adapter["stats"] = {key: to_int(stats.get(key)) for key in STAT_KEYS}
        adapter["cover_images"] = [u.strip() for u in adapter.get("cover_images") or [] if u and u.strip()]
        if adapter.get("content_type") not in ("article", "video"):
            adapter["content_type"] = "article"
        return item
