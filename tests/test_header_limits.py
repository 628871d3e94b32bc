"""Response heads are bounded: DOWNLOAD_MAXHEADERSIZE bytes, DOWNLOAD_MAXHEADERS lines.

The guard is tested alone on any split of its input, then through Scrapy's handler over
HTTP and HTTPS (direct and through a CONNECT tunnel), then as ``scrapy crawl`` through a
server that floods three article pages: the crawl's peak memory stays small, the floods
are counted and logged with their URLs, and every other article is stored.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionAborted
from twisted.internet.protocol import ClientFactory, Protocol
from twisted.internet.testing import StringTransport
from twisted.internet.threads import blockingCallFromThread
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed, ResponseNeverReceived

from newscrawler.downloader.handler import HeadLimitedDownloadHandler
from newscrawler.downloader.headerguard import TWISTED_MAX_LINE, GuardFactory, HeadGuard, HeadLimits, ResponseHeadersTooLarge
from newscrawler.replica.server import serve_in_thread
from newscrawler.replica.site import ReplicaConfig, Site
from tests import oracle
from tests.crawling import project_settings_dict, running_reactor, source_spider
from tests.processes import scrapy_measured
from tests.rawproxy import ENDLESS_CONTINUATION, ENDLESS_HEADERS, FLOOD_BUDGET, MANY_HEADERS, raw_proxy

QutoutiaoSpider = source_spider("qutoutiao")

LIMITS = HeadLimits(max_bytes=256 * 1024, max_lines=500)
MiB = 1024 * 1024


class Recorder(Protocol):
    def __init__(self) -> None:
        self.data = bytearray()
        self.reason: Failure | None = None

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.reason = reason


def guarded(limits: HeadLimits = LIMITS) -> tuple[HeadGuard, Recorder, StringTransport]:
    guard = GuardFactory(ClientFactory.forProtocol(Recorder), limits).buildProtocol(None)
    transport = StringTransport()
    guard.makeConnection(transport)
    return guard, guard.wrappedProtocol, transport


def feed(guard: HeadGuard, data: bytes, cuts: list[int]) -> None:
    edges = [0, *sorted(set(cuts)), len(data)]
    for start, stop in zip(edges, edges[1:]):
        if stop > start:
            guard.dataReceived(data[start:stop])


def head(lines: list[bytes], eol: bytes = b"\r\n", status: bytes = b"HTTP/1.1 200 OK") -> bytes:
    return b"".join(line + eol for line in [status, *lines, b""])


# Two responses on one connection: an informational head first, LF-only lines, a folded
# header; bodies full of lines and blank lines, which are not head lines.
BODY = b"<p>\n\n</p>\n" * 3000
FIRST = (head([b"X-Early: 1"], status=b"HTTP/1.1 100 Continue")
         + head([b"Content-Type: text/html", b"X-Folded: a", b"  b", b"\tc", b"Content-Length: %d" % len(BODY)])
         + BODY)
SECOND = head([b"Content-Length: 5"], eol=b"\n") + b"hello"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, len(FIRST)), max_size=12), st.lists(st.integers(0, len(SECOND)), max_size=8))
def test_heads_under_the_limits_pass_whole_however_split(cuts1: list[int], cuts2: list[int]) -> None:
    guard, protocol, transport = guarded(HeadLimits(max_bytes=200, max_lines=6))  # bodies are far over both
    guard.write(b"GET /1 HTTP/1.1\r\n\r\n")
    feed(guard, FIRST, cuts1)
    guard.writeSequence([b"GET /2 HTTP/1.1\r\n", b"\r\n"])  # the next request: a new head follows
    feed(guard, SECOND, cuts2)
    assert bytes(protocol.data) == FIRST + SECOND
    assert not transport.disconnecting and guard.refused is None
    assert transport.value() == b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"


def exact_head(size: int) -> bytes:
    """A head of exactly ``size`` bytes (one padded header line)."""
    bare = head([b"X-Pad: "])
    return head([b"X-Pad: " + b"p" * (size - len(bare))])


CASES = [
    # (head, limits, what the refusal says; None: it passes)
    (exact_head(4096), HeadLimits(4096, 500), None),
    (exact_head(4097), HeadLimits(4096, 500), "DOWNLOAD_MAXHEADERSIZE (4096 bytes)"),
    (head([b"X-%d: v" % i for i in range(500)]), LIMITS, None),
    (head([b"X-%d: v" % i for i in range(501)]), LIMITS, "DOWNLOAD_MAXHEADERS (500 header lines)"),
    (head([b"X-Fold: a"] + [b" more"] * 500), LIMITS, "DOWNLOAD_MAXHEADERS (500 header lines)"),
    (head([b"X-Fold: a"] + [b"\tmore"] * 499), LIMITS, None),
    # Two 1xx heads and the final one are counted together.
    (head([b"A: 1"] * 3, status=b"HTTP/1.1 103 Early Hints") * 2 + head([b"B: 2"]), HeadLimits(1000, 7), None),
    (head([b"A: 1"] * 3, status=b"HTTP/1.1 103 Early Hints") * 2 + head([b"B: 2"]), HeadLimits(1000, 6),
     "DOWNLOAD_MAXHEADERS (6 header lines)"),
    (head([b"X-Long: " + b"l" * TWISTED_MAX_LINE]), HeadLimits(10 * MiB, 500), f"over {TWISTED_MAX_LINE} bytes"),
    (head([b"X-Long: " + b"l" * (TWISTED_MAX_LINE - 20)]), HeadLimits(10 * MiB, 500), None),
]


@pytest.mark.parametrize("data, limits, refusal", CASES)
@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_limits_table(data: bytes, limits: HeadLimits, refusal: str | None, chunk: int) -> None:
    guard, protocol, transport = guarded(limits)
    guard.write(b"GET / HTTP/1.1\r\n\r\n")
    feed(guard, data + b"body", list(range(chunk, len(data), chunk)))
    if refusal is None:
        assert bytes(protocol.data) == data + b"body" and not transport.disconnecting
        return
    assert transport.disconnecting and refusal in str(guard.refused)
    # The head up to the limit reaches the protocol (a failed response, which Twisted's pool does
    # not retry), and never a byte past it.
    assert 0 < len(protocol.data) <= (limits.max_bytes if "bytes)" in refusal else len(data))
    assert data.startswith(bytes(protocol.data))
    delivered = len(protocol.data)
    guard.dataReceived(b"X-After: the abort\r\n")
    assert len(protocol.data) == delivered  # what arrives after the abort goes nowhere
    guard.connectionLost(Failure(ConnectionAborted()))
    assert protocol.reason is not None and protocol.reason.check(ResponseHeadersTooLarge)  # the protocol learns why


def test_each_head_is_counted_on_its_own() -> None:
    """Many responses on one kept-alive connection: the limit is per head, not per connection."""
    guard, protocol, transport = guarded(HeadLimits(max_bytes=100, max_lines=2))
    response = head([b"Content-Length: 2", b"X: y"]) + b"ok"
    for _ in range(50):
        guard.write(b"GET / HTTP/1.1\r\n\r\n")
        guard.dataReceived(response)
    assert bytes(protocol.data) == response * 50 and not transport.disconnecting
    guard.write(b"GET /flood HTTP/1.1\r\n\r\n")  # and a flood on the same connection is still refused
    guard.dataReceived(head([b"X: y"] * 3))
    assert transport.disconnecting and "DOWNLOAD_MAXHEADERS (2 header lines)" in str(guard.refused)


# --- Through Scrapy's handler: HTTP, HTTPS, and HTTPS through a CONNECT tunnel -----------

@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1 (Scrapy does not verify)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def download(url: str, **meta: Any) -> Any:
    """One request through the project's HTTP handler, as a crawl makes it; the response or the error."""
    def start() -> Any:
        crawler = get_crawler(QutoutiaoSpider, project_settings_dict())
        handler = HeadLimitedDownloadHandler.from_crawler(crawler)

        async def fetch() -> Any:
            try:
                return await handler.download_request(Request(url, meta=meta))
            except Exception as exc:  # noqa: BLE001 - the test looks at which
                return exc
            finally:
                await handler.close()
        return deferred_from_coro(fetch())
    return blockingCallFromThread(running_reactor(), start)


@pytest.fixture(scope="module")
def floods() -> dict[str, str]:
    return {"/endless": ENDLESS_HEADERS, "/folded": ENDLESS_CONTINUATION, "/many": MANY_HEADERS}


@pytest.fixture(scope="module")
def plain_server(floods: dict[str, str]) -> Iterator[Any]:
    replica = serve_in_thread(0, ReplicaConfig())
    with raw_proxy(replica.url, floods) as server:
        yield server
    replica.shutdown()


@pytest.fixture(scope="module")
def tls_server(floods: dict[str, str], tls_context: ssl.SSLContext) -> Iterator[Any]:
    replica = serve_in_thread(0, ReplicaConfig())
    with raw_proxy(replica.url, floods, tls=tls_context) as server:
        yield server
    replica.shutdown()


@pytest.mark.parametrize("scheme", ["http", "https", "https via CONNECT"])
def test_handler_refuses_floods_and_keeps_serving(scheme: str, plain_server: Any, tls_server: Any,
                                                  floods: dict[str, str]) -> None:
    server = plain_server if scheme == "http" else tls_server
    base = f"{scheme.split()[0]}://127.0.0.1:{server.server_address[1]}"
    with ExitStack() as stack:
        meta: dict[str, Any] = {}
        tunnel = None
        if scheme.endswith("CONNECT"):
            # A proxy that only tunnels (its upstream is never used) to the TLS server.
            target = ("127.0.0.1", server.server_address[1])
            tunnel = stack.enter_context(raw_proxy("http://127.0.0.1:9", tunnel_to=target))
            meta["proxy"] = tunnel.url
        for path, kind in floods.items():
            error = download(base + path, **meta)
            assert isinstance(error, ResponseHeadersTooLarge), (kind, error)
            # Failed after some bytes: Twisted's pool would fetch it again if it had never been received.
            twisted_error = error.__cause__.__cause__
            assert isinstance(twisted_error, ResponseFailed) and not isinstance(twisted_error, ResponseNeverReceived)
            assert server.flood_bytes.get(path, 0) < 16 * MiB, kind  # the crawler hung up early
        page = download(base + "/robots.txt", **meta)  # the same handler, an honest answer
        assert not isinstance(page, Exception), page
        assert page.status == 200 and b"User-agent" in page.body
        if tunnel is not None:
            assert [s.path for s in tunnel.seen] == ["CONNECT"] * (len(floods) + 1)  # each went through it


# --- A real crawl -------------------------------------------------------------------

def test_crawl_through_header_floods_is_bounded(tmp_path: Path) -> None:
    site = Site(ReplicaConfig())
    paths = [a.path for a in site.articles.values() if a.cid == 1 and a.status == "ok" and not a.empty_body][:3]
    floods = dict(zip(paths, (ENDLESS_HEADERS, ENDLESS_CONTINUATION, MANY_HEADERS)))
    flooded = {site.by_path[p] for p in paths}
    replica = serve_in_thread(0, ReplicaConfig())
    out = tmp_path / "articles.jsonl"
    try:
        with raw_proxy(replica.url, floods) as proxy:
            run, peak = scrapy_measured(
                "crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=5", "-O", str(out),
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
                http_proxy=proxy.url,
            )
            hits = {p: sum(1 for s in proxy.seen if s.path == p) for p in paths}
            sent = dict(proxy.flood_bytes)
    finally:
        replica.shutdown()
    log = run.stderr
    print(f"peak RSS of the crawl: {peak / MiB:.0f} MiB; flood bytes sent: {sent}")
    assert run.returncode == 0, log[-3000:]
    # Unbounded, the two endless heads took over 500 MiB here (each is FLOOD_BUDGET bytes of parser state).
    assert peak < 300 * MiB, f"peak RSS {peak / MiB:.0f} MiB"
    assert all(sent.get(p, 0) < FLOOD_BUDGET for p in paths[:2]), sent
    assert re.search(r"'qutoutiao/detail/error/headers_too_large': 3\b", log), log[-3000:]
    for path in paths:
        assert re.search(rf"Detail page failed \(headers_too_large\): http://html2\.qktoutiao\.com{re.escape(path)}\?"
                         rf"\S+: ResponseHeadersTooLarge: ", log), path
    assert "DOWNLOAD_MAXHEADERSIZE (262144 bytes)" in log and "DOWNLOAD_MAXHEADERS (500 header lines)" in log
    assert hits == dict.fromkeys(paths, 1)  # not retried: it would be too large again
    assert "Traceback" not in log
    stored = {json.loads(line)["source_id"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert stored == oracle.expected(site, cids=(1,), pages=5)["stored"] - flooded
