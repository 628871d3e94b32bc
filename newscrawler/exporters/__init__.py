"""Exports: Hexo posts, JSON Feed 1.1, RSS 2.0 and Atom 1.0 (the feeds are also Scrapy feed exporters).

Each format has one renderer, a function of (articles, feed metadata) -> bytes
(``jsonfeed.render_jsonfeed``, ``rss.render_rss``, ``atom.render_atom``), streamed to a file by its
item exporter; ``scrapy serve`` answers with the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy.exporters import BaseItemExporter


def export_all(exporter: BaseItemExporter, items: Iterable[Any]) -> int:
    """Run ``exporter`` over ``items``, start to finish; the number of items."""
    exporter.start_exporting()
    count = 0
    for item in items:
        exporter.export_item(item)
        count += 1
    exporter.finish_exporting()
    return count
