"""Exports: Hexo posts, JSON Feed 1.1 and RSS 2.0 (the feeds are also Scrapy feed exporters)."""

from __future__ import annotations

from scrapy.settings import BaseSettings


def feed_metadata(settings: BaseSettings) -> tuple[str, str, str]:
    """Title, home page and description, in the order both feed exporters take them."""
    return settings.get("FEED_TITLE"), settings.get("FEED_HOME_URL"), settings.get("FEED_DESCRIPTION")
