"""Stored articles from before the current contract, brought up to date.

Since issue 18 an article names its channel (``channel``) beside its id. A document written
before lacks the field: it gets its channel's name from its source's profile (the registry:
bundled profiles and ``SOURCES_DIR``). The stores write that once, when they open
(``SqliteStore``, ``MongoStore``). Every document read or replayed goes through ``upgrade``
too, which also gives any other contract field a document lacks its default: one a store could
not migrate (a MongoDB reader may not write) reads the same, and so does a field added to the
contract later.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from newscrawler.items import channel_id_of
from newscrawler.sources.registry import load_profiles
from newscrawler.storage.documents import with_defaults

# source -> channel id -> channel name, from the source profiles.
ChannelNames = Mapping[str, Mapping[int | str, str]]


@cache
def _names(sources_dir: str | None) -> dict[str, dict[int | str, str]]:
    profiles = load_profiles(sources_dir)
    return {name: dict(p.listing.channels) for name, p in profiles.by_name.items() if p.listing.channels}


def channel_names(sources_dir: str | Path | None = None) -> ChannelNames:
    """The channel names of every profile (bundled, then ``sources_dir``), read once per folder."""
    return _names(str(Path(sources_dir).resolve()) if sources_dir else None)


def channel_name(names: ChannelNames, source: Any, channel_id: Any) -> str | None:
    """The name of ``channel_id`` in ``source``'s profile; the id's type counts (1 is not "1").

    >>> names = {"news": {1: "热点"}, "x": {"1": "one"}}
    >>> channel_name(names, "news", 1), channel_name(names, "news", "1"), channel_name(names, "x", "1")
    ('热点', None, 'one')
    >>> channel_name(names, "news", True) is None
    True
    """
    channel_id = channel_id_of(channel_id)  # a dict finds True under 1: only ints and words are ids
    if channel_id is None or not isinstance(source, str):
        return None
    return names.get(source, {}).get(channel_id)


def upgrade(doc: dict[str, Any], names: ChannelNames) -> dict[str, Any]:
    """``doc`` in the current contract: a document from before ``channel`` (without the field)
    gets its channel's name, and every other optional field it lacks its default."""
    if "channel" not in doc:
        doc["channel"] = channel_name(names, doc.get("source"), doc.get("channel_id"))
    return with_defaults(doc)
