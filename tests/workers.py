"""Scrapy workers as separate processes on one Valkey frontier, and the stores they share.

Each worker is a ``scrapy crawl`` process of its own, as an operator starts them, against a
replica process whose ``/__hits`` route counts the requests per path.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pymongo import MongoClient

from newscrawler.items import article_id
from newscrawler.replica.site import ReplicaConfig, Site
from tests.processes import ROOT, env

CONFIG = ReplicaConfig(channels=6, pages=11, per_page=10)
CIDS = ",".join(map(str, Site(CONFIG).channels))
WORKER_TIMEOUT = 4  # seconds without a heartbeat before a killed worker counts as dead
# Outcomes of writing an article the store already holds: any of them means double work.
REPEATS = ("store/updated", "store/unchanged", "store/stale")


@dataclass(frozen=True)
class Row:
    """What the store says about one article: its id and when it was inserted and last updated."""

    id: str
    first_seen_at: datetime
    updated_at: datetime | str | None


@dataclass(frozen=True)
class SharedStore:
    """Where every worker of a test writes: a MongoDB database (``mongo_uri`` set) or one SQLite file."""

    folder: Path  # worker logs and dead letters
    mongo_uri: str
    name: str  # the MongoDB database, or the SQLite file

    @property
    def environment(self) -> dict[str, str]:
        return {"MONGO_URI": self.mongo_uri}  # as an operator exports it; empty selects SQLite

    @property
    def settings(self) -> list[str]:
        return ["-s", f"MONGO_DATABASE={self.name}" if self.mongo_uri else f"NEWSCRAWLER_DB={self.name}"]

    def rows(self) -> list[Row]:
        if not self.mongo_uri:
            with sqlite3.connect(self.name) as connection:
                found = connection.execute("SELECT id, first_seen_at, updated_at FROM articles").fetchall()
            return [Row(row_id, datetime.fromisoformat(first), updated) for row_id, first, updated in found]
        with MongoClient(self.mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000) as client:
            found = client[self.name]["articles"].find({}, {"first_seen_at": 1, "updated_at": 1})
            return [Row(doc["_id"], doc["first_seen_at"], doc["updated_at"]) for doc in found]

    def ids(self) -> list[str]:
        """Every stored article's id (a list: a duplicate would show)."""
        return sorted(row.id for row in self.rows())

    def drop(self) -> None:
        with MongoClient(self.mongo_uri, serverSelectionTimeoutMS=5000) as client:
            client.drop_database(self.name)


def ids_of(source_ids: set[str]) -> list[str]:
    """The store ids of the replica's articles, as ``ids()`` lists them."""
    return sorted(article_id("qutoutiao", source_id) for source_id in source_ids)


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def run_id(self) -> str:
        """The run it joined, from its log."""
        return re.search(r"in run (\S+)", self.log).group(1)

    def freeze(self) -> None:
        """SIGSTOP, and wait until the kernel says it is stopped: it takes nothing more from the queue."""
        self.process.send_signal(signal.SIGSTOP)
        stat = Path(f"/proc/{self.process.pid}/stat")
        while stat.read_text().rpartition(")")[2].split()[0] != "T":
            time.sleep(0.001)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 180) -> int:
        return self.process.wait(timeout=timeout)

    def stat(self, key: str) -> int:
        match = re.search(rf"'{re.escape(key)}': (\d+)", self.log)
        return int(match.group(1)) if match else 0


def start_worker(
    replica: str, redis_url: str, store: SharedStore, name: str, pages: int, *settings: str, cids: str = CIDS
) -> Worker:
    """``REDIS_URL=… MONGO_URI=… scrapy crawl qutoutiao`` with the replica as http_proxy."""
    log_path = store.folder / f"{name}.log"
    args = [
        sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", f"cids={cids}", "-a", f"pages={pages}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        *store.settings, "-s", f"DEADLETTER_DIR={store.folder / 'deadletter'}",
        "-s", "REDIS_IDLE_CLOSE=1", "-s", f"REDIS_WORKER_TIMEOUT={WORKER_TIMEOUT}", *settings,
    ]
    with log_path.open("wb") as log:
        worker_env = env(http_proxy=replica, REDIS_URL=redis_url, **store.environment)
        process = subprocess.Popen(args, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
    worker = Worker(process, log_path)
    STARTED.append(worker)
    return worker


# Every worker started, so that a failed test's teardown stops the ones it left running: they
# would crawl on, on Valkey and the store, into the next test.
STARTED: list[Worker] = []


def kill_left_workers() -> None:
    while STARTED:
        worker = STARTED.pop()
        if worker.process.poll() is None:
            worker.process.kill()
            worker.wait()


def run_workers(
    count: int, replica: str, redis_url: str, store: SharedStore, pages: int = CONFIG.pages, cids: str = CIDS
) -> list[Worker]:
    workers = [
        start_worker(replica, redis_url, store, f"worker{i}-{time.monotonic_ns()}", pages, cids=cids)
        for i in range(count)
    ]
    for worker in workers:
        assert worker.wait() == 0, worker.log[-3000:]
        assert "(finished)" in worker.log
    return workers


@dataclass(frozen=True)
class Snapshot:
    """The store at ``at``: stored article id -> when it was inserted."""

    at: datetime
    first_seen: dict[str, datetime]


def snapshot(store: SharedStore) -> Snapshot:
    at = datetime.now(timezone.utc)
    return Snapshot(at, {row.id: row.first_seen_at for row in store.rows()})


def assert_each_stored_once(store: SharedStore, workers: list[Worker], before: Snapshot | None = None) -> None:
    """Each article ``workers`` stored went to the store once, from one worker.

    Ids are unique in the store by construction, so this checks the work instead: the workers'
    new-article counts add up to the articles first seen since ``before`` (taken before they
    ran; a killed worker's last write may still land after it), the articles stored then were
    never inserted again, no worker wrote an article the store already held, and no article
    was ever updated.
    """
    rows = store.rows()
    since = before.at if before else datetime.min.replace(tzinfo=timezone.utc)
    assert sum(worker.stat("store/new") for worker in workers) == len([r for r in rows if r.first_seen_at >= since])
    if before:
        assert {row.id: row.first_seen_at for row in rows if row.id in before.first_seen} == before.first_seen
    assert {key: worker.stat(key) for worker in workers for key in REPEATS if worker.stat(key)} == {}
    assert [row.id for row in rows if row.updated_at is not None] == []


def detail_hits(replica: str, config: ReplicaConfig) -> dict[str, int]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to 127.0.0.1
    with opener.open(f"{replica}/__hits", timeout=10) as response:
        hits = json.load(response)
    paths = Site(config).by_path
    return {path: count for path, count in hits.items() if path in paths}


def flaky_paths(config: ReplicaConfig) -> set[str]:
    """Detail pages that answer 500 once: Scrapy's retry fetches them twice by design."""
    return {a.path for a in Site(config).articles.values() if a.status == "flaky"}
