"""The small interface both stores implement."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: WriteResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass(frozen=True)
class Query:
    """Filters of ``python -m newscrawler query`` and the exports; newest first."""

    since: datetime | None = None
    until: datetime | None = None
    channel: int | None = None
    tag: str | None = None
    limit: int | None = None


def latest_per_id(docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One document per id, the last one given winning (a batch may repeat an id)."""
    return list({doc["id"]: doc for doc in docs}.values())


class Store(ABC):
    """Upsert by ``id``: insert new, rewrite only on a content-hash change."""

    description: str

    @abstractmethod
    def write(self, docs: list[dict[str, Any]], now: datetime) -> WriteResult:
        """Write one batch in one go; raise on failure (the caller spools it)."""

    @abstractmethod
    def known_ids(self, ids: list[str]) -> set[str]:
        """Which of these ids are stored."""

    @abstractmethod
    def query(self, query: Query) -> Iterator[dict[str, Any]]:
        """Stored documents (contract fields plus bookkeeping), newest first."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def close(self) -> None: ...
