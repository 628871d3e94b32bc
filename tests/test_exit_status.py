"""``scrapy crawl`` exit statuses as cron and Scrapyd see them: separate processes."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newscrawler.commands.crawl import EXIT_LOST, EXIT_NOT_STARTED, EXIT_OK, EXIT_UNHEALTHY, exit_status
from newscrawler.replica.server import ReplicaServer
from tests.conftest import FIXTURES
from tests.processes import scrapy

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
SMALL = ["-a", "cids=1,2", "-a", "pages=2"]


def store_args(folder: Path) -> list[str]:
    return ["-s", f"NEWSCRAWLER_DB={folder / 'store.sqlite3'}", "-s", f"DEADLETTER_DIR={folder / 'deadletter'}"]


def stored(folder: Path) -> int:
    with sqlite3.connect(folder / "store.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


@pytest.mark.parametrize(
    ("stats", "started", "expected"),
    [
        ({"finish_reason": "finished", "monitors/failed": 0}, True, EXIT_OK),
        ({"finish_reason": "finished"}, True, EXIT_OK),  # monitors off
        ({"finish_reason": "finished", "store/deadlettered": 5, "monitors/failed": 0}, True, EXIT_OK),
        ({"finish_reason": "finished", "monitors/failed": 2}, True, EXIT_UNHEALTHY),
        ({"finish_reason": "shutdown"}, True, EXIT_UNHEALTHY),
        ({"finish_reason": "finished", "store/lost": 1, "monitors/failed": 1}, True, EXIT_LOST),
        # a bug in a callback or an item pipeline (its traceback logged) cost a page or an article
        ({"finish_reason": "finished", "spider_exceptions/count": 1, "monitors/failed": 1}, True, EXIT_LOST),
        ({"finish_reason": "finished", "pipeline_exceptions/count": 2, "monitors/failed": 1}, True, EXIT_LOST),
        ({"finish_reason": "shutdown", "pipeline_exceptions/count": 1}, True, EXIT_LOST),
        ({}, False, EXIT_NOT_STARTED),
    ],
)
def test_exit_status_table(stats: dict[str, object], started: bool, expected: int) -> None:
    assert exit_status(stats, started)[0] == expected


def test_healthy_then_nothing_new(replica: ReplicaServer, tmp_path: Path) -> None:
    first = scrapy("crawl", "qutoutiao", *SMALL, *FAST, *store_args(tmp_path), http_proxy=replica.url)
    assert first.returncode == EXIT_OK, first.stderr[-3000:]
    assert "[Spidermon] OK" in first.stderr and "Exit status 0: healthy" in first.stderr
    assert "'monitors/result': 'passed'" in first.stderr
    assert "DeprecationWarning" not in first.stderr  # spidermon's report goes through Spider.log()
    count = stored(tmp_path)
    assert count > 10
    again = scrapy("crawl", "qutoutiao", *SMALL, *FAST, *store_args(tmp_path), http_proxy=replica.url)
    assert again.returncode == EXIT_OK, again.stderr[-3000:]
    dump = again.stderr.split("Dumping Scrapy stats:", 1)[1]
    assert "'store/new'" not in dump  # nothing new was written...
    assert "'incremental/skipped'" in dump  # ...because everything was known
    assert stored(tmp_path) == count


def test_lost_articles_exit_3(replica: ReplicaServer, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the dead-letter folder cannot be made under a file")
    run = scrapy(
        "crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1", *FAST,
        "-s", "MONGO_URI=mongodb://127.0.0.1:9/", "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=200",
        "-s", "MONGO_CONNECT_TIMEOUT_MS=200", "-s", "STORE_WRITE_ATTEMPTS=1",
        "-s", f"DEADLETTER_DIR={blocker / 'deadletter'}",
        http_proxy=replica.url,
    )
    assert run.returncode == EXIT_LOST, run.stderr[-3000:]
    assert "CRITICAL: Could not store nor spool" in run.stderr
    assert "No article was lost (store/lost)... FAIL" in run.stderr
    assert "Exit status 3:" in run.stderr


def test_bad_setting_one_line_exit_2(tmp_path: Path) -> None:
    run = scrapy("crawl", "qutoutiao", *store_args(tmp_path), "-s", "MONITOR_MAX_DROPPED_RATIO=lots")
    assert run.returncode == EXIT_NOT_STARTED
    assert "Crawl not started: MONITOR_MAX_DROPPED_RATIO='lots': expected a ratio between 0 and 1" in run.stderr
    assert "Traceback" not in run.stderr and "Task exception" not in run.stderr


def test_bad_setting_in_log_file_still_on_stderr(tmp_path: Path) -> None:
    log = tmp_path / "crawl.log"
    run = scrapy("crawl", "qutoutiao", *store_args(tmp_path), "-s", "MONITOR_RATIO_MIN_BASE=0", "-s", f"LOG_FILE={log}")
    assert run.returncode == EXIT_NOT_STARTED
    assert run.stderr.strip().splitlines() == ["Crawl not started: MONITOR_RATIO_MIN_BASE='0': expected a positive "
                                               "whole number"]
    assert "CRITICAL: Crawl not started: MONITOR_RATIO_MIN_BASE='0'" in log.read_text(encoding="utf-8")


def test_bad_argument_exit_2(tmp_path: Path) -> None:
    run = scrapy("crawl", "qutoutiao", "-a", "pages=0", *store_args(tmp_path))
    assert run.returncode == EXIT_NOT_STARTED
    assert "pages='0'" in run.stderr
    assert "Task exception was never retrieved" not in run.stderr


class NotFoundSite(BaseHTTPRequestHandler):
    """As http_proxy: the 2016 listing of channel 255 on page 1, then 404 for every article."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        if "/content/outList" in self.path:
            page = 1 if "page=1&" in self.path else 2
            body = (FIXTURES / "qutoutiao-list-cid255-2016.json").read_bytes() if page == 1 else \
                json.dumps({"code": 0, "data": {"data": []}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            body = b"<html><body>404 Not Found</body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def not_found_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFoundSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_detail_page_404_fails_a_monitor(not_found_site: str, tmp_path: Path) -> None:
    run = scrapy("crawl", "qutoutiao", "-a", "cids=255", "-a", "pages=3", *FAST, *store_args(tmp_path),
                 "-s", "RETRY_TIMES=0", http_proxy=not_found_site)
    assert run.returncode == EXIT_UNHEALTHY, run.stderr[-3000:]
    assert "'qutoutiao/listing/pages': 2" in run.stderr  # page 1, then the empty page 2
    assert "Detail error ratio is below MONITOR_MAX_DETAIL_ERROR_RATIO... FAIL" in run.stderr
    assert "At least one listing page was parsed... OK" in run.stderr
    assert "'monitors/result': 'failed'" in run.stderr
    assert "Exit status 1: 1 close monitor(s) failed" in run.stderr


def test_store_that_cannot_be_opened_one_line_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("NEWSCRAWLER_DB's folder cannot be made under a file")
    run = scrapy("crawl", "qutoutiao", "-s", f"NEWSCRAWLER_DB={blocker / 'store.sqlite3'}",
                 "-s", f"DEADLETTER_DIR={tmp_path / 'deadletter'}")
    assert run.returncode == EXIT_NOT_STARTED
    [line] = [line for line in run.stderr.splitlines() if "Crawl not started" in line]
    assert f"Crawl not started: SQLite at {blocker / 'store.sqlite3'} cannot be opened" in line
    assert "Traceback" not in run.stderr
