"""An article counted as stored is stored (issue 22): MongoDB writes wait for the journal, a
server killed mid-crawl loses nothing counted; SQLite commits survive a killed crawl; a store
file deleted mid-crawl is noticed (issue 17)."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from scrapy.settings import Settings

from newscrawler.commands.crawl import EXIT_NOT_STARTED, EXIT_OK, EXIT_UNHEALTHY
from newscrawler.errors import ConfigError
from newscrawler.replica.server import ReplicaServer
from newscrawler.storage.mongo import MongoStore
from newscrawler.storage.sqlite import SqliteStore
from tests.articles import T0, article, docs
from tests.crawling import project_settings_dict
from tests.processes import ROOT, env, scrapy
from tests.servers import SecantusServer
from tests.stores import run_stage, spooled, stage_for

FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]


def stat(log: str, name: str) -> int:
    """A counter from the stats Scrapy dumps at the end of a crawl's log."""
    found = re.findall(rf"'{re.escape(name)}': (\d+)", log)
    return int(found[-1]) if found else 0


def ids_in(folder: Path, pattern: str = "deadletter-*.jsonl") -> set[str]:
    return {json.loads(line)["id"] for path in folder.glob(pattern)
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def scraped_ids(feed: Path) -> set[str]:
    return {json.loads(line)["id"] for line in feed.read_text(encoding="utf-8").splitlines()}


# --- MongoDB: the write concern -----------------------------------------------------------------

class WriteConcerns(monitoring.CommandListener):
    """The writeConcern of every update command the client sent to the articles (not to the
    store's note of its documents' version, "articles.schema", written with the same concern)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "update" and event.command["update"] == "articles":
            self.sent.append(dict(event.command.get("writeConcern", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.mark.parametrize(("query", "journal", "sent"), [
    ("", True, {"j": True}),  # durable by default
    ("", False, {"j": False}),  # MONGO_JOURNAL=False: acknowledged once applied in memory
    ("&journal=false", True, {"j": False}),  # the URI wins over the default...
    ("&w=1", True, {"w": 1}),  # ...naming w alone, it takes the server's journal default
    ("&w=1&journal=true", False, {"w": 1, "j": True}),  # ...and over MONGO_JOURNAL
    ("&wTimeoutMS=5000", True, {"j": True, "wtimeout": 5000}),  # other options leave the default alone
])
def test_write_concern_sent_on_the_wire(query: str, journal: bool, sent: dict[str, Any], mongo_uri: str,
                                        mongo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    listener = WriteConcerns()
    monkeypatch.setattr("newscrawler.storage.mongo.MongoClient", partial(MongoClient, event_listeners=[listener]))
    settings = Settings(project_settings_dict(MONGO_URI=mongo_uri + query, MONGO_DATABASE=mongo_db,
                                              MONGO_JOURNAL=journal))
    store = MongoStore.from_settings(settings)
    try:
        result = store.write(docs(article(1), article(2)), T0)
        assert result.new == 2
        assert listener.sent == [sent]
        assert ("journal=true" in store.durability) == bool(sent.get("j"))
    finally:
        store.close()


@pytest.mark.parametrize(("settings", "message"), [
    ({"MONGO_URI": "mongodb://crawler:Pa55w0rdX@127.0.0.1:1/?w=0"}, "asks for w=0 (unacknowledged writes)"),
    ({"MONGO_URI": "mongodb://crawler:Pa55w0rdX@127.0.0.1:1/?w=0&journal=true"}, "asks for w=0"),
    ({"MONGO_URI": "mongodb://127.0.0.1:1/", "MONGO_JOURNAL": "maybe"}, "MONGO_JOURNAL='maybe'"),
])
def test_unacknowledged_writes_are_refused_at_start(settings: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        MongoStore.from_settings(Settings(project_settings_dict(**settings)))
    run = scrapy("crawl", "qutoutiao", *[a for k, v in settings.items() for a in ("-s", f"{k}={v}")],
                 "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}", "-s", f"LOG_FILE={tmp_path / 'crawl.log'}")
    assert run.returncode == EXIT_NOT_STARTED
    [line] = run.stderr.strip().splitlines()  # the log went to the file: stderr has the one line
    assert line.startswith("Crawl not started: ") and message in line
    assert "Pa55w0rdX" not in run.stderr + (tmp_path / "crawl.log").read_text(encoding="utf-8")
    assert not (tmp_path / "dl").exists()


# --- MongoDB: the server killed mid-crawl ---------------------------------------------------------

@pytest.fixture
def killable(tmp_path: Path) -> Iterator[SecantusServer]:
    """A wire server of this test's own, to SIGKILL and restart on the same data and port."""
    server = SecantusServer(tmp_path / "secantus")
    server.start()
    yield server
    server.stop()


def wait_for_documents(client: MongoClient[Any], database: str, minimum: int, crawl: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and crawl.poll() is None:
        count = client[database]["articles"].count_documents({})
        if count >= minimum:
            return count
        time.sleep(0.02)
    raise AssertionError(f"the crawl ended or stalled before {minimum} articles were stored")


def test_server_killed_mid_crawl_loses_no_counted_article(killable: SecantusServer, replica: ReplicaServer,
                                                          tmp_path: Path) -> None:
    """Five times: SIGKILL the server once it holds a few articles, restart it on the same data.
    Every article counted as stored is in the collection, every other one in a dead-letter file,
    and replay completes the collection. (With MONGO_JOURNAL off, the first run loses acknowledged
    articles that were counted.)"""
    for run in range(5):
        folder = tmp_path / f"run{run}"
        folder.mkdir()
        database = f"killed_{run}"
        settings = {"MONGO_URI": killable.uri, "MONGO_DATABASE": database, "DEADLETTER_DIR": str(folder / "dl"),
                    "STORE_BATCH_SIZE": "3", "STORE_FLUSH_INTERVAL": "0.5", "STORE_RETRY_BACKOFF": "0.2",
                    "STORE_OUTAGE_COOLDOWN": "0.5", "MONGO_SERVER_SELECTION_TIMEOUT_MS": "1000",
                    "MONGO_CONNECT_TIMEOUT_MS": "1000", "DOWNLOAD_DELAY": "0.01", "LOG_FILE": str(folder / "crawl.log")}
        args = [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]
        feed = folder / "scraped.jsonl"
        crawl = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", "cids=1,2", "-a", "pages=2", *FAST, *args,
             "-O", str(feed)], cwd=ROOT, env=env(http_proxy=replica.url), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            with MongoClient(killable.uri, serverSelectionTimeoutMS=5000) as client:
                held = wait_for_documents(client, database, 6, crawl)
            killable.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
            killable.process.wait()  # type: ignore[union-attr]
            time.sleep(4 if run % 2 else 0.3)  # down past every write attempt (spooled), or a moment (retried)
            killable.start()  # the same storage path and port
            assert crawl.wait(timeout=180) == EXIT_OK
        finally:
            if crawl.poll() is None:
                crawl.kill()
        log = (folder / "crawl.log").read_text(encoding="utf-8")
        scraped = scraped_ids(feed)
        assert held < len(scraped)  # killed mid-crawl
        assert len(re.findall(r"MongoDB write concern w=1 \(the default\), journal=true", log)) == 1
        with MongoClient(killable.uri, serverSelectionTimeoutMS=5000) as client:
            stored = {d["_id"] for d in client[database]["articles"].find({}, {"_id": 1})}
        counted = stat(log, "store/new") + stat(log, "store/updated") + stat(log, "store/unchanged")
        spooled_ids = ids_in(folder / "dl")
        print(f"run {run}: killed at {held} stored; {len(scraped)} scraped, {counted} counted as stored, "
              f"{len(stored)} in the collection after the crawl, {len(spooled_ids)} spooled")
        assert stored <= scraped and len(stored) >= counted, (run, len(stored), counted)
        assert scraped - stored <= spooled_ids, (run, sorted(scraped - stored - spooled_ids))
        assert stat(log, "store/lost") == 0
        replay = scrapy("replay", *args[:-2])
        assert replay.returncode == 0, replay.stderr[-2000:]
        with MongoClient(killable.uri, serverSelectionTimeoutMS=5000) as client:
            assert {d["_id"] for d in client[database]["articles"].find({}, {"_id": 1})} == scraped


# --- SQLite -------------------------------------------------------------------------------------

def test_sqlite_commits_are_durable(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    try:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: the WAL is fsynced per commit
    finally:
        store.close()


PERIODIC_LOG = "[scrapy.extensions.periodic_log] INFO: "


def counted_in_progress(log: str) -> int:
    """Articles the store stage counted, by the last of Scrapy's PeriodicLog lines (JSON) in the log."""
    decoder = json.JSONDecoder()
    last = 0
    for part in log.split(PERIODIC_LOG)[1:]:
        try:
            stats = decoder.raw_decode(part)[0].get("stats", {})
        except ValueError:  # the line is still being written
            continue
        last = sum(stats.get(f"store/{k}", 0) for k in ("new", "updated", "unchanged"))
    return last


def test_sqlite_killed_mid_crawl_keeps_every_counted_article(replica: ReplicaServer, tmp_path: Path) -> None:
    """SIGKILL the crawl once its progress line counts stored articles: they are all in the file."""
    db, log = tmp_path / "store.sqlite3", tmp_path / "crawl.log"
    crawl = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", "cids=1,2,3", "-a", "pages=3", *FAST,
         "-s", f"NEWSCRAWLER_DB={db}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}", "-s", "STORE_BATCH_SIZE=2",
         "-s", "DOWNLOAD_DELAY=0.02", "-s", "LOGSTATS_INTERVAL=0.1", "-s", f"LOG_FILE={log}"],
        cwd=ROOT, env=env(http_proxy=replica.url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        counted = 0
        deadline = time.monotonic() + 90
        while counted < 10 and time.monotonic() < deadline and crawl.poll() is None:
            time.sleep(0.05)
            counted = counted_in_progress(log.read_text(encoding="utf-8")) if log.exists() else 0
        crawl.send_signal(signal.SIGKILL)
    finally:
        crawl.wait(timeout=30)
    assert crawl.returncode == -signal.SIGKILL and counted >= 10  # killed mid-crawl, after counting
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= counted


# --- SQLite: the file deleted or replaced mid-crawl ---------------------------------------------

def wait_for_rows(db: Path, minimum: int, crawl: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and crawl.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as conn:
                    if conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= minimum:
                        return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"the crawl ended or stalled before {minimum} rows")


def test_sqlite_file_deleted_mid_crawl(replica: ReplicaServer, tmp_path: Path) -> None:
    db, dead, log, feed = tmp_path / "store.sqlite3", tmp_path / "dl", tmp_path / "crawl.log", tmp_path / "items.jsonl"
    kept = tmp_path / "what-the-deleted-file-held.sqlite3"
    args = ["-s", f"NEWSCRAWLER_DB={db}", "-s", f"DEADLETTER_DIR={dead}"]
    crawl = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", "cids=1,2", "-a", "pages=2", *FAST, *args,
         "-s", "STORE_BATCH_SIZE=3", "-s", "DOWNLOAD_DELAY=0.02", "-s", f"LOG_FILE={log}", "-O", str(feed)],
        cwd=ROOT, env=env(http_proxy=replica.url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_rows(db, 6, crawl)
        # A second name keeps the inode: what the crawl committed before it noticed stays readable.
        kept.hardlink_to(db)
        db.unlink()
        assert crawl.wait(timeout=180) == EXIT_UNHEALTHY
    finally:
        if crawl.poll() is None:
            crawl.kill()
    text = log.read_text(encoding="utf-8")
    [gone] = [line for line in text.splitlines() if "the database file was deleted while open" in line]
    assert f"ERROR: SQLite at {db}: the database file was deleted" in gone
    assert "Exit status 1: the store's file was deleted or replaced mid-crawl (store/file_gone)" in text
    assert stat(text, "store/file_gone") == 1 and stat(text, "store/lost") == 0
    with sqlite3.connect(kept) as conn:  # the store emptied its WAL into the file when it noticed
        before = {row[0] for row in conn.execute("SELECT id FROM articles")}
    spooled_ids, scraped = ids_in(dead), scraped_ids(feed)
    assert before and spooled_ids and not before & spooled_ids
    assert before | spooled_ids == scraped
    assert stat(text, "store/deadlettered") == len(spooled_ids)

    replay = scrapy("replay", *args, "-s", "MONGO_URI=")  # a fresh store at that path
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert f"{len(spooled_ids)} new" in replay.stdout
    fresh = SqliteStore(db)
    try:
        assert fresh.known_ids(sorted(scraped)) == spooled_ids and fresh.count() == len(spooled_ids)
    finally:
        fresh.close()


def test_sqlite_file_replaced_under_the_store(store_settings: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    """Restoring a backup over the open database: the writes would land in the replaced file."""
    db = Path(store_settings["NEWSCRAWLER_DB"])
    stage = stage_for(store_settings, STORE_BATCH_SIZE=2, STORE_WRITE_ATTEMPTS=3)
    items = [article(n) for n in range(6)]

    class Replacing(SqliteStore):
        def write(self, docs: list[dict[str, Any]], now: Any) -> Any:
            if docs[0]["id"] == "qutoutiao:2":  # after the first batch
                other = db.with_name("backup.sqlite3")
                SqliteStore(other).close()
                other.replace(db)
            return super().write(docs, now)

    run_stage(stage, items, store=Replacing(db))
    restored = SqliteStore(db)  # the file put there is left as it was: the store's WAL was emptied into its own
    try:
        assert restored.count() == 0
    finally:
        restored.close()
    stats = stage.stats.get_stats()
    assert (stats["store/new"], stats["store/deadlettered"], stats["store/file_gone"]) == (2, 4, 1)
    assert "store/write_errors" not in stats  # no retry: the file will not come back
    assert [d["id"] for d in spooled(store_settings["DEADLETTER_DIR"])] == [f"qutoutiao:{n}" for n in range(2, 6)]
    assert [r.getMessage() for r in caplog.records if "was replaced while open" in r.getMessage()
            and r.levelname == "ERROR" and r.name == "newscrawler.storage.writing"] == [
        f"SQLite at {db}: the database file was replaced while open; nothing more is written to it. The articles "
        "of this batch and of every later one go to the dead-letter file: run `scrapy replay` once the store is back"]
