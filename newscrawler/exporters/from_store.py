"""``export`` and ``query --out``: the stored articles as Hexo posts, JSON Feed, RSS, Atom or JSON Lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from scrapy.exporters import BaseItemExporter, JsonLinesItemExporter
from scrapy.settings import BaseSettings

from newscrawler.checks import setting, url_prefix
from newscrawler.exporters import export_all
from newscrawler.exporters.feedmeta import FeedMeta, feed_meta, profiles_of
from newscrawler.exporters.atom import AtomItemExporter
from newscrawler.exporters.files import replacing
from newscrawler.exporters.hexo import export_posts
from newscrawler.exporters.jsonfeed import JsonFeedItemExporter
from newscrawler.exporters.rss import RssItemExporter
from newscrawler.extensions.removed_settings import check_removed
from newscrawler.storage import Query, Store, open_store
from newscrawler.storage.base import Progress, expected_total
from newscrawler.storage.documents import contract_fields, to_json
from newscrawler.storage.reading import BAD_ROWS

logger = logging.getLogger(__name__)

FORMATS = ("hexo", "jsonfeed", "rss", "atom", "jsonl")


@dataclass
class ExportReport:
    text: str  # one line for the operator
    failed: int = 0  # articles not exported: the command exits non-zero

    def __str__(self) -> str:
        return self.text


def _exporter(kind: str, file: IO[bytes], meta: FeedMeta) -> BaseItemExporter:
    if kind == "jsonl":
        return JsonLinesItemExporter(file, encoding="utf-8")
    return {"jsonfeed": JsonFeedItemExporter, "atom": AtomItemExporter, "rss": RssItemExporter}[kind](file, meta)


def export_store(kind: str, settings: BaseSettings, query: Query, out: str | Path,
                 progress: Progress | None = None) -> ExportReport:
    """Export what ``query`` selects; never creates a missing SQLite database (StoreError).

    Hexo posts take their front matter from their own source's profile; a feed of one source
    (``query.source``) its title and home page.
    """
    check_removed(settings)
    out = Path(out)
    profiles = profiles_of(settings)
    for error in profiles.errors:  # the bundled profile of that name (if any) is used instead
        logger.warning("Source profile not used: %s", error)
    store = open_store(settings, create=False)
    skipped = BAD_ROWS.skipped
    try:
        docs = store.query(query)
        if progress:
            docs = progress(docs, desc=f"export {kind}", total=expected_total(store, query))
        if kind == "hexo":
            result = export_posts(docs, out, profiles.by_name, setting(settings, "CORS_PROXY", url_prefix))
            report = ExportReport(f"Hexo posts in {out}/: {result.written} written, {result.unchanged} unchanged, "
                                  f"{result.failed} failed", result.failed)
        else:
            meta = feed_meta(profiles.by_name, query.source, query.channel)
            with replacing(out, devices=True) as file:
                count = export_all(_exporter(kind, file, meta), (contract_fields(doc) for doc in docs))
            report = ExportReport(f"{kind} in {out}: {count} articles")
    finally:
        store.close()
    return with_unreadable(report, BAD_ROWS.skipped - skipped)


def with_unreadable(report: ExportReport, skipped: int) -> ExportReport:
    """``report`` counting the stored articles left out as unreadable (storage.reading) as failed."""
    if not skipped:
        return report
    return ExportReport(f"{report.text}; {skipped} stored articles left out, unreadable (named in the log)",
                        report.failed + skipped)


def query_lines(store: Store, query: Query) -> Iterator[str]:
    """What ``query`` prints: one JSON line of contract fields per article, newest first."""
    for doc in store.query(query):
        yield to_json(contract_fields(doc)) + "\n"


def write_query(store: Store, query: Query, out: str | Path, progress: Progress | None = None) -> ExportReport:
    """``query --out``: the same lines in a file, replaced only once complete; returns a one-line report."""
    count, skipped = 0, BAD_ROWS.skipped
    lines = query_lines(store, query)
    if progress:
        lines = progress(lines, desc="query", total=expected_total(store, query))
    with replacing(Path(out), devices=True) as file:
        for line in lines:
            file.write(line.encode("utf-8"))
            count += 1
    return with_unreadable(ExportReport(f"query in {out}: {count} articles"), BAD_ROWS.skipped - skipped)
