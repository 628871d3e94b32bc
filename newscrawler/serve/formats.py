"""The feed formats served, each by the exports' own renderer, so a served feed is an exported one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newscrawler.exporters.atom import render_atom
from newscrawler.exporters.feedmeta import FeedMeta
from newscrawler.exporters.jsonfeed import render_jsonfeed
from newscrawler.exporters.rss import render_rss


@dataclass(frozen=True)
class Format:
    name: str  # as ?format= and the extension say it
    content_type: str
    render: Callable[[Iterable[Any], FeedMeta, datetime | None], bytes]


FORMATS = {
    "rss": Format("rss", "application/rss+xml; charset=utf-8", render_rss),
    "atom": Format("atom", "application/atom+xml; charset=utf-8", render_atom),
    # JSON Feed has no build time: the same articles give the same bytes.
    "json": Format("json", "application/feed+json; charset=utf-8",
                   lambda articles, meta, built_at: render_jsonfeed(articles, meta)),
}
DEFAULT = "rss"


def split_extension(segment: str) -> tuple[str, str | None]:
    """A path segment without its format extension, and the format it names (None without one).

    >>> split_extension("255.atom"), split_extension("news"), split_extension("a.b")
    (('255', 'atom'), ('news', None), ('a.b', None))
    """
    stem, dot, extension = segment.rpartition(".")
    if dot and stem and extension in FORMATS:
        return stem, extension
    return segment, None
