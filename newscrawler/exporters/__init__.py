"""Exports: Hexo posts, JSON Feed 1.1 and RSS 2.0 (the feeds are also Scrapy feed exporters)."""
