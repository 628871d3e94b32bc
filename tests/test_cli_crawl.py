"""``scrapy crawl`` in a process of its own, against ``python -m newscrawler replica``."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newscrawler.replica.site import SEED_ID, SEED_TITLE, Site
from tests import oracle
from tests.processes import replica_process, scrapy

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]


@pytest.fixture(scope="module")
def replica_url() -> Iterator[str]:
    with replica_process() as url:
        yield url


@pytest.mark.parametrize("name", ["articles.jsonl", "articles.json"])
def test_feed_export_utf8_iso_dates(replica_url: str, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    run = scrapy(
        "crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1", "-O", str(out), *FAST,
        "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
        http_proxy=replica_url,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert SEED_TITLE in text and "\\u" not in text
    rows = [json.loads(line) for line in text.splitlines()] if name.endswith("jsonl") else json.loads(text)
    assert {r["source_id"] for r in rows} == oracle.expected(Site(), cids=(1,), pages=1)["stored"]
    seed = next(r for r in rows if r["source_id"] == SEED_ID)
    assert seed["published_at"] == "2021-07-08T10:55:51+00:00"
    assert datetime.fromisoformat(seed["crawled_at"]).tzinfo is not None


class RecordingProxy(BaseHTTPRequestHandler):
    """An http_proxy whose robots.txt forbids the listing API; it records what reaches it."""

    seen: list[tuple[str, str]] = []  # one test uses it

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("User-Agent", "")))
        body = b"User-agent: *\nDisallow: /content/\n" if self.path.endswith("/robots.txt") else b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_deployed_crawl_says_who_it_is_and_obeys_robots(tmp_path: Path) -> None:
    """`scrapy crawl` with the project's own politeness settings (no -s overrides of them).

    Monitors off: a crawl that may read no listing page is unhealthy (exit status 1), not the point here.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = scrapy("crawl", "qutoutiao", "-a", "cids=1,6", "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}",
                     "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}", "-s", "SPIDERMON_ENABLED=0",
                     http_proxy=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stderr[-3000:]
    assert [path for path, _ in RecordingProxy.seen] == ["http://api.1sapp.com/robots.txt"]
    agent = RecordingProxy.seen[0][1]
    assert "newscrawler" in agent and "+https://" in agent  # a name and where to complain
    forbidden = re.search(r"'robotstxt/forbidden': (\d+)", run.stderr)
    assert forbidden and int(forbidden.group(1)) >= 2  # the first listing page of each channel at least
