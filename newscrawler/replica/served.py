"""What the replica's source sites share: a request, a reply, an article as published."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

BEIJING = timezone(timedelta(hours=8))
NOT_FOUND_HTML = b"<html><body><h1>404 Not Found</h1></body></html>"


@dataclass(frozen=True)
class Ask:
    """One request as a source site sees it: the host it names, the path, the query, the clock."""

    host: str
    path: str
    query: dict[str, list[str]]
    now: datetime  # aware; the server's clock when the request came in
    port: int  # the replica's own port (hostile pages point back at it)

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def html_page(text: str, status: int = 200) -> Reply:
    return Reply(status, "text/html; charset=utf-8", text.encode("utf-8"))


def not_found() -> Reply:
    return Reply(404, "text/html", NOT_FOUND_HTML)


@dataclass(frozen=True)
class Published:
    """One article as its source published it: what a complete crawl of the replica must find.

    ``published`` is aware; ``precision`` says how much of it the source shows
    (``minute``, or ``day`` for a date without a time, or ``none``).
    """

    source: str
    native_id: str
    url: str
    title: str
    published: datetime
    author: str | None
    precision: str = "minute"
    channel_id: int | None = None
    channel: str | None = None
    tags: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "id": self.native_id, "url": self.url, "title": self.title,
            "published": self.published.isoformat(), "precision": self.precision, "author": self.author,
            "channel_id": self.channel_id, "channel": self.channel, "tags": list(self.tags),
        }


def rng(seed: int, source: str, index: object) -> random.Random:
    """The generator of one article: the same seed, source and index give the same article."""
    return random.Random(f"{seed}:{source}:{index}")


def digest(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def pages_needed(total: int, per_page: int) -> int:
    return -(-total // per_page) if per_page > 0 else 0
