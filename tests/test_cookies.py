"""Cookies are off: pages that each set 20 new 4 KB cookies never make requests grow."""

from __future__ import annotations

import json
from pathlib import Path

from newscrawler.replica.server import serve_in_thread
from newscrawler.replica.site import ReplicaConfig, Site
from tests import oracle
from tests.processes import scrapy
from tests.rawproxy import COOKIE_SIZE, RawProxy, raw_proxy

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]


def crawl_setting_cookies(tmp_path: Path, *args: str) -> tuple[RawProxy, set[str], str]:
    """A crawl of channel 1 whose every answer sets 20 new 4 KB cookies: the proxy, what was stored, the log."""
    replica = serve_in_thread(0, ReplicaConfig())
    out = tmp_path / "articles.jsonl"
    home = tmp_path / "home"  # a jar's helper (tldextract) writes a cache under HOME: not the tester's
    home.mkdir()
    try:
        with raw_proxy(replica.url, cookies=20) as proxy:
            run = scrapy("crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=2", "-O", str(out), *FAST, *args,
                         "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
                         http_proxy=proxy.url, HOME=str(home))
    finally:
        replica.shutdown()
    assert run.returncode == 0, run.stderr[-3000:]
    return proxy, {json.loads(line)["source_id"] for line in out.read_text(encoding="utf-8").splitlines()}, run.stderr


def test_no_request_carries_cookies(tmp_path: Path) -> None:
    proxy, stored, log = crawl_setting_cookies(tmp_path)
    assert "Traceback" not in log
    assert len(proxy.seen) > 20  # robots.txt, two listing pages, the articles
    assert [s for s in proxy.seen if s.cookie_bytes] == []
    assert stored == oracle.expected(Site(), cids=(1,), pages=2)["stored"]


def test_with_cookies_on_the_jar_would_travel(tmp_path: Path) -> None:
    """The same crawl with COOKIES_ENABLED=True: the recorder sees the jar grow (the test above can fail)."""
    proxy, _, _ = crawl_setting_cookies(tmp_path, "-s", "COOKIES_ENABLED=True")
    largest = max(s.cookie_bytes for s in proxy.seen)
    assert largest > 20 * COOKIE_SIZE, largest  # more than one page's worth of cookies on one request
