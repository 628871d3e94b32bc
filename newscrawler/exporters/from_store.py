"""``export`` and ``query --out``: the stored articles as Hexo posts, JSON Feed, RSS or JSON Lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from scrapy.exporters import BaseItemExporter, JsonLinesItemExporter
from scrapy.settings import BaseSettings

from newscrawler.exporters import feed_metadata
from newscrawler.exporters.hexo import export_posts
from newscrawler.exporters.jsonfeed import JsonFeedItemExporter
from newscrawler.exporters.rss import RssItemExporter
from newscrawler.exporters.files import replacing
from newscrawler.storage import Query, Store, open_store
from newscrawler.storage.base import Progress, expected_total
from newscrawler.storage.documents import contract_fields, to_json

FORMATS = ("hexo", "jsonfeed", "rss", "jsonl")


@dataclass
class ExportReport:
    text: str  # one line for the operator
    failed: int = 0  # articles not exported: the command exits non-zero

    def __str__(self) -> str:
        return self.text


def _exporter(kind: str, file: IO[bytes], settings: BaseSettings) -> BaseItemExporter:
    if kind == "jsonl":
        return JsonLinesItemExporter(file, encoding="utf-8")
    exporter_class = JsonFeedItemExporter if kind == "jsonfeed" else RssItemExporter
    return exporter_class(file, *feed_metadata(settings))


def export_store(kind: str, settings: BaseSettings, query: Query, out: str | Path,
                 progress: Progress | None = None) -> ExportReport:
    """Export what ``query`` selects; never creates a missing SQLite database (StoreError)."""
    out = Path(out)
    store = open_store(settings, create=False)
    try:
        docs = store.query(query)
        if progress:
            docs = progress(docs, desc=f"export {kind}", total=expected_total(store, query))
        if kind == "hexo":
            result = export_posts(docs, out, settings.getlist("HEXO_CATEGORIES"), settings.get("HEXO_AUTHOR"))
            return ExportReport(f"Hexo posts in {out}/: {result.written} written, {result.unchanged} unchanged, "
                                f"{result.failed} failed", result.failed)
        count = 0
        with replacing(out, devices=True) as file:
            exporter = _exporter(kind, file, settings)
            exporter.start_exporting()
            for doc in docs:
                exporter.export_item(contract_fields(doc))
                count += 1
            exporter.finish_exporting()
        return ExportReport(f"{kind} in {out}: {count} articles")
    finally:
        store.close()


def query_lines(store: Store, query: Query) -> Iterator[str]:
    """What ``query`` prints: one JSON line of contract fields per article, newest first."""
    for doc in store.query(query):
        yield to_json(contract_fields(doc)) + "\n"


def write_query(store: Store, query: Query, out: str | Path, progress: Progress | None = None) -> str:
    """``query --out``: the same lines in a file, replaced only once complete; returns a one-line report."""
    count = 0
    lines = query_lines(store, query)
    if progress:
        lines = progress(lines, desc="query", total=expected_total(store, query))
    with replacing(Path(out), devices=True) as file:
        for line in lines:
            file.write(line.encode("utf-8"))
            count += 1
    return f"query in {out}: {count} articles"
