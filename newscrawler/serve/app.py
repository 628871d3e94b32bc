"""Answering one request from the store: what to send, as status, headers and body.

``FeedApp.answer`` runs in a worker thread (the store's reads block); the Twisted side
(``site``) only writes what it returns. ``triage`` answers what needs no store (404, 400) on the
reactor thread. A feed's ETag comes from one small query (each article's id, content hash and
change time); while the store's version stays the same (SQLite's ``data_version``), not even
that, and its bytes (identity and gzip, each made once in a worker thread) are kept by ETag:
``from_memory`` then answers a warm feed on the reactor thread, with no store read at all. A feed
holds at most ``max_feed_bytes``: the newest articles that fit, always one.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newscrawler.serve.conditional import etag_of, http_date, is_current
from newscrawler.serve.formats import FORMATS
from newscrawler.serve.index import render_index
from newscrawler.serve.params import BadRequest, FeedParams, feed_params
from newscrawler.serve.routes import HEALTH, INDEX, Route, route
from newscrawler.sources.profile import SourceProfile
from newscrawler.storage.base import Query, StoreError
from newscrawler.storage.documents import contract_fields, iso
from newscrawler.storage.readonly import ChannelSummary, Stamp, StoreNeedsUpgrade, StoreReader
from newscrawler.text import utf8_length

logger = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
# Rendered bodies kept, by ETag: at most this many bytes in all.
CACHE_BYTES = 64 * 1024 * 1024
# Pages whose validators are kept (the cache empties when full).
MAX_VALIDATORS = 4096
# Seconds a store version read stays good for answers from memory alone: a change in the store
# shows within that long (readers revalidate every SERVE_CACHE_MAX_AGE seconds anyway).
VERSION_FRESH = 1.0
# The page at / may only load its own inline style: nothing in it runs.
INDEX_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
# gzip level of the cached copies: made once per ETag, so a little slower than Twisted's per-request 9 is not
# needed; 6 is zlib's default (most of 9's gain at a fraction of its time).
GZIP_LEVEL = 6
# What triage says needs the store: the health check (one small read), or a page (feed or index).
STORE, HEALTH_CHECK = "store", "health"


@dataclass
class Ask:
    """What the Twisted side passes on of a request."""

    segments: list[bytes]  # the path, split at / and unquoted
    args: dict[bytes, list[bytes]]
    if_none_match: str | None = None
    if_modified_since: str | None = None
    gzip: bool = False  # the client takes gzip (Accept-Encoding)


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


@dataclass(frozen=True)
class Known:
    """What one page's last answer was, at one version of the store."""

    token: Hashable  # the store's version it was computed at
    etag: str
    last_modified: datetime | None
    empty: bool
    content_type: str
    extra: tuple[tuple[str, str], ...] = ()


Key = tuple[Route, Any]


def gzip_key(etag: str) -> str:
    return f"{etag} gzip"


def article_bytes(fields: Mapping[str, Any]) -> int:
    """An article's text in UTF-8: what it adds to a feed, before the format's markup and escaping."""
    size = 0
    for value in fields.values():
        if isinstance(value, str):
            size += utf8_length(value)
        elif isinstance(value, list):
            size += sum(utf8_length(v) for v in value if isinstance(v, str))
    return size


class FeedApp:
    def __init__(self, reader: StoreReader, profiles: Mapping[str, SourceProfile], max_age: int,
                 max_feed_bytes: int = 8 * 1024 * 1024) -> None:
        self.reader = reader
        self.profiles = profiles
        self.max_feed_bytes = max_feed_bytes
        self.feeds_cut = 0  # feeds built without some of their articles (SERVE_MAX_FEED_BYTES)
        self.cache_control = f"public, max-age={max_age}"
        self.cache = BodyCache()
        # (route, parameters) -> its last answer's validators, when the store has versions.
        self.validators: dict[Key, Known] = {}
        self.version: tuple[Hashable, float] | None = None  # the store's version, and when it was read

    def key(self, ask: Ask) -> tuple[Route | None, Key | None]:
        """The route and what names the page within it; BadRequest for a bad parameter."""
        target = route(ask.segments, self.profiles)
        if target is None or target.kind == HEALTH:
            return target, None
        if target.kind == INDEX:
            if ask.args:
                raise BadRequest("the index page takes no parameters")
            return target, (target, None)
        if set(ask.args) - {b"limit", b"since", b"format"}:
            raise BadRequest("unknown parameter (a feed takes limit, since and format)")
        return target, (target, feed_params(ask.args, target.extension))

    def triage(self, ask: Ask) -> Answer | str:
        """On the reactor thread, without the store: the answer to a request for nothing (404) or with a
        bad parameter (400); else what it needs, HEALTH_CHECK or STORE."""
        try:
            target, _ = self.key(ask)
        except BadRequest as exc:
            return short(400, f"bad request: {exc}")
        if target is None:
            return short(404, "not found")
        return HEALTH_CHECK if target.kind == HEALTH else STORE

    def from_memory(self, ask: Ask) -> Answer | None:
        """The answer without the store, on the reactor thread: when the store's version was read
        within VERSION_FRESH seconds and this page's validators (and body) are known at it; else None."""
        seen = self.version
        if seen is None or time.monotonic() - seen[1] > VERSION_FRESH:
            return None
        try:
            _, key = self.key(ask)
        except BadRequest:
            return None
        known = self.validators.get(key) if key is not None else None
        if known is None or known.token != seen[0] or known.empty:
            return None
        if is_current(ask.if_none_match, ask.if_modified_since, known.etag, known.last_modified):
            return Answer(304, b"", self._headers(known))
        body = self.cache.get(gzip_key(known.etag) if ask.gzip else known.etag)
        return self._full(known, body, ask.gzip) if body is not None else None

    def answer(self, ask: Ask) -> Answer:
        """The answer to ``ask``; a store that does not answer is a 503, a bad parameter a 400."""
        try:
            target, key = self.key(ask)
            if target is None:
                return short(404, "not found")
            if target.kind == HEALTH:
                return self.health()
            assert key is not None
            if target.kind == INDEX:
                return self.index(ask, key)
            return self.feed(ask, target, key)
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

    def _token(self) -> Hashable | None:
        token = self.reader.version()
        if token is not None:
            self.version = (token, time.monotonic())
        return token

    def _known(self, key: Key, compute: Any) -> Known:
        """This page's validators at the store's version: kept ones while it stays the same."""
        token = self._token()
        known = self.validators.get(key) if token is not None else None
        if known is not None and known.token == token:
            return known
        known = compute(token)
        if token is not None:
            if len(self.validators) >= MAX_VALIDATORS:
                self.validators.clear()
            self.validators[key] = known
        return known

    def _headers(self, known: Known) -> dict[str, str]:
        headers = {"Content-Type": known.content_type, "ETag": known.etag, "Cache-Control": self.cache_control,
                   "Vary": "Accept-Encoding", **dict(known.extra)}
        if known.last_modified is not None:
            headers["Last-Modified"] = http_date(known.last_modified)
        return headers

    def _full(self, known: Known, body: bytes, zipped: bool) -> Answer:
        headers = self._headers(known)
        if zipped:
            headers["Content-Encoding"] = "gzip"
        return Answer(200, body, headers)

    def _cached(self, ask: Ask, known: Known, render: Any) -> Answer:
        if is_current(ask.if_none_match, ask.if_modified_since, known.etag, known.last_modified):
            return Answer(304, b"", self._headers(known))
        body = self.cache.get(known.etag)
        if body is None:  # built now: its headers are those of what it was built from (the store may have moved on)
            known, body = render()
        if not ask.gzip:
            return self._full(known, body, False)
        zipped = self.cache.get(gzip_key(known.etag))
        if zipped is None:  # once per ETag, here in the worker thread, never on the reactor's
            zipped = gzip.compress(body, GZIP_LEVEL, mtime=0)
            self.cache.put(gzip_key(known.etag), zipped)
        return self._full(known, zipped, True)

    def index(self, ask: Ask, key: Key) -> Answer:
        extra = (("Content-Security-Policy", INDEX_POLICY), ("X-Content-Type-Options", "nosniff"))

        def validators(summaries: list[ChannelSummary], token: Hashable) -> Known:
            etag = etag_of(["index", *(f"{s.source}\0{s.channel_id!r}\0{s.count}\0{s.newest}\0{s.crawled}"
                                       for s in summaries)])
            crawled = max((s.crawled for s in summaries if s.crawled), default=None)
            return Known(token, etag, crawled, False, HTML, extra)

        def render() -> tuple[Known, bytes]:
            summaries = self.reader.overview()
            body = render_index(summaries, self.profiles)
            now = validators(summaries, None)
            self.cache.put(now.etag, body)
            return now, body

        known = self._known(key, lambda token: validators(self.reader.overview(), token))
        return self._cached(ask, known, render)

    def feed(self, ask: Ask, target: Route, key: Key) -> Answer:
        params: FeedParams = key[1]
        query = Query(since=params.since, source=target.source, channel=target.channel, limit=params.limit)
        fmt = FORMATS[params.format]

        def validators(stamps: list[Stamp], token: Hashable) -> Known:
            meta = target.meta
            parts = [params.format, repr(query), repr(meta)]
            parts += [f"{s.id}\0{s.content_hash}\0{s.changed_at and iso(s.changed_at)}" for s in stamps]
            return Known(token, etag_of(parts), max((s.changed_at for s in stamps if s.changed_at), default=None),
                         not stamps, fmt.content_type, (("X-Content-Type-Options", "nosniff"),))

        def render() -> tuple[Known, bytes]:
            # The store may have moved on since the stamps: the bytes are kept under their own ETag,
            # made of the rows they were built from. The newest articles that fit the byte budget are
            # kept (always one), read one at a time: what is left out is never held.
            stamps: list[Stamp] = []
            kept: list[dict[str, Any]] = []
            size = left_out = 0
            for stamp, doc in self.reader.articles(query):
                stamps.append(stamp)
                if doc is None:
                    continue
                fields = contract_fields(doc)
                cost = article_bytes(fields)
                if left_out or (kept and size + cost > self.max_feed_bytes):
                    left_out += 1
                    continue
                kept.append(fields)
                size += cost
            now = validators(stamps, None)
            # The build time is the newest change, so the same articles always give the same bytes.
            body = fmt.render(kept, target.meta, now.last_modified)
            while len(body) > self.max_feed_bytes and len(kept) > 1:  # the markup and escaping on top
                fewer = min(len(kept) - 1, max(1, len(kept) * self.max_feed_bytes // len(body)))
                left_out += len(kept) - fewer
                del kept[fewer:]
                body = fmt.render(kept, target.meta, now.last_modified)
            if left_out:
                self.feeds_cut += 1
                logger.warning("Feed %s: %d of %d articles left out, past SERVE_MAX_FEED_BYTES (%d bytes; "
                               "%d feeds cut so far)", feed_name(target, params), left_out, left_out + len(kept),
                               self.max_feed_bytes, self.feeds_cut)
            self.cache.put(now.etag, body)
            return now, body

        known = self._known(key, lambda token: validators(self.reader.stamps(query), token))
        if known.empty and not target.known:
            return short(404, "not found")
        return self._cached(ask, known, render)


def feed_name(target: Route, params: FeedParams) -> str:
    """A feed as the log names it: its source, channel and parameters."""
    channel = "" if target.channel is None else f"/{target.channel}"
    since = f", since {iso(params.since)}" if params.since else ""
    return f"{target.source}{channel} ({params.format}, limit {params.limit}{since})"
