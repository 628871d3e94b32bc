"""Requests per second and p99 latency of ``scrapy serve``: a warm 20-item feed, plain and gzip, a 304, the
index page, and the same site class (FeedSite, the same limits) serving the warm feed's very bytes as a
static file (twisted.web.static.File), plain and gzip (Twisted's GzipEncoderFactory, which compresses per
request, as a static server without a precompressed copy does), in the same run.

Prints figures; asserts nothing. The goal: the warm feed at 0.8x the static file's requests/s at
least. The load comes from this process (asyncio, keep-alive connections); the servers run in
processes of their own. On a shared machine the figures move from run to run.

Run: .venv/bin/python benchmarks/bench_serve.py [SECONDS] [CONNECTIONS]
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newscrawler.replica import content  # noqa: E402
from newscrawler.storage.documents import to_document  # noqa: E402
from newscrawler.storage.sqlite import SqliteStore  # noqa: E402
from tests.articles import T0, article  # noqa: E402
from tests.processes import env  # noqa: E402

FEED = "/qutoutiao/1?limit=20"
GZIP = {"Accept-Encoding": "gzip"}


def static_server(path: str) -> None:
    """The comparison: the same site class, the same limits, a static file at /feed.xml."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor
    from twisted.web import resource, server, static

    from newscrawler.serve.site import FeedSite, Limits

    root = resource.Resource()
    root.putChild(b"feed.xml", static.File(path, defaultType="application/rss+xml; charset=utf-8"))
    site = FeedSite(resource.EncodingResourceWrapper(root, [server.GzipEncoderFactory()]),
                    Limits(60, 50, 16384, 4096))
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    print(f"Serving on http://127.0.0.1:{port.getHost().port}/", flush=True)
    reactor.run()


@contextmanager
def process(args: list[str]) -> Iterator[int]:
    child = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        line = child.stdout.readline() if child.stdout else ""
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, f"server did not start: {line!r}"
        yield int(match.group(1))
    finally:
        child.terminate()
        child.wait(timeout=20)


async def one_connection(port: int, request: bytes, until: float, latencies: list[float],
                         statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?i)\r\ncontent-length: (\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            elif re.search(rb"(?i)\r\ntransfer-encoding: chunked", head):  # Twisted's gzip streams
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")  # the empty trailer
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(port: int, path: str, headers: dict[str, str], seconds: float, connections: int
               ) -> tuple[float, float, dict[int, int]]:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    until = start + seconds
    await asyncio.gather(*(one_connection(port, request, until, latencies, statuses) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return len(latencies) / elapsed, p99, statuses


def fill(database: Path) -> None:
    body = content.seed_body()  # a real article's size
    store = SqliteStore(database)
    docs = [to_document(article(n, content_html=body, published_at=T0 - timedelta(hours=n))) for n in range(1, 401)]
    store.write(docs, T0)
    store.close()


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "store.sqlite3"
        fill(database)
        serve = ["-m", "newscrawler", "serve", "--port", "0", "-L", "WARNING", "-s", f"NEWSCRAWLER_DB={database}",
                 "-s", "MONGO_URI="]
        with process(serve) as port:
            warm = asyncio.run(fetch(port, FEED))
            feed_file = Path(folder) / "feed.xml"
            feed_file.write_bytes(warm[1])
            etag = warm[0]
            results = {
                "warm feed (20 items)": asyncio.run(load(port, FEED, {}, seconds, connections)),
                "warm feed, gzip": asyncio.run(load(port, FEED, GZIP, seconds, connections)),
                "304 (If-None-Match)": asyncio.run(load(port, FEED, {"If-None-Match": etag}, seconds, connections)),
                "index page": asyncio.run(load(port, "/", {}, seconds, connections)),
            }
        with process([__file__, "--static", str(feed_file)]) as port:
            results["static file, same bytes"] = asyncio.run(load(port, "/feed.xml", {}, seconds, connections))
            results["static file, gzip"] = asyncio.run(load(port, "/feed.xml", GZIP, seconds, connections))
    print(f"scrapy serve, {connections} keep-alive connections, {seconds:g} s per case; feed body {len(warm[1])} bytes")
    print(f"{'case':28} {'requests/s':>11} {'p99 ms':>8}  statuses")
    for name, (rps, p99, statuses) in results.items():
        print(f"{name:28} {rps:11.0f} {p99 * 1000:8.1f}  {statuses}")
    ratio = results["warm feed (20 items)"][0] / results["static file, same bytes"][0]
    print(f"warm feed / static file: {ratio:.2f}x (goal: at least 0.80x)")
    zipped = results["warm feed, gzip"][0] / results["static file, gzip"][0]
    print(f"warm feed, gzip / static file, gzip: {zipped:.2f}x")


async def fetch(port: int, path: str) -> tuple[str, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, body = data.split(b"\r\n\r\n", 1)
    etag = re.search(rb"(?i)\r\netag: ([^\r]+)", head).group(1).decode()
    return etag, body


if __name__ == "__main__":
    if sys.argv[1:2] == ["--static"]:
        static_server(sys.argv[2])
    else:
        main()
