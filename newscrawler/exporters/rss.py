"""RSS 2.0, written with lxml's incremental XML writer: one renderer, for ``scrapy export`` and crawls.

``render_rss(articles, meta)`` gives the bytes; ``RssItemExporter`` writes the same bytes as a
stream (``-O feed.xml:rss`` in a crawl, ``scrapy export rss``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from itemadapter import ItemAdapter
from lxml import etree

from newscrawler.dates import rfc1123
from newscrawler.exporters.feedmeta import FeedMeta
from newscrawler.exporters.xmlfeed import XmlFeedExporter
from newscrawler.text import xml_text


def _element(tag: str, text: Any, **attributes: str) -> etree._Element:
    element = etree.Element(tag, **attributes)
    element.text = xml_text(text)
    return element


def rss_item(item: Any) -> etree._Element:
    a = ItemAdapter(item)
    entry = etree.Element("item")
    entry.append(_element("title", a.get("title") or ""))
    if a.get("url"):
        entry.append(_element("link", a["url"]))
    # The sanitized body as text (any XML parser hands it back unchanged), which readers render
    # as HTML: a plain summary standing in for it is escaped, so it shows as the text it is.
    entry.append(_element("description", a.get("content_html") or html.escape(a.get("summary") or "")))
    if a.get("author"):  # a name, as RSSHub writes it (RSS 2.0 asks an e-mail address; readers take either)
        entry.append(_element("author", a["author"]))
    entry.append(_element("guid", a["id"], isPermaLink="false"))
    if a.get("published_at"):
        entry.append(_element("pubDate", rfc1123(a["published_at"])))
    for tag in a.get("tags") or []:
        if xml_text(tag):  # a tag of nothing XML can carry is no category
            entry.append(_element("category", tag))
    return entry


class RssItemExporter(XmlFeedExporter):
    """One ``<item>`` per article, streamed. ``built_at`` is the ``lastBuildDate`` (now by default)."""

    def write_head(self) -> None:
        self.stack.enter_context(self.writer.element("rss", version="2.0"))
        self.stack.enter_context(self.writer.element("channel"))
        meta = self.meta
        for tag, text in (("title", meta.title), ("link", meta.home_url or ""), ("description", meta.description)):
            self.writer.write(_element(tag, text))
        self.writer.write(_element("lastBuildDate", rfc1123(self.built_at or datetime.now(timezone.utc))))
        self.writer.write(_element("generator", "newscrawler"))

    def entry(self, item: Any) -> etree._Element:
        return rss_item(item)


def render_rss(articles: Iterable[Any], meta: FeedMeta, built_at: datetime | None = None) -> bytes:
    """The RSS of ``articles`` (items or stored documents, in order)."""
    return RssItemExporter.render(articles, meta, built_at)
