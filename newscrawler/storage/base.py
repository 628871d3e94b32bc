"""The small interface both stores implement, and what a write reports back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newscrawler.storage.upgrade import ChannelNames


class StoreError(Exception):
    """A store that cannot be opened or read: the message names the path or host and the cause."""


class StoreGone(StoreError):
    """The store's file is no longer the one it opened (deleted or replaced): no write can be kept
    from now on, so trying again cannot help."""


class UnencodableDocument(Exception):
    """The driver could not encode one document (text UTF-8 cannot take, an integer beyond 64 bits).

    Raised only around the driver's own encoding of a write, so that the same builtin errors
    raised anywhere else (date arithmetic, building an upsert) stay bugs."""

    def __init__(self, error: UnicodeEncodeError | OverflowError) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.reason = type(error).__name__  # store/rejected/<reason>, as the driver named it


@dataclass
class Rejected:
    """A document the store refused on its own (the rest of its batch is stored)."""

    doc: dict[str, Any]
    reason: str  # short, for the stats key store/rejected/<reason>
    error: str   # the store's own words, for the log and the dead-letter file


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0  # the store or the batch holds a copy crawled later: newest wins, this one is skipped
    rejected: list[Rejected] = field(default_factory=list)

    def add(self, other: WriteResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.rejected.extend(other.rejected)

    @property
    def stored(self) -> int:
        """Documents the store now holds in their newest form."""
        return self.new + self.updated + self.unchanged + self.stale


@dataclass(frozen=True)
class Query:
    """Filters of ``python -m newscrawler query`` and the exports; newest first."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    channel: int | str | None = None  # typed: the number 1 and the word "1" are different ids
    tag: str | None = None
    limit: int | None = None


def newer_or_same(stored: Any, incoming: Any) -> bool:
    """Whether a copy crawled at ``incoming`` may replace one crawled at ``stored`` (None is oldest;
    dates, or the fixed-width UTC text SQLite holds)."""
    return stored is None or (incoming is not None and stored <= incoming)


def latest_per_id(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """One document per id, the newest ``crawled_at`` winning as in the store (the later one given
    on a tie), and how many older copies were left out: a batch may repeat an id (a replayed
    dead-letter file, an article listed twice), and they count as stale."""
    latest: dict[str, dict[str, Any]] = {}
    for doc in docs:
        kept = latest.get(doc["id"])
        if kept is None or newer_or_same(kept.get("crawled_at"), doc.get("crawled_at")):
            latest[doc["id"]] = doc
    return list(latest.values()), len(docs) - len(latest)


def chunked(items: list[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in slices of at most ``size``.

    >>> list(chunked([1, 2, 3], 2))
    [[1, 2], [3]]
    """
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store(ABC):
    """Upsert by ``id``, newest ``crawled_at`` wins; rewrite only on a content-hash change."""

    description: str
    durability: str  # what a counted write survives, in words, for the log line at start
    names: ChannelNames  # the source profiles' channel names, for documents from before ``channel``

    @abstractmethod
    def write(self, docs: list[dict[str, Any]], now: datetime) -> WriteResult:
        """Write one batch; documents the store refuses come back in ``rejected``.

        Raises when the store itself fails (unreachable, locked, disk full): the caller retries or spools.
        """

    @abstractmethod
    def known_ids(self, ids: list[str]) -> set[str]:
        """Which of these ids are stored (any number of ids)."""

    @abstractmethod
    def query(self, query: Query) -> Iterator[dict[str, Any]]:
        """Stored documents (contract fields plus bookkeeping), newest first."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def close(self) -> None: ...


# What long store work reports its progress through: ``progress(iterable, desc=..., total=..., unit=...)``
# gives the iterable back, counting what goes through. The commands hand in a progress bar
# (newscrawler/commands/progress.py); the storage and export code draws nothing itself.
Progress = Callable[..., Iterable[Any]]


def expected_total(store: Store, query: Query) -> int | None:
    """How many articles ``query`` gives, when that is cheap to know (no filter but a limit)."""
    if replace(query, limit=None) != Query():  # any filter: a bar without an end, count and rate only
        return None
    count = store.count()
    return min(count, query.limit) if query.limit is not None else count
