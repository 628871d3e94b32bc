"""``scrapy crawl -O``: the feed file is replaced only once the feed is complete
(exporters/feedstorage.py); a full disk or a killed crawl leaves the last good feed in place."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from tests.processes import ROOT, env, replica_process

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
LAST_GOOD = b"<?xml version='1.0'?><rss version=\"2.0\"><channel><title>the last good feed</title></channel></rss>\n"


@pytest.fixture(scope="module")
def replica_url() -> Iterator[str]:
    with replica_process() as url:
        yield url


def crawl_args(out: str, tmp_path: Path) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=2", "-O", out, *FAST,
            "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}"]


def test_a_full_disk_keeps_the_last_good_feed_and_exits_1(replica_url: str, tmp_path: Path, mongo_uri: str,
                                                          mongo_db: str) -> None:
    """RLIMIT_FSIZE stands in for a full disk: any write past 4 KiB fails (EFBIG). The articles go to
    MongoDB, so that the feed is the only file the crawl writes."""
    folder = tmp_path / "site"
    folder.mkdir()
    out = folder / "feed.xml"
    out.write_bytes(LAST_GOOD)

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    run = subprocess.run([*crawl_args(f"{out}:rss", tmp_path), "-s", f"MONGO_DATABASE={mongo_db}"], cwd=ROOT,
                         env=env(http_proxy=replica_url, MONGO_URI=mongo_uri), capture_output=True, text=True,
                         timeout=240, preexec_fn=small_disk)
    assert run.returncode == 1, run.stderr[-3000:]
    assert f"Feed {out} not written, the file keeps what it held: " in run.stderr
    assert "'feedexport/write_failed': 1" in run.stderr and "Exit status 1: a feed export failed" in run.stderr
    assert "'store/new': " in run.stderr  # the articles themselves were stored
    assert out.read_bytes() == LAST_GOOD
    assert [p.name for p in folder.iterdir()] == ["feed.xml"]  # no hidden file left behind


def test_a_killed_crawl_keeps_the_last_good_feed(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    out = folder / "feed.xml"
    out.write_bytes(LAST_GOOD)
    with replica_process("--detail-delay", "0.5") as slow:
        process = subprocess.Popen([*crawl_args(f"{out}:rss", tmp_path), "-s", f"NEWSCRAWLER_DB={tmp_path / 'db'}"],
                                   cwd=ROOT, env=env(http_proxy=slow), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not any(p.stat().st_size for p in folder.glob(".newscrawler-*.tmp")):  # the feed is being written
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert out.read_bytes() == LAST_GOOD


def test_a_finished_crawl_replaces_the_feed_and_o_appends(replica_url: str, tmp_path: Path) -> None:
    out = tmp_path / "feed.xml"
    out.write_bytes(LAST_GOOD)
    run = subprocess.run([*crawl_args(f"{out}:rss", tmp_path), "-s", f"NEWSCRAWLER_DB={tmp_path / 'db'}"], cwd=ROOT,
                         env=env(http_proxy=replica_url), capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo and len(parsed.entries) > 10
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # -o appends to what is there, in place, as Scrapy does.
    lines = tmp_path / "articles.jsonl"
    lines.write_text('{"kept": true}\n', encoding="utf-8")
    args = [a if a != "-O" else "-o" for a in crawl_args(str(lines), tmp_path)]
    run = subprocess.run([*args, "-s", f"NEWSCRAWLER_DB={tmp_path / 'db2'}"], cwd=ROOT,
                         env=env(http_proxy=replica_url), capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    text = lines.read_text(encoding="utf-8").splitlines()
    assert text[0] == '{"kept": true}' and len(text) == len(parsed.entries) + 1
