"""A raw-socket ``http_proxy`` in front of the replica, for what a sane server never sends.

Requests for the paths in ``floods`` get a response head that never ends, or one with
thousands of headers; those in ``answers`` (a path, or a path and its query) get those bytes
as they are, whatever they hold; every other request is relayed to the replica (one request per
connection), with ``cookies`` new 4 KB ``Set-Cookie`` headers added to each answer. The
``Cookie`` header of every request is recorded (and not passed on), and so are the bytes
each flood sent. With ``tls`` it speaks HTTPS; ``CONNECT`` opens a tunnel to ``tunnel_to``.
"""

from __future__ import annotations

import itertools
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

# Flood kinds: a head of endless 1 KB headers, a header followed by endless continuation
# lines, or a complete head of this many small headers (then a page).
ENDLESS_HEADERS, ENDLESS_CONTINUATION, MANY_HEADERS = "endless_headers", "endless_continuation", "many_headers"
MANY = 5000
# Each flood stops after this many bytes (or when the crawler hangs up): without a cap on
# the crawler's side, enough for GiBs of parser state; with one, it hangs up after KiBs.
FLOOD_BUDGET = 96 * 1024 * 1024
COOKIE_SIZE = 4096


@dataclass
class Seen:
    path: str
    cookie_bytes: int  # length of the Cookie header, 0 when absent


class RawProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, upstream: str, floods: dict[str, str] | None = None, cookies: int = 0,
                 tls: ssl.SSLContext | None = None, tunnel_to: tuple[str, int] | None = None,
                 answers: dict[str, bytes] | None = None) -> None:
        parts = urlsplit(upstream)
        self.tls = tls
        self.tunnel_to = tunnel_to
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.floods = dict(floods or {})
        self.answers = dict(answers or {})
        self.cookies = cookies
        self.seen: list[Seen] = []
        self.flood_bytes: dict[str, int] = {}
        self.lock = threading.Lock()
        self.cookie_ids = itertools.count()
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        if self.tls is not None:
            connection = self.tls.wrap_socket(connection, server_side=True)
        return connection, address

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.StreamRequestHandler):
    server: RawProxy

    def handle(self) -> None:
        head = self.read_head()
        if head is None:
            return
        request_line, headers = head
        if request_line.startswith(b"CONNECT ") and self.server.tunnel_to:
            with self.server.lock:
                self.server.seen.append(Seen("CONNECT", 0))
            return self.tunnel()
        target = urlsplit(request_line.split(b" ")[1].decode("latin-1"))
        path = target.path
        cookie = b"".join(v for n, v in headers if n.lower() == b"cookie")
        with self.server.lock:
            self.server.seen.append(Seen(path, len(cookie)))
        kind = self.server.floods.get(path)
        answer = self.server.answers.get(f"{path}?{target.query}", self.server.answers.get(path))
        try:
            if answer is not None:
                self.connection.sendall(answer)
            elif kind:
                self.flood(path, kind)
            else:
                self.relay(request_line, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up: what a bounded client does with a flood

    def read_head(self) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
        request_line = self.rfile.readline(1 << 16).rstrip(b"\r\n")
        if not request_line:
            return None
        headers: list[tuple[bytes, bytes]] = []
        while True:
            # Cookie headers may be huge when a jar is sent back: read them whole, to record them.
            line = self.rfile.readline(1 << 26).rstrip(b"\r\n")
            if not line:
                return request_line, headers
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))

    def tunnel(self) -> None:
        """Answer CONNECT, then carry bytes both ways between the client and ``tunnel_to``."""
        with socket.create_connection(self.server.tunnel_to) as target:
            self.connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

            def pump(source: socket.socket, sink: socket.socket) -> None:
                try:
                    for chunk in iter(lambda: source.recv(1 << 16), b""):
                        sink.sendall(chunk)
                except OSError:
                    pass
                for end in (source, sink):
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

            back = threading.Thread(target=pump, args=(target, self.connection), daemon=True)
            back.start()
            pump(self.connection, target)
            back.join()

    def relay(self, request_line: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        dropped = (b"connection", b"keep-alive", b"proxy-connection", b"cookie")
        kept = [(n, v) for n, v in headers if n.lower() not in dropped]
        out = [request_line] + [n + b": " + v for n, v in kept] + [b"Connection: close", b"", b""]
        with socket.create_connection(self.server.upstream) as upstream:
            upstream.sendall(b"\r\n".join(out))
            answer = b"".join(iter(lambda: upstream.recv(1 << 16), b""))
        status, _, rest = answer.partition(b"\r\n")
        cookies = b"".join(
            b"Set-Cookie: c%d=%s; Path=/\r\n" % (next(self.server.cookie_ids), b"v" * COOKIE_SIZE)
            for _ in range(self.server.cookies)
        )
        self.connection.sendall(status + b"\r\n" + cookies + rest)

    def flood(self, path: str, kind: str) -> None:
        send = self.connection.sendall
        send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n")
        if kind == MANY_HEADERS:
            body = b"<html><body><div class='content'><p>many headers</p></div></body></html>"
            send(b"".join(b"X-Small-%d: %d\r\n" % (i, i) for i in range(MANY)))
            send(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            return
        if kind == ENDLESS_HEADERS:
            lines = (b"X-Flood-%d: %s\r\n" % (i, b"f" * 1024) for i in itertools.count())
        else:
            lines = itertools.chain([b"X-Flood: start\r\n"], (b" continued %d\r\n" % i for i in itertools.count()))
        sent = 0
        while sent < FLOOD_BUDGET:
            chunk = b"".join(itertools.islice(lines, 256))
            send(chunk)
            sent += len(chunk)
            with self.server.lock:
                self.server.flood_bytes[path] = sent


@contextmanager
def raw_proxy(upstream: str, floods: dict[str, str] | None = None, cookies: int = 0,
              tls: ssl.SSLContext | None = None, tunnel_to: tuple[str, int] | None = None,
              answers: dict[str, bytes] | None = None) -> Iterator[RawProxy]:
    server = RawProxy(upstream, floods, cookies, tls, tunnel_to, answers)
    thread = threading.Thread(target=server.serve_forever, name="raw-proxy", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
