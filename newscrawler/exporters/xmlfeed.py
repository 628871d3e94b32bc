"""What RSS and Atom share: an item exporter that streams one XML element per article with lxml's
incremental writer, so a feed of any length is written without holding it; the formats differ
only in their head (``write_head``) and their entry (``entry``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from contextlib import ExitStack
from datetime import datetime
from typing import IO, Any, TypeVar

from lxml import etree
from scrapy.crawler import Crawler
from scrapy.exporters import BaseItemExporter

from newscrawler.exporters import export_all
from newscrawler.exporters.feedmeta import FeedMeta, crawl_feed_meta

Exporter = TypeVar("Exporter", bound="XmlFeedExporter")


class XmlFeedExporter(BaseItemExporter):
    """One element per article, streamed. ``built_at`` is the feed's build time (now by default)."""

    def __init__(self, file: IO[bytes], meta: FeedMeta | None = None, built_at: datetime | None = None,
                 **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.meta = meta or FeedMeta()
        self.built_at = built_at
        self.stack = ExitStack()
        self.writer: Any = None

    @classmethod
    def from_crawler(cls: type[Exporter], crawler: Crawler, file: IO[bytes], **kwargs: Any) -> Exporter:
        return cls(file, crawl_feed_meta(crawler), **kwargs)

    def start_exporting(self) -> None:
        self.writer = self.stack.enter_context(etree.xmlfile(self.file, encoding="utf-8"))
        self.writer.write_declaration()
        self.write_head()

    def write_head(self) -> None:
        """Open the feed's elements (closed by ``finish_exporting``) and write its metadata."""
        raise NotImplementedError

    def entry(self, item: Any) -> etree._Element:
        """One article's element."""
        raise NotImplementedError

    def export_item(self, item: Any) -> None:
        self.writer.write(self.entry(item))

    def finish_exporting(self) -> None:
        self.stack.close()

    @classmethod
    def render(cls, articles: Iterable[Any], meta: FeedMeta, built_at: datetime | None = None) -> bytes:
        """The feed of ``articles`` (items or stored documents, in order), as bytes."""
        out = io.BytesIO()
        export_all(cls(out, meta, built_at), articles)
        return out.getvalue()
