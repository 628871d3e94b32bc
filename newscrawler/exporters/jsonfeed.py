"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1): one renderer, for ``scrapy export`` and crawls.

``render_jsonfeed(articles, meta)`` gives the bytes; ``JsonFeedItemExporter`` writes the same
bytes as a stream (``-O feed.json:jsonfeed`` in a crawl, ``scrapy export jsonfeed``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exporters import BaseItemExporter

from newscrawler.exporters import export_all
from newscrawler.exporters.feedmeta import FeedMeta, crawl_feed_meta
from newscrawler.storage.documents import iso
from newscrawler.urls import inert_http_url

VERSION = "https://jsonfeed.org/version/1.1"


def feed_item(item: Any) -> dict[str, Any]:
    """One article as a JSON Feed item; empty optional members are left out."""
    a = ItemAdapter(item)
    entry: dict[str, Any] = {
        "id": a["id"],
        "url": a.get("url"),
        "title": a.get("title"),
        "content_html": a.get("content_html") or None,
        # The spec wants content_html or content_text; a video may have neither body.
        "content_text": a.get("content_text") or a.get("summary") or a.get("title") or "",
        "summary": a.get("summary"),
        # A reader loads it: http(s) only, whatever the store holds.
        "image": inert_http_url(a["headimg"]) if isinstance(a.get("headimg"), str) else None,
        "date_published": iso(a["published_at"]) if a.get("published_at") else None,
        "tags": list(a.get("tags") or []) or None,
        "authors": [{"name": a["author"]}] if a.get("author") else None,
    }
    return {k: v for k, v in entry.items() if v is not None}


class JsonFeedItemExporter(BaseItemExporter):
    """Streams items, so large exports stay small in memory."""

    def __init__(self, file: IO[bytes], meta: FeedMeta | None = None, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.meta = meta or FeedMeta()
        self.first = True

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> JsonFeedItemExporter:
        return cls(file, crawl_feed_meta(crawler), **kwargs)

    def start_exporting(self) -> None:
        meta = self.meta
        header = {"version": VERSION, "title": meta.title, "home_page_url": meta.home_url,
                  "description": meta.description}
        opening = json.dumps({k: v for k, v in header.items() if v}, ensure_ascii=False)[:-1] + ', "items": [\n'
        self.file.write(opening.encode("utf-8"))

    def export_item(self, item: Any) -> None:
        separator = "" if self.first else ",\n"
        self.first = False
        self.file.write((separator + json.dumps(feed_item(item), ensure_ascii=False)).encode("utf-8"))

    def finish_exporting(self) -> None:
        self.file.write(b"\n]}\n")


def render_jsonfeed(articles: Iterable[Any], meta: FeedMeta) -> bytes:
    """The JSON Feed of ``articles`` (items or stored documents, in order)."""
    out = io.BytesIO()
    export_all(JsonFeedItemExporter(out, meta), articles)
    return out.getvalue()
