"""``python -m newscrawler export``: the stored articles as Hexo posts, JSON Feed, RSS or JSON Lines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from newscrawler.exporters import feed_metadata
from newscrawler.exporters.hexo import export_posts
from newscrawler.exporters.jsonfeed import JsonFeedItemExporter
from newscrawler.exporters.rss import RssItemExporter
from newscrawler.storage import Query, open_store
from newscrawler.storage.documents import contract_fields, to_json

FORMATS = ("hexo", "jsonfeed", "rss", "jsonl")


def _write_feed(exporter_class: Any, docs: Any, out: Path, settings: BaseSettings) -> int:
    tmp = out.with_name(out.name + ".tmp")
    count = 0
    with tmp.open("wb") as file:
        exporter = exporter_class(file, *feed_metadata(settings))
        exporter.start_exporting()
        for doc in docs:
            exporter.export_item(contract_fields(doc))
            count += 1
        exporter.finish_exporting()
    os.replace(tmp, out)
    return count


def export_store(kind: str, settings: BaseSettings, query: Query, out: str | Path) -> str:
    """Export what ``query`` selects; returns a one-line report."""
    out = Path(out)
    store = open_store(settings)
    try:
        docs = store.query(query)
        if kind == "hexo":
            result = export_posts(docs, out, settings.getlist("HEXO_CATEGORIES"), settings.get("HEXO_AUTHOR"))
            return f"Hexo posts in {out}/: {result.written} written, {result.unchanged} unchanged"
        out.parent.mkdir(parents=True, exist_ok=True)
        if kind == "jsonl":
            tmp = out.with_name(out.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as file:
                count = sum(file.write(to_json(contract_fields(doc)) + "\n") > 0 for doc in docs)
            os.replace(tmp, out)
        else:
            count = _write_feed(JsonFeedItemExporter if kind == "jsonfeed" else RssItemExporter, docs, out, settings)
        return f"{kind} in {out}: {count} articles"
    finally:
        store.close()
