"""The Twisted side of ``scrapy serve``: the resource, the site's limits and its access log.

The resource hands each request to ``FeedApp.answer`` in the reactor's thread pool and writes
what comes back, so a slow query never holds the reactor, and a slow client only its own
connection; only what memory alone answers (``FeedApp.from_memory``) is written at once. Gzip is Twisted's (``EncodingResourceWrapper``); limits are public knobs of
``HTTPChannel`` (``maxHeaders``, ``totalHeadersSize``, ``MAX_LENGTH``) and ``Site.timeOut``.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from twisted.internet import threads
from twisted.python.failure import Failure
from twisted.web import http, resource, server

from newscrawler.serve.app import Answer, Ask, FeedApp, short

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("newscrawler.serve.access")


@dataclass(frozen=True)
class Limits:
    idle_timeout: int  # seconds a connection may stay silent (Site.timeOut)
    max_headers: int  # header lines per request
    max_header_bytes: int  # request line and headers together
    max_line: int  # the request line (so the URL) and each header line


class FeedResource(resource.Resource):
    isLeaf = True

    def __init__(self, app: FeedApp) -> None:
        super().__init__()
        self.app = app

    def render_GET(self, request: server.Request) -> Any:
        ask = Ask(list(request.postpath), dict(request.args), _header(request, b"if-none-match"),
                  _header(request, b"if-modified-since"))
        done: list[bool] = []
        try:
            quick = self.app.from_memory(ask)  # a warm page at a fresh store version: no store read
        except Exception:  # a bug: logged, and the page asked of the store as any other
            logger.exception("Unexpected error answering %s from memory", request.uri.decode("latin-1")[:500])
            quick = None
        if quick is not None:
            self.write(quick, request, done)
            return server.NOT_DONE_YET
        request.notifyFinish().addBoth(lambda _: done.append(True))  # written, or the client went away
        work = threads.deferToThread(self.app.answer, ask)
        work.addErrback(self.failed, request)
        work.addCallback(self.write, request, done)
        return server.NOT_DONE_YET

    render_HEAD = render_GET

    def failed(self, failure: Failure, request: server.Request) -> Answer:
        """A bug: its traceback goes to the log, the client gets a short 500."""
        logger.error("Unexpected error answering %s %s:\n%s", request.method.decode("latin-1"),
                     request.uri.decode("latin-1")[:500], failure.getTraceback())
        return short(500, "internal error")

    def write(self, answer: Answer, request: server.Request, done: list[bool]) -> None:
        if done:  # the client has gone
            return
        request.setResponseCode(answer.status)
        for name, value in answer.headers.items():
            request.setHeader(name, value)
        if answer.status != 304:
            request.setHeader("Content-Length", str(len(answer.body)))  # dropped by gzip, which streams
            request.write(answer.body)  # a HEAD request writes none of it
        request.finish()


def _header(request: server.Request, name: bytes) -> str | None:
    values = request.requestHeaders.getRawHeaders(name)
    return b", ".join(values).decode("latin-1") if values else None


class QuietRequest(server.Request):
    """A request whose body nobody reads: kept in memory, and dropped as it comes."""

    def gotLength(self, length: int | None) -> None:
        self.content = io.BytesIO()

    def handleContentChunk(self, data: bytes) -> None:
        pass


class FeedSite(server.Site):
    """A Site with bounded requests, no tracebacks in pages, and the access log in combined format."""

    displayTracebacks = False
    requestFactory = QuietRequest

    def __init__(self, root: resource.Resource, limits: Limits) -> None:
        super().__init__(root, timeout=limits.idle_timeout)
        # Plain HTTP/1.1 channels (no HTTP/2, which needs TLS anyway), bounded by the settings.
        self.protocol = type("BoundedHTTPChannel", (http.HTTPChannel,), {
            "maxHeaders": limits.max_headers, "totalHeadersSize": limits.max_header_bytes,
            "MAX_LENGTH": limits.max_line})

    def log(self, request: server.Request) -> None:
        access_logger.info("%s", http.combinedLogFormatter(http.datetimeToLogString(), request))


def build_site(app: FeedApp, limits: Limits) -> FeedSite:
    """The site: the feeds behind Twisted's gzip (for clients that ask for it)."""
    root = resource.EncodingResourceWrapper(FeedResource(app), [server.GzipEncoderFactory()])
    return FeedSite(root, limits)
