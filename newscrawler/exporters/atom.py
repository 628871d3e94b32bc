"""Atom 1.0 (RFC 4287), written with lxml's incremental XML writer: one renderer, for ``scrapy export``,
``scrapy serve`` and crawls.

``render_atom(articles, meta)`` gives the bytes; ``AtomItemExporter`` writes the same bytes as a
stream (``-O feed.atom:atom`` in a crawl, ``scrapy export atom``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from itemadapter import ItemAdapter
from lxml import etree

from newscrawler.exporters.feedmeta import FeedMeta
from newscrawler.exporters.xmlfeed import XmlFeedExporter
from newscrawler.storage.documents import iso
from newscrawler.text import xml_text

NAMESPACE = "http://www.w3.org/2005/Atom"
NSMAP = {None: NAMESPACE}
# Atom ids must be IRIs that never change: an article's id is not one, so it goes into a URN.
ID_PREFIX = "urn:newscrawler:"


def _element(tag: str, text: Any = None, **attributes: str) -> etree._Element:
    element = etree.Element(f"{{{NAMESPACE}}}{tag}", nsmap=NSMAP, **attributes)
    if text is not None:
        element.text = xml_text(text)
    return element


def atom_id(value: str) -> str:
    """A stable URN for an article or feed id (any text).

    >>> atom_id("news:1 a/b")
    'urn:newscrawler:news:1%20a%2Fb'
    """
    return ID_PREFIX + quote(xml_text(value), safe=":")


def atom_entry(item: Any) -> etree._Element:
    a = ItemAdapter(item)
    entry = _element("entry")
    entry.append(_element("id", atom_id(a["id"])))
    entry.append(_element("title", a.get("title") or ""))
    if a.get("url"):
        entry.append(_element("link", rel="alternate", href=xml_text(a["url"])))
    # Atom asks for "updated": the publication time, else when the store first saw the article.
    published = a.get("published_at")
    changed = published or a.get("crawled_at") or datetime(1970, 1, 1, tzinfo=timezone.utc)
    entry.append(_element("updated", iso(changed)))
    if published:
        entry.append(_element("published", iso(published)))
    if a.get("author"):
        author = _element("author")
        author.append(_element("name", a["author"]))
        entry.append(author)
    for tag in a.get("tags") or []:
        if xml_text(tag):
            entry.append(_element("category", term=xml_text(tag)))
    if a.get("summary"):
        entry.append(_element("summary", a["summary"]))
    # The sanitized body as escaped HTML (type="html"): any XML parser hands it back unchanged.
    # Without one, the text goes as text: a reader must never take plain text for markup.
    if a.get("content_html"):
        entry.append(_element("content", a["content_html"], type="html"))
    else:
        entry.append(_element("content", a.get("content_text") or "", type="text"))
    return entry


class AtomItemExporter(XmlFeedExporter):
    """One ``<entry>`` per article, streamed. ``built_at`` is the feed's ``updated`` (now by default)."""

    def write_head(self) -> None:
        self.stack.enter_context(self.writer.element(f"{{{NAMESPACE}}}feed", nsmap=NSMAP))
        meta = self.meta
        # Every feed its own id (RFC 4287 4.2.6): a source's and each of its channels' share a home page.
        self._field("id", atom_id(f"feed:{meta.key or meta.title}"))
        self._field("title", meta.title)
        self._field("subtitle", meta.description)
        if meta.home_url:
            with self.writer.element(f"{{{NAMESPACE}}}link", rel="alternate", href=xml_text(meta.home_url)):
                pass
        # The feed's author stands for every entry without one (RFC 4287 4.1.1 asks one of either).
        with self.writer.element(f"{{{NAMESPACE}}}author"):
            self._field("name", meta.title)
        self._field("updated", iso(self.built_at or datetime.now(timezone.utc)))
        self._field("generator", "newscrawler")

    def _field(self, tag: str, text: str) -> None:
        # Written in the feed element's context: no namespace declaration of its own.
        with self.writer.element(f"{{{NAMESPACE}}}{tag}"):
            self.writer.write(xml_text(text))

    def entry(self, item: Any) -> etree._Element:
        return atom_entry(item)


def render_atom(articles: Iterable[Any], meta: FeedMeta, built_at: datetime | None = None) -> bytes:
    """The Atom feed of ``articles`` (items or stored documents, in order)."""
    return AtomItemExporter.render(articles, meta, built_at)
