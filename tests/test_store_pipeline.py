"""The store stage inside real crawls: batching, outages, replay, SIGKILL, incremental crawls."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from scrapy.utils.test import get_crawler

from newscrawler.cli import main
from newscrawler.pipelines.store import StorePipeline
from newscrawler.replica.server import ReplicaServer
from newscrawler.signals import run_rejoined
from newscrawler.storage.sqlite import SqliteStore
from tests import oracle
from tests.articles import article
from tests.crawling import crawl, project_settings_dict
from tests.processes import ROOT, env, replica_process

# A closed port on loopback: connection refused at once.
MONGO_DOWN = "mongodb://127.0.0.1:1/?directConnection=true"


def stage_for(store_settings: dict[str, Any], **settings: Any) -> StorePipeline:
    crawler = get_crawler(settings_dict=project_settings_dict(**{**store_settings, "STORE_FLUSH_INTERVAL": 0, **settings}))
    return StorePipeline.from_crawler(crawler)


def feed(stage: StorePipeline, count: int, store: Any = None, pause: float = 0.0) -> int:
    """Open the stage, pass ``count`` articles, wait ``pause``; rows stored before close."""

    async def run() -> int:
        stage.open_spider()
        if store is not None:
            stage.store.close()
            stage.store = store
        for n in range(count):
            await stage.process_item(article(n))
        await asyncio.sleep(pause)
        written = stage.store.count()
        await stage.close_spider()
        return written

    return asyncio.run(run())


@pytest.mark.parametrize(("batch_size", "written_before_close"), [
    (100, 0),  # a partial batch waits for close
    (2, 4),    # full batches are written as they fill
])
def test_batches_and_flush_at_close(store_settings: dict[str, Any], batch_size: int,
                                    written_before_close: int) -> None:
    stage = stage_for(store_settings, STORE_BATCH_SIZE=batch_size)
    assert feed(stage, 5) == written_before_close
    assert SqliteStore(store_settings["NEWSCRAWLER_DB"]).count() == 5
    assert stage.stats.get_value("store/new") == 5


def test_a_rejoined_run_has_the_batch_written_first(store_settings: dict[str, Any]) -> None:
    """Distributed mode, before a worker fetches its listings again: buffered articles are stored,
    so that the incremental skip finds them."""
    stage = stage_for(store_settings, STORE_BATCH_SIZE=100)

    async def run() -> int:
        stage.open_spider()
        for n in range(3):
            await stage.process_item(article(n))
        await stage.crawler.signals.send_catch_log_async(run_rejoined)
        written = stage.store.count()
        await stage.close_spider()
        return written

    assert asyncio.run(run()) == 3


@pytest.mark.parametrize("backend", ["sqlite", "mongodb"])
def test_rerun_is_unchanged_and_incremental(
    backend: str, fresh_replica: ReplicaServer, store_settings: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    if backend == "mongodb":
        store_settings = {**store_settings, "MONGO_URI": request.getfixturevalue("mongo_uri"),
                          "MONGO_DATABASE": request.getfixturevalue("mongo_db")}
    site = fresh_replica.site
    first = crawl(store_settings)
    stored = oracle.expected(site)["stored"]
    assert first.stats["store/new"] == len(stored)

    refreshed = crawl(store_settings, refresh="1")
    assert refreshed.stats.get("store/new", 0) == 0 and refreshed.stats.get("store/updated", 0) == 0
    assert refreshed.stats["store/unchanged"] == len(stored)

    fresh_replica.hits.clear()
    incremental = crawl(store_settings)
    requested = set(fresh_replica.hits)
    known_paths = {a.path for a in site.articles.values() if a.source_id in stored}
    assert not requested & known_paths, "a stored article's page was fetched again"
    assert incremental.stats["incremental/skipped"] > 0
    assert incremental.stats["incremental/listing_stopped"] > 0
    assert incremental.stats.get("store/new", 0) == 0


def test_mongodb_down_spools_everything_then_replay_restores(
    via_replica: ReplicaServer, store_settings: dict[str, Any], caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str], mongo_uri: str, mongo_db: str,
) -> None:
    settings = {**store_settings, "MONGO_URI": MONGO_DOWN, "MONGO_SERVER_SELECTION_TIMEOUT_MS": 300,
                "MONGO_CONNECT_TIMEOUT_MS": 300, "STORE_WRITE_ATTEMPTS": 2, "STORE_RETRY_BACKOFF": 0.01,
                "STORE_BATCH_SIZE": 5}
    result = crawl(settings, cids="1,6", pages="2")
    assert result.stats["finish_reason"] == "finished"
    scraped = {item.id for item in result.items}
    assert scraped and result.stats["store/deadlettered"] == len(scraped)
    # The first failed batch opens the outage window: later batches spool without waiting on timeouts.
    assert result.stats["store/write_errors"] == 2
    assert "unreachable" in caplog.text and "kept in" in caplog.text
    assert "127.0.0.1:1" in caplog.text
    files = list(Path(store_settings["DEADLETTER_DIR"]).glob("deadletter-*.jsonl"))
    spooled = {json.loads(line)["id"] for f in files for line in f.read_text(encoding="utf-8").splitlines()}
    assert spooled == scraped

    # MongoDB still down: replay keeps the files and says so.
    down = subprocess.run(
        [sys.executable, "-m", "newscrawler", "replay", "-s", f"MONGO_URI={MONGO_DOWN}",
         "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=300", "-s", f"DEADLETTER_DIR={store_settings['DEADLETTER_DIR']}"],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60,
    )
    assert down.returncode == 1 and "kept" in down.stderr
    assert all(f.exists() for f in files)

    # MongoDB is back (the wire test server): replay restores everything.
    assert main(["replay", "-s", f"MONGO_URI={mongo_uri}", "-s", f"MONGO_DATABASE={mongo_db}",
                 "-s", f"DEADLETTER_DIR={store_settings['DEADLETTER_DIR']}"]) == 0
    assert f"{len(scraped)} new" in capsys.readouterr().out
    assert not any(f.exists() for f in files)
    with MongoClient(mongo_uri, tz_aware=True) as server:
        restored = {d["_id"]: d for d in server[mongo_db]["articles"].find()}
    assert set(restored) == scraped
    crawled = {item.id: item for item in result.items}
    assert all(restored[i]["published_at"] == crawled[i].published_at for i in scraped)


def test_locked_sqlite_spools(via_replica: ReplicaServer, store_settings: dict[str, Any]) -> None:
    SqliteStore(store_settings["NEWSCRAWLER_DB"]).close()
    blocker = sqlite3.connect(store_settings["NEWSCRAWLER_DB"], isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        result = crawl({**store_settings, "STORE_WRITE_ATTEMPTS": 1}, cids="1", pages="1")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.stats["store/deadlettered"] == len(result.items) > 0


def wait_for_rows(db: Path, minimum: int, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as conn:
                    rows = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                if rows >= minimum:
                    return rows
            except sqlite3.OperationalError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"{db} never reached {minimum} rows")


def test_sigkill_mid_crawl_then_clean_rerun(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    args = [sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-s", f"NEWSCRAWLER_DB={db}",
            "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}", "-s", "MONGO_BATCH_SIZE=5", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    with replica_process() as url:
        slow = subprocess.Popen([*args, "-s", "DOWNLOAD_DELAY=0.05"], cwd=ROOT, env=env(http_proxy=url),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_rows(db, 10)
            slow.send_signal(signal.SIGKILL)
        finally:
            slow.wait(timeout=30)
        assert slow.returncode == -signal.SIGKILL
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            partial = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        # refresh=1: pages the killed run stored completely must not end a channel early
        rerun = subprocess.run([*args, "-s", "DOWNLOAD_DELAY=0", "-a", "refresh=1"], cwd=ROOT, env=env(http_proxy=url),
                               capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    store = SqliteStore(db)
    from newscrawler.replica.site import Site

    expected = {f"qutoutiao:{sid}" for sid in oracle.expected(Site())["stored"]}
    assert store.count() == len(expected) > partial
    assert store.known_ids(sorted(expected)) == expected


def test_forced_shutdown_spools_the_unwritten_batch(tmp_path: Path) -> None:
    """A second Ctrl-C (Scrapy's forced, unclean shutdown) skips close_spider: the articles
    still in the store stage's buffer go to a dead-letter file, never silently nowhere."""
    import re

    db, dead, log = tmp_path / "store.sqlite3", tmp_path / "dl", tmp_path / "crawl.log"
    args = [sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-s", f"NEWSCRAWLER_DB={db}",
            "-s", f"DEADLETTER_DIR={dead}", "-s", "STORE_BATCH_SIZE=1000", "-s", "STORE_FLUSH_INTERVAL=1000",
            "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0.05", "-s", f"LOG_FILE={log}", "-L", "DEBUG"]
    with replica_process() as url:
        crawl = subprocess.Popen(args, cwd=ROOT, env=env(http_proxy=url), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (not log.exists() or log.read_text().count("Scraped from") < 10):
                time.sleep(0.1)
            crawl.send_signal(signal.SIGINT)
            time.sleep(0.05)
            crawl.send_signal(signal.SIGINT)
        finally:
            crawl.wait(timeout=60)
    scraped = set(re.findall(r"^Article\(id='(qutoutiao:[^']+)'", log.read_text(encoding="utf-8"), re.M))
    assert len(scraped) >= 10
    stored = SqliteStore(db)
    try:
        kept = stored.known_ids(sorted(scraped))
    finally:
        stored.close()
    spooled = {json.loads(line)["id"] for path in dead.glob("deadletter-*.jsonl")
               for line in path.read_text(encoding="utf-8").splitlines()}
    assert scraped <= kept | spooled and spooled
    assert crawl.returncode == 1  # did not finish; nothing lost


def test_sqlite_named_at_start(via_replica: ReplicaServer, store_settings: dict[str, Any],
                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    crawl(store_settings, cids="45")
    assert f"Storing articles in SQLite at {store_settings['NEWSCRAWLER_DB']}" in caplog.text


class FlakyStore:
    """Fails the first ``failures`` writes, then stores."""

    description = "flaky test store"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.docs: dict[str, Any] = {}

    def write(self, docs: list[dict[str, Any]], now: Any) -> Any:
        from newscrawler.storage import WriteResult

        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        self.docs.update((d["id"], d) for d in docs)
        return WriteResult(new=len(docs))

    def count(self) -> int:
        return len(self.docs)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("failures", "cooldown", "stored", "spooled"), [
    (1, 0.0, 4, 0),    # a retry within the batch succeeds
    (2, 0.0, 2, 2),    # the first batch spools; the store is tried again for the next
    (2, 60.0, 0, 4),   # inside the outage window the next batch spools at once
])
def test_retries_and_outage_window(store_settings: dict[str, Any], failures: int, cooldown: float,
                                   stored: int, spooled: int) -> None:
    stage = stage_for(store_settings, STORE_BATCH_SIZE=2, STORE_WRITE_ATTEMPTS=2, STORE_RETRY_BACKOFF=0,
                      STORE_OUTAGE_COOLDOWN=cooldown)
    flaky = FlakyStore(failures)
    feed(stage, 4, store=flaky)
    assert len(flaky.docs) == stored
    assert stage.stats.get_value("store/deadlettered", 0) == spooled


def test_partial_batch_written_after_flush_interval(store_settings: dict[str, Any]) -> None:
    stage = stage_for(store_settings, STORE_BATCH_SIZE=100, STORE_FLUSH_INTERVAL=0.2)
    # the crawl goes quiet for a second; the timer writes what is waiting
    assert feed(stage, 3, pause=1.0) == 3


def test_article_that_cannot_become_a_document_is_lost_loudly(store_settings: dict[str, Any],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """A bug turning one item into a document: counted as lost (exit status 3), never swallowed."""
    from scrapy.exceptions import DropItem

    stage = stage_for(store_settings)

    async def run() -> None:
        stage.open_spider()
        await stage.process_item(article(1))
        with pytest.raises(DropItem, match=r"store failed \(TypeError: set is not JSON serializable\): http://h/2.html"):
            await stage.process_item(article(2, tags={"a set"}))  # not JSON: no content hash
        await stage.close_spider()

    asyncio.run(run())
    assert stage.stats.get_value("store/lost") == 1
    assert stage.stats.get_value("store/new") == 1  # the rest of the crawl goes on
    assert "Could not turn article http://h/2.html into a document, it is LOST (TypeError:" in caplog.text
