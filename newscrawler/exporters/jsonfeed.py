"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) as a Scrapy item exporter."""

from __future__ import annotations

import json
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exporters import BaseItemExporter

from newscrawler.exporters import feed_metadata
from newscrawler.storage.documents import iso

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
        "image": a.get("headimg"),
        "date_published": iso(a["published_at"]) if a.get("published_at") else None,
        "tags": list(a.get("tags") or []) or None,
        "authors": [{"name": a["author"]}] if a.get("author") else None,
    }
    return {k: v for k, v in entry.items() if v is not None}


class JsonFeedItemExporter(BaseItemExporter):
    """``-O feed.json:jsonfeed``: streams items, so large crawls stay small in memory."""

    def __init__(self, file: IO[bytes], title: str = "newscrawler", home_page_url: str | None = None,
                 description: str | None = None, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.header = {"version": VERSION, "title": title, "home_page_url": home_page_url, "description": description}
        self.first = True

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> JsonFeedItemExporter:
        return cls(file, *feed_metadata(crawler.settings), **kwargs)

    def start_exporting(self) -> None:
        header = {k: v for k, v in self.header.items() if v}
        opening = json.dumps(header, ensure_ascii=False)[:-1] + ', "items": [\n'
        self.file.write(opening.encode("utf-8"))

    def export_item(self, item: Any) -> None:
        separator = "" if self.first else ",\n"
        self.first = False
        self.file.write((separator + json.dumps(feed_item(item), ensure_ascii=False)).encode("utf-8"))

    def finish_exporting(self) -> None:
        self.file.write(b"\n]}\n")
