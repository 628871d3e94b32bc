"""The Twisted side of ``scrapy serve``: the resource, the site's limits and its access log.

What needs no store (a 404, a 400, a page memory holds: ``FeedApp.triage``, ``from_memory``) is
answered on the reactor thread at once. The rest goes to ``FeedApp.answer`` in the reactor's thread
pool: the health check straight away, pages (feed and index builds) through a semaphore of
``SERVE_MAX_BUILDS``, so that builds never hold every thread and ``/healthz`` always finds one.
Bodies past ``WRITE_AT_ONCE`` bytes go out through a pull producer over the cached bytes, so a
client that does not read holds a reference and a chunk, never a copy. Limits are public knobs of
``HTTPChannel`` (``maxHeaders``, ``totalHeadersSize``, ``MAX_LENGTH``), ``Site.timeOut``, a deadline
for each request head and a cap on open connections.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from twisted.internet import defer, threads
from twisted.internet.interfaces import IAddress, IDelayedCall
from twisted.protocols.basic import FileSender
from twisted.python.failure import Failure
from twisted.web import http, resource, server

from newscrawler.serve.app import HEALTH_CHECK, Answer, Ask, FeedApp, short

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("newscrawler.serve.access")

# Bodies up to this size are written in one call (a copy per connection, small); larger ones through
# a producer reading the cached bytes in FileSender's chunks, as the client takes them.
WRITE_AT_ONCE = 256 * 1024
# Requests waiting for a build slot past this many get a 503 at once (each waiting one holds nothing).
MAX_WAITING = 256
METHODS = (b"GET", b"HEAD")


@dataclass(frozen=True)
class Limits:
    idle_timeout: int  # seconds a connection may stay silent (Site.timeOut)
    max_headers: int  # header lines per request
    max_header_bytes: int  # request line and headers together
    max_line: int  # the request line (so the URL) and each header line
    header_timeout: float = 10.0  # seconds from a request's first byte to the end of its head
    max_connections: int = 512  # open client connections; more are closed at once
    max_builds: int = 4  # feeds and index pages built (store reads) at once


def accepts_gzip(value: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip: named (or ``x-gzip``) with a weight above 0.
    (``*`` is not taken as gzip: identity is always acceptable, RFC 9110 12.5.3.)

    >>> accepts_gzip("gzip, deflate, br"), accepts_gzip("gzip;q=0"), accepts_gzip("br;q=1, GZIP; q=0.5")
    (True, False, True)
    >>> accepts_gzip("*"), accepts_gzip(None), accepts_gzip("gzip;q=x"), accepts_gzip("gzipped")
    (False, False, False, False)
    """
    for item in (value or "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip"):
            continue
        weight = re.search(r"(?i)(?:^|;)\s*q\s*=\s*([^;\s]*)", params)
        return weight is None or bool(re.fullmatch(r"0(?:\.\d{0,3})?|1(?:\.0{0,3})?", weight.group(1))
                                      and float(weight.group(1)) > 0)
    return False


def path_segments(path: bytes) -> list[bytes]:
    """A request target's path split at ``/``, each unquoted (as Twisted's ``postpath``); the path of an
    absolute-form target (``GET http://host/path``, RFC 9112 3.2.2) too.

    >>> path_segments(b"/news/1"), path_segments(b"http://x:1/plain"), path_segments(b"/a%2fb")
    ([b'news', b'1'], [b'plain'], [b'a/b'])
    >>> path_segments(b"*"), path_segments(b"http://x")
    ([b'*'], [b''])
    """
    if not path.startswith(b"/") and re.match(rb"(?i)https?://", path):
        path = urlsplit(path).path or b"/"
    if not path.startswith(b"/"):
        return [path]  # names nothing: a 404
    return [unquote_to_bytes(segment) for segment in path[1:].split(b"/")]


class FeedResource(resource.Resource):
    isLeaf = True

    def __init__(self, app: FeedApp, max_builds: int = 4) -> None:
        super().__init__()
        self.app = app
        self.builds = defer.DeferredSemaphore(max_builds)

    def render(self, request: server.Request) -> Any:
        """GET and HEAD; any other method a 405 with the short plain-text body (not Twisted's page)."""
        if request.method not in METHODS:
            self.write(short(405, "method not allowed", Allow="GET, HEAD"), request, [])
            return server.NOT_DONE_YET
        return self.render_GET(request)

    def render_GET(self, request: server.Request) -> Any:
        ask = Ask(path_segments(request.path), dict(request.args), _header(request, b"if-none-match"),
                  _header(request, b"if-modified-since"), accepts_gzip(_header(request, b"accept-encoding")))
        done: list[bool] = []
        try:
            quick = self.app.from_memory(ask)  # a warm page at a fresh store version: no store read
            need = self.app.triage(ask) if quick is None else None  # a 404 or 400: no store read either
        except Exception:  # a bug: logged, and the client gets a short 500
            self.write(self.failed(Failure(), request), request, done)
            return server.NOT_DONE_YET
        if quick is not None or isinstance(need, Answer):
            self.write(quick or need, request, done)
            return server.NOT_DONE_YET
        request.notifyFinish().addBoth(lambda _: done.append(True))  # written, or the client went away
        if need == HEALTH_CHECK:  # one small read: never queued behind the builds
            work = threads.deferToThread(self.app.answer, ask)
        elif len(self.builds.waiting) >= MAX_WAITING:
            logger.warning("Busy: %d requests wait for a build; %s answered 503", len(self.builds.waiting),
                           request.uri.decode("latin-1")[:500])
            work = defer.succeed(short(503, "busy, try again later", **{"Retry-After": "5"}))
        else:
            work = self.builds.run(self.build, ask, done)
        work.addErrback(self.failed, request)
        work.addCallback(self.write, request, done)
        return server.NOT_DONE_YET

    render_HEAD = render_GET

    def build(self, ask: Ask, done: list[bool]) -> defer.Deferred[Answer | None]:
        if done:  # the client left while it waited: nothing to build for it
            return defer.succeed(None)
        return threads.deferToThread(self.app.answer, ask)

    def failed(self, failure: Failure, request: server.Request) -> Answer:
        """A bug: its traceback goes to the log, the client gets a short 500."""
        logger.error("Unexpected error answering %s %s:\n%s", request.method.decode("latin-1"),
                     request.uri.decode("latin-1")[:500], failure.getTraceback())
        return short(500, "internal error")

    def write(self, answer: Answer | None, request: server.Request, done: list[bool]) -> None:
        if done or answer is None:  # the client has gone
            return
        request.setResponseCode(answer.status)
        for name, value in answer.headers.items():
            request.setHeader(name, value)
        if answer.status == 304:
            request.finish()
            return
        request.setHeader("Content-Length", str(len(answer.body)))
        if request.method == b"HEAD" or len(answer.body) <= WRITE_AT_ONCE:
            request.write(answer.body)  # a HEAD request writes none of it
            request.finish()
            return
        # The cached bytes themselves (BytesIO shares them until written to), read as the client takes them.
        sending = FileSender().beginFileTransfer(io.BytesIO(answer.body), request)
        sending.addCallbacks(lambda _: request.finish() if not done else None,
                             lambda _: None)  # the client went away mid-body: nothing more to send


def _header(request: server.Request, name: bytes) -> str | None:
    values = request.requestHeaders.getRawHeaders(name)
    return b", ".join(values).decode("latin-1") if values else None


class QuietRequest(server.Request):
    """A request whose body nobody reads: kept in memory, and dropped as it comes."""

    def gotLength(self, length: int | None) -> None:
        self.content = io.BytesIO()

    def handleContentChunk(self, data: bytes) -> None:
        pass


LINE_TOO_LONG = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 31\r\n"
                 b"Connection: close\r\n\r\nbad request: a line is too long\n")


class BoundedHTTPChannel(http.HTTPChannel):
    """HTTPChannel with the site's bounds: a deadline from a request's first byte to the end of its head
    (a client that trickles a byte a minute is closed, like nginx's client_header_timeout), an
    answer to a line past MAX_LENGTH, and a count of open connections."""

    site: FeedSite
    head_deadline: IDelayedCall | None = None
    awaiting_head = True

    def connectionMade(self) -> None:
        super().connectionMade()
        self.site.open_connections += 1

    def dataReceived(self, data: bytes) -> None:
        if self.awaiting_head and self.head_deadline is None:
            from twisted.internet import reactor

            self.head_deadline = reactor.callLater(self.site.limits.header_timeout, self.head_too_slow)
        super().dataReceived(data)

    def allHeadersReceived(self) -> None:
        self.awaiting_head = False
        self.stop_deadline()
        super().allHeadersReceived()

    def requestDone(self, request: http.Request) -> None:
        super().requestDone(request)
        self.awaiting_head = True  # the next request's head (a pipelined one is read from here on)

    def head_too_slow(self) -> None:
        self.head_deadline = None
        logger.info("Closed a connection from %s: no request head within %g s", self.transport.getPeer(),
                    self.site.limits.header_timeout)
        self.transport.abortConnection()

    def stop_deadline(self) -> None:
        if self.head_deadline is not None and self.head_deadline.active():
            self.head_deadline.cancel()
        self.head_deadline = None

    def lineLengthExceeded(self, line: bytes) -> None:
        """A request line or header line past MAX_LENGTH: a 400 the client can tell from a crash, then close."""
        self.transport.write(LINE_TOO_LONG)
        self.transport.loseConnection()

    def connectionLost(self, reason: Failure) -> None:
        self.stop_deadline()
        self.site.open_connections -= 1
        super().connectionLost(reason)


class FeedSite(server.Site):
    """A Site with bounded requests and connections, no tracebacks in pages, and the access log in
    combined format."""

    displayTracebacks = False
    requestFactory = QuietRequest

    def __init__(self, root: resource.Resource, limits: Limits) -> None:
        super().__init__(root, timeout=limits.idle_timeout)
        self.limits = limits
        self.open_connections = 0
        # Plain HTTP/1.1 channels (no HTTP/2, which needs TLS anyway), bounded by the settings.
        self.protocol = type("SiteHTTPChannel", (BoundedHTTPChannel,), {
            "maxHeaders": limits.max_headers, "totalHeadersSize": limits.max_header_bytes,
            "MAX_LENGTH": limits.max_line})

    def buildProtocol(self, addr: IAddress) -> Any:
        if self.open_connections >= self.limits.max_connections:  # None: Twisted closes the new socket
            logger.warning("Refused a connection from %s: %d open (SERVE_MAX_CONNECTIONS)", addr,
                           self.open_connections)
            return None
        return super().buildProtocol(addr)

    def log(self, request: server.Request) -> None:
        access_logger.info("%s", http.combinedLogFormatter(http.datetimeToLogString(), request))


def build_site(app: FeedApp, limits: Limits) -> FeedSite:
    """The site: the feeds, gzip-encoded from the cache for clients that ask for it."""
    return FeedSite(FeedResource(app, limits.max_builds), limits)
