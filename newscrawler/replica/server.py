"""Serve the replica over HTTP on 127.0.0.1, as a site and as an HTTP proxy.

Requests for the other sources' hosts (``sources.py``: weekly.dockone.io,
www.woshipm.com, www.myzaker.com, feeds.example.com) go to those sites; any
other host gets the 趣头条 routes, by path, so the replica works both as
``http_proxy`` (the crawler keeps the real hosts: api.1sapp.com,
html2.qktoutiao.com, ...) and as a plain mirror of the listing API.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, parse_qs, urlsplit

from newscrawler.replica import feed_attacks, hostile
from newscrawler.replica.served import Ask
from newscrawler.replica.site import ReplicaArticle, ReplicaConfig, Site

logger = logging.getLogger(__name__)

# JSON of the hit count per path (not counted itself); "host/path" for the other sources' hosts.
HITS_PATH = "/__hits"
# JSON of every article the other sources publish, with its true publication time (not counted).
ARTICLES_PATH = "/__articles"
ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0, config: ReplicaConfig = ReplicaConfig(), detail_delay: float = 0.0) -> None:
        self.site = Site(config)
        self.detail_delay = detail_delay  # seconds before an article page answers: a slow site
        self.failed_once: set[str] = set()
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        # The clock relative times are shown against; a test may fix it.
        self.clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        super().__init__(("127.0.0.1", port), ReplicaHandler)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # A crawler that cancels an oversized download hangs up mid-body: expected, not a bug.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            logger.debug("%s hung up mid-response", client_address)
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ReplicaHandler(BaseHTTPRequestHandler):
    server: ReplicaServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: with Nagle's algorithm on, the body would wait for
    # the client's delayed ACK of the headers, about 40 ms on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        logger.debug("%s %s", self.address_string(), format % args)

    def send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == HITS_PATH:
            # Requests per path so far, for tests and benchmarks of separate processes.
            with self.server.lock:
                body = json.dumps(self.server.hits).encode()
            return self.send(200, "application/json", body)
        site = self.server.site
        if path == ARTICLES_PATH:
            return self.send(200, "application/json", json.dumps(site.sources.published(), ensure_ascii=False).encode())
        host = self.requested_host(parts)
        other_source = site.sources.serves(host)
        key = f"{host}{path}" if other_source else path
        with self.server.lock:
            self.server.hits[key] = self.server.hits.get(key, 0) + 1
        if site.config.delay > 0:
            time.sleep(site.config.delay)
        if path == "/robots.txt":
            return self.send(200, "text/plain", ROBOTS_TXT)
        if other_source:
            reply = site.sources.reply(Ask(host, path, query, self.server.clock(), self.server.server_address[1]))
            return self.send(reply.status, reply.content_type, reply.body, **reply.headers)
        if path == feed_attacks.XXE_PATH:  # what a hostile feed's external entity names
            return self.send(200, "text/plain", feed_attacks.XXE_SECRET)
        if path == "/content/outList":
            try:
                cid = int(query["cid"][0])
                page = int(query.get("page", ["1"])[0])
                limit = int(query.get("limit", ["10"])[0])
            except (KeyError, ValueError):
                return self.send(400, "application/json", b'{"code": 400, "message": "bad parameters"}')
            return self.send(*site.listing(cid, page, limit))
        article = site.detail(path)
        if article is not None and self.server.detail_delay:
            time.sleep(self.server.detail_delay)  # counted in /__hits at once: tests see it in flight
        if article is None or article.status == "missing":
            return self.send(404, "text/html", b"<html><body><h1>404 Not Found</h1></body></html>")
        if article.status == "flaky":
            with self.server.lock:
                first = path not in self.server.failed_once
                self.server.failed_once.add(path)
            if first:
                return self.send(500, "text/html", b"<html><body>502 upstream busy</body></html>")
        if article.trap and path == article.path:
            trapped = self.trap(article)
            if trapped:
                return
        charset = article.header_label or article.charset.upper()
        content_type = f"text/html; charset={charset}" if article.header_charset else "text/html"
        return self.send(200, content_type, site.detail_html(article))

    def requested_host(self, parts: SplitResult) -> str:
        """The host a proxied request names in its request line, else the Host header's."""
        host = parts.hostname or urlsplit("//" + self.headers.get("Host", "")).hostname
        return (host or "").lower()

    def trap(self, article: ReplicaArticle) -> bool:
        """The hostile pages that answer with something other than their HTML; True when sent."""
        if article.trap == "private":
            port = self.server.server_address[1]
            self.send(302, "text/html", b"", Location=f"http://127.0.0.1:{port}/private/admin")
        elif article.trap == "loop":
            self.send(302, "text/html", b"", Location=article.path)
        elif article.trap == "moved":
            self.send(301, "text/html", b"", Location=f"/detail/moved/2021/{article.source_id}.html")
        elif article.trap == "bomb":
            self.send(200, "text/html; charset=UTF-8", hostile.gzip_bomb(), Content_Encoding="gzip")
        elif article.trap in hostile.UNDECODABLE:
            encoding, body = hostile.undecodable_body(article.trap, self.server.site.detail_html(article))
            self.send(200, "text/html; charset=UTF-8", body, Content_Encoding=encoding)
        else:
            return False
        return True


def serve_in_thread(port: int = 0, config: ReplicaConfig = ReplicaConfig()) -> ReplicaServer:
    """Start a replica in a daemon thread; call ``shutdown()`` when done."""
    server = ReplicaServer(port, config)
    threading.Thread(target=server.serve_forever, name="replica", daemon=True).start()
    return server
