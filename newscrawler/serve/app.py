"""Answering one request from the store: what to send, as status, headers and body.

``FeedApp.answer`` runs in a worker thread (the store's reads block); the Twisted side
(``site``) only writes what it returns. A warm feed costs one small query (each article's id,
content hash and change time, which make its ETag) and no rendering: the rendered bytes are
kept by ETag.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from newscrawler.serve.conditional import etag_of, http_date, is_current
from newscrawler.serve.formats import FORMATS
from newscrawler.serve.index import render_index
from newscrawler.serve.params import BadRequest, FeedParams, feed_params
from newscrawler.serve.routes import FEED, HEALTH, INDEX, Route, route
from newscrawler.sources.profile import SourceProfile
from newscrawler.storage.base import Query, StoreError
from newscrawler.storage.documents import contract_fields, iso
from newscrawler.storage.readonly import Stamp, StoreNeedsUpgrade, StoreReader

logger = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
# Rendered bodies kept, by ETag: at most this many bytes in all.
CACHE_BYTES = 64 * 1024 * 1024
# The page at / may only load its own inline style: nothing in it runs.
INDEX_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


@dataclass
class Ask:
    """What the Twisted side passes on of a request."""

    segments: list[bytes]  # the path, split at / and unquoted
    args: dict[bytes, list[bytes]]
    if_none_match: str | None = None
    if_modified_since: str | None = None


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def short(status: int, text: str, **headers: str) -> Answer:
    """An error's short plain-text body (never a traceback, never the store's address)."""
    return Answer(status, (text + "\n").encode("utf-8"), {"Content-Type": TEXT, "Cache-Control": "no-store",
                                                          **headers})


class BodyCache:
    """Rendered bodies by ETag, least recently used out first, bounded in bytes; thread-safe."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self.size = 0
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            body = self.bodies.get(key)
            if body is not None:
                self.bodies.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.budget:
            return
        with self.lock:
            if key in self.bodies:
                return
            self.bodies[key] = body
            self.size += len(body)
            while self.size > self.budget:
                _, dropped = self.bodies.popitem(last=False)
                self.size -= len(dropped)


class FeedApp:
    def __init__(self, reader: StoreReader, profiles: Mapping[str, SourceProfile], max_age: int) -> None:
        self.reader = reader
        self.profiles = profiles
        self.cache_control = f"public, max-age={max_age}"
        self.cache = BodyCache()

    def answer(self, ask: Ask) -> Answer:
        """The answer to ``ask``; a store that does not answer is a 503, a bad parameter a 400."""
        target = route(ask.segments, self.profiles)
        if target is None:
            return short(404, "not found")
        if target.kind == HEALTH:
            return self.health()
        try:
            if target.kind == INDEX:
                return self.index(ask)
            return self.feed(ask, target)
        except BadRequest as exc:
            return short(400, f"bad request: {exc}")
        except StoreNeedsUpgrade as exc:
            logger.error("%s", exc)
            return short(503, "the store needs an upgrade (run a crawl once)", **{"Retry-After": "60"})
        except StoreError as exc:
            logger.warning("Store unavailable: %s", exc)
            return short(503, "the store is unavailable, try again later", **{"Retry-After": "10"})

    def health(self) -> Answer:
        try:
            crawled = self.reader.last_crawl()
        except StoreError as exc:
            logger.warning("Health check: store unavailable: %s", exc)
            state: dict[str, Any] = {"status": "unavailable", "store": False, "last_crawl": None}
            status = 503
        else:
            state = {"status": "ok", "store": True, "last_crawl": iso(crawled) if crawled else None}
            status = 200
        body = (json.dumps(state) + "\n").encode("utf-8")
        return Answer(status, body, {"Content-Type": JSON, "Cache-Control": "no-store"})

    def _cached(self, ask: Ask, etag: str, last_modified: datetime | None, content_type: str,
                render: Any, extra: Mapping[str, str] | None = None) -> Answer:
        headers = {"Content-Type": content_type, "ETag": etag, "Cache-Control": self.cache_control,
                   "Vary": "Accept-Encoding", **(extra or {})}
        if last_modified is not None:
            headers["Last-Modified"] = http_date(last_modified)
        if is_current(ask.if_none_match, ask.if_modified_since, etag, last_modified):
            return Answer(304, b"", headers)
        body = self.cache.get(etag)
        if body is None:
            body = render(etag)
        return Answer(200, body, headers)

    def index(self, ask: Ask) -> Answer:
        if ask.args:
            raise BadRequest("the index page takes no parameters")
        summaries = self.reader.overview()
        etag = etag_of(["index", *(f"{s.source}\0{s.channel_id!r}\0{s.count}\0{s.newest}\0{s.crawled}"
                                   for s in summaries)])
        crawled = max((s.crawled for s in summaries if s.crawled), default=None)

        def render(key: str) -> bytes:
            body = render_index(summaries, self.profiles)
            self.cache.put(key, body)
            return body

        return self._cached(ask, etag, crawled, HTML, render,
                            {"Content-Security-Policy": INDEX_POLICY, "X-Content-Type-Options": "nosniff"})

    def feed(self, ask: Ask, target: Route) -> Answer:
        unknown = set(ask.args) - {b"limit", b"since", b"format"}
        if unknown:
            raise BadRequest("unknown parameter (a feed takes limit, since and format)")
        params = feed_params(ask.args, target.extension)
        query = Query(since=params.since, source=target.source, channel=target.channel, limit=params.limit)
        stamps = self.reader.stamps(query)
        if not stamps and not target.known:
            return short(404, "not found")
        fmt = FORMATS[params.format]
        etag, last_modified = self._validators(target, params, query, stamps)

        def render(key: str) -> bytes:
            docs = self.reader.articles(query)
            # The store may have moved on since the stamps: the bytes are kept under their own ETag.
            # The build time is the newest change, so the same articles always give the same bytes.
            now_etag, now_modified = self._validators(target, params, query, [stamp_of(d) for d in docs])
            body = fmt.render((contract_fields(doc) for doc in docs), target.meta, now_modified)
            self.cache.put(now_etag, body)
            return body

        return self._cached(ask, etag, last_modified, fmt.content_type, render,
                            {"X-Content-Type-Options": "nosniff"})

    def _validators(self, target: Route, params: FeedParams, query: Query,
                    stamps: list[Stamp]) -> tuple[str, datetime | None]:
        meta = target.meta
        parts = [params.format, repr(replace(query, limit=params.limit)), repr(meta)]
        parts += [f"{s.id}\0{s.content_hash}\0{s.changed_at and iso(s.changed_at)}" for s in stamps]
        return etag_of(parts), max((s.changed_at for s in stamps if s.changed_at), default=None)


def stamp_of(doc: dict[str, Any]) -> Stamp:
    return Stamp(doc["id"], doc.get("content_hash", ""), doc.get("updated_at") or doc.get("first_seen_at"))
