"""Several `scrapy crawl` workers on one Valkey frontier and one store (issue 12).

Each worker is a process of its own, as an operator starts them, against a replica
process (500+ articles) whose ``/__hits`` route counts the requests per path. The shared
store is the MongoDB wire server (``MONGO_URI``, a database of each test's own); one case
runs two workers on one SQLite file, the README's store for workers on one machine.
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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import redis
from pymongo import MongoClient

from newscrawler.items import article_id
from newscrawler.replica.site import ReplicaConfig, Site
from tests import oracle
from tests.processes import ROOT, env, replica_process

CONFIG = ReplicaConfig(channels=6, pages=11, per_page=10)
GROWN = ReplicaConfig(channels=6, pages=13, per_page=10)  # the same site, more listing pages
CIDS = ",".join(map(str, Site(CONFIG).channels))
WORKER_TIMEOUT = 4  # seconds without a heartbeat before a killed worker counts as dead
# Outcomes of writing an article the store already holds: any of them means double work.
REPEATS = ("store/updated", "store/unchanged", "store/stale")


@pytest.fixture
def redis_url(valkey_url: str) -> Iterator[str]:
    """The shared server, emptied for each test; no run may leave keys behind."""
    client = redis.Redis.from_url(valkey_url)
    client.flushall()
    yield valkey_url
    assert not [k for k in client.keys("qutoutiao:*") if k.endswith((b":requests", b":dupefilter"))]
    client.close()


@dataclass(frozen=True)
class Row:
    """What the store says about one article: its id and when it was inserted and last updated."""

    id: str
    first_seen_at: datetime | str
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
                return [Row(*row) for row in connection.execute("SELECT id, first_seen_at, updated_at FROM articles")]
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
    return sorted(article_id(source_id) for source_id in source_ids)


@pytest.fixture
def store(mongo_uri: str, mongo_db: str, tmp_path: Path) -> SharedStore:
    """A MongoDB database of this test's own on the session's wire server (dropped afterwards)."""
    return SharedStore(tmp_path, mongo_uri, mongo_db)


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

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
    return Worker(process, log_path)


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


def first_seen(store: SharedStore) -> dict[str, object]:
    """Stored article id -> when it was inserted."""
    return {row.id: row.first_seen_at for row in store.rows()}


def assert_each_stored_once(store: SharedStore, workers: list[Worker], before: dict[str, object] | None = None) -> None:
    """Each article ``workers`` stored went to the store once, from one worker.

    Ids are unique in the store by construction, so this checks the work instead: the workers'
    new-article counts add up to the articles stored since ``before`` (``first_seen`` taken
    before they ran), those earlier ones were never inserted again, no worker wrote an article
    the store already held, and no article was ever updated.
    """
    before = before or {}
    rows = store.rows()
    assert sum(worker.stat("store/new") for worker in workers) == len(rows) - len(before)
    assert {row.id: row.first_seen_at for row in rows if row.id in before} == before
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


@pytest.fixture(scope="module")
def reference(valkey_url: str, mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Test 1's run: one worker in distributed mode, the reference for the others."""
    redis.Redis.from_url(valkey_url).flushall()
    store = SharedStore(tmp_path_factory.mktemp("reference"), mongo_uri, "t_distributed_reference")
    store.drop()  # a MONGO_TEST_URI server may keep an earlier session's
    with replica_process("--channels", "6", "--pages", "11") as replica:
        (worker,) = run_workers(1, replica, valkey_url, store)
        yield {"store": store, "ids": store.ids(), "hits": detail_hits(replica, CONFIG), "worker": worker}
    store.drop()


def test_one_worker_is_the_reference(reference: dict[str, object], redis_url: str) -> None:
    ids, hits, worker = reference["ids"], reference["hits"], reference["worker"]
    expected = oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"]
    assert len(expected) >= 500
    assert ids == ids_of(expected)
    assert_each_stored_once(reference["store"], [worker])
    assert worker.stat("scheduler/enqueued/redis") > len(expected)  # the frontier lived in Redis
    assert "Run " in worker.log and "ended" in worker.log
    assert {p for p, n in hits.items() if n > 1} == flaky_paths(CONFIG)


@pytest.mark.parametrize("backend", ["mongodb", "sqlite"])
def test_two_workers_share_one_frontier(
    reference: dict[str, object], redis_url: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two workers at once store what the reference stored, in MongoDB or, on one machine, one SQLite file."""
    if backend == "mongodb":
        store = request.getfixturevalue("store")
    else:
        store = SharedStore(tmp_path, "", str(tmp_path / "store.sqlite3"))
    with replica_process("--channels", "6", "--pages", "11") as replica:
        workers = run_workers(2, replica, redis_url, store)
        hits = detail_hits(replica, CONFIG)
    assert store.ids() == reference["ids"]
    assert all(worker.stat("store/new") > 0 for worker in workers), [w.stat("store/new") for w in workers]
    assert_each_stored_once(store, workers)
    # No detail page fetched twice across the two (the flaky one is retried, as in the reference).
    assert hits == reference["hits"]
    assert {p for p, n in hits.items() if n > 1} == flaky_paths(CONFIG)
    runs = {re.search(r"in run (\S+)", worker.log).group(1) for worker in workers}
    assert len(runs) == 1


def test_a_worker_without_listing_pages_is_healthy(redis_url: str, store: SharedStore) -> None:
    """One listing page for three workers: two get none, and that is no failure."""
    with replica_process("--channels", "6", "--pages", "11") as replica:
        workers = run_workers(3, replica, redis_url, store, pages=1, cids="1")  # exit status 0 each
    assert sorted(worker.stat("qutoutiao/listing/pages") for worker in workers) == [0, 0, 1]
    assert store.ids() == ids_of(oracle.expected(Site(CONFIG), cids=(1,), pages=1)["stored"])
    assert_each_stored_once(store, workers)


def test_next_run_fetches_listings_again_and_stores_new_articles(redis_url: str, store: SharedStore) -> None:
    with replica_process("--channels", "6", "--pages", "11") as replica:
        (first,) = run_workers(1, replica, redis_url, store)
    before = first_seen(store)
    with replica_process("--channels", "6", "--pages", "13") as replica:  # new articles appeared
        second = run_workers(2, replica, redis_url, store, pages=GROWN.pages)
    grown = set(ids_of(oracle.expected(Site(GROWN), pages=GROWN.pages)["stored"]))
    assert grown - before.keys(), "the grown replica must list articles the first run did not see"
    assert store.ids() == sorted(before.keys() | grown)
    # The new ones stored once; the first run's ones skipped, not fetched and stored again.
    assert_each_stored_once(store, second, before)
    assert sum(worker.stat("incremental/skipped") for worker in second) >= len(grown & before.keys())
    assert re.search(r"in run (\S+)", first.log).group(1) != re.search(r"in run (\S+)", second[0].log).group(1)


def kill_after_a_quarter(victim: Worker, replica: str, expected: int) -> None:
    """SIGKILL ``victim`` once a quarter of the ``expected`` detail pages were fetched."""
    deadline = time.monotonic() + 60
    while sum(detail_hits(replica, CONFIG).values()) < expected // 4:
        assert time.monotonic() < deadline and victim.process.poll() is None, victim.log[-3000:]
        time.sleep(0.05)
    victim.process.send_signal(signal.SIGKILL)
    victim.wait()


def test_killed_worker_is_recovered_by_the_next_run(redis_url: str, store: SharedStore) -> None:
    expected = ids_of(oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"])
    with replica_process("--channels", "6", "--pages", "11") as replica:
        # The victim never flushes its batch, so what it took is surely lost when it dies.
        victim = start_worker(replica, redis_url, store, "victim", CONFIG.pages,
                              "-s", "STORE_BATCH_SIZE=100000", "-s", "STORE_FLUSH_INTERVAL=3600")
        survivor = start_worker(replica, redis_url, store, "survivor", CONFIG.pages)
        kill_after_a_quarter(victim, replica, len(expected))
        assert survivor.wait() == 0, survivor.log[-3000:]
        assert "(finished)" in survivor.log
        after_crash = first_seen(store)
        assert after_crash.keys() < set(expected)  # the victim's work is missing
        assert_each_stored_once(store, [victim, survivor])  # the victim stored nothing
        (follow_up,) = run_workers(1, replica, redis_url, store)
    assert store.ids() == expected  # every article
    assert_each_stored_once(store, [follow_up], after_crash)  # just the missing ones, once each


def test_run_left_by_a_lone_killed_worker_does_not_block_the_next(redis_url: str, store: SharedStore) -> None:
    expected = ids_of(oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"])
    with replica_process("--channels", "6", "--pages", "11") as replica:
        victim = start_worker(replica, redis_url, store, "victim", CONFIG.pages)
        kill_after_a_quarter(victim, replica, len(expected))
        dead_run = re.search(r"in run (\S+)", victim.log).group(1)
        queue = f"qutoutiao:{dead_run}:requests"
        assert redis.Redis.from_url(redis_url).zcard(queue) > 0  # the dead run's frontier is left
        before = first_seen(store)  # what the victim flushed before it died
        time.sleep(WORKER_TIMEOUT + 0.5)
        (next_run,) = run_workers(1, replica, redis_url, store)
    assert store.ids() == expected
    assert_each_stored_once(store, [next_run], before)
    assert f"Run {dead_run} had no live worker left" in next_run.log
