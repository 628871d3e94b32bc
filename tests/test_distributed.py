"""Several `scrapy crawl` workers on one Valkey frontier and one store (issue 12).

Each worker is a process of its own, as an operator starts them, against a replica
process (500+ articles) whose ``/__hits`` route counts the requests per path.
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
from pathlib import Path

import pytest
import redis

from newscrawler.replica.site import ReplicaConfig, Site
from tests import oracle
from tests.processes import ROOT, env, replica_process

CONFIG = ReplicaConfig(channels=6, pages=11, per_page=10)
GROWN = ReplicaConfig(channels=6, pages=13, per_page=10)  # the same site, more listing pages
CIDS = ",".join(map(str, Site(CONFIG).channels))
WORKER_TIMEOUT = 4  # seconds without a heartbeat before a killed worker counts as dead


@pytest.fixture
def redis_url(valkey_url: str) -> Iterator[str]:
    """The shared server, emptied for each test; no run may leave keys behind."""
    client = redis.Redis.from_url(valkey_url)
    client.flushall()
    yield valkey_url
    assert not [k for k in client.keys("qutoutiao:*") if k.endswith((b":requests", b":dupefilter"))]
    client.close()


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
    replica: str, redis_url: str, db: Path, name: str, pages: int, *settings: str, cids: str = CIDS
) -> Worker:
    """``REDIS_URL=… scrapy crawl qutoutiao`` with the replica as http_proxy."""
    log_path = db.parent / f"{name}.log"
    args = [
        sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", f"cids={cids}", "-a", f"pages={pages}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", f"NEWSCRAWLER_DB={db}", "-s", f"DEADLETTER_DIR={db.parent / 'deadletter'}",
        "-s", "REDIS_IDLE_CLOSE=1", "-s", f"REDIS_WORKER_TIMEOUT={WORKER_TIMEOUT}", *settings,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env(http_proxy=replica, REDIS_URL=redis_url),
                                   stdout=log, stderr=subprocess.STDOUT)
    return Worker(process, log_path)


def run_workers(
    count: int, replica: str, redis_url: str, db: Path, pages: int = CONFIG.pages, cids: str = CIDS
) -> list[Worker]:
    workers = [
        start_worker(replica, redis_url, db, f"worker{i}-{time.monotonic_ns()}", pages, cids=cids) for i in range(count)
    ]
    for worker in workers:
        assert worker.wait() == 0, worker.log[-3000:]
        assert "(finished)" in worker.log
    return workers


def stored_ids(db: Path) -> list[str]:
    """Every stored row's source id (a list: a duplicate would show)."""
    with sqlite3.connect(db) as connection:
        return [json.loads(doc)["source_id"] for (doc,) in connection.execute("SELECT doc FROM articles")]


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
def reference(valkey_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Test 1's run: one worker in distributed mode, the reference for the others."""
    redis.Redis.from_url(valkey_url).flushall()
    db = tmp_path_factory.mktemp("reference") / "store.sqlite3"
    with replica_process("--channels", "6", "--pages", "11") as replica:
        (worker,) = run_workers(1, replica, valkey_url, db)
        return {"ids": stored_ids(db), "hits": detail_hits(replica, CONFIG), "worker": worker}


def test_one_worker_is_the_reference(reference: dict[str, object], redis_url: str) -> None:
    ids, hits, worker = reference["ids"], reference["hits"], reference["worker"]
    expected = oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"]
    assert len(expected) >= 500
    assert sorted(ids) == sorted(expected)
    assert worker.stat("scheduler/enqueued/redis") > len(expected)  # the frontier lived in Redis
    assert "Run " in worker.log and "ended" in worker.log
    assert {p for p, n in hits.items() if n > 1} == flaky_paths(CONFIG)


def test_two_workers_share_one_frontier(reference: dict[str, object], redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    with replica_process("--channels", "6", "--pages", "11") as replica:
        workers = run_workers(2, replica, redis_url, db)
        hits = detail_hits(replica, CONFIG)
    ids = stored_ids(db)
    assert sorted(ids) == sorted(reference["ids"])
    assert all(worker.stat("store/new") > 0 for worker in workers), [w.stat("store/new") for w in workers]
    assert sum(worker.stat("store/new") for worker in workers) == len(ids)
    # No detail page fetched twice across the two (the flaky one is retried, as in the reference).
    assert hits == reference["hits"]
    assert {p for p, n in hits.items() if n > 1} == flaky_paths(CONFIG)
    runs = {re.search(r"in run (\S+)", worker.log).group(1) for worker in workers}
    assert len(runs) == 1


def test_a_worker_without_listing_pages_is_healthy(redis_url: str, tmp_path: Path) -> None:
    """One listing page for three workers: two get none, and that is no failure."""
    db = tmp_path / "store.sqlite3"
    with replica_process("--channels", "6", "--pages", "11") as replica:
        workers = run_workers(3, replica, redis_url, db, pages=1, cids="1")  # exit status 0 each
    assert sorted(worker.stat("qutoutiao/listing/pages") for worker in workers) == [0, 0, 1]
    assert sorted(stored_ids(db)) == sorted(oracle.expected(Site(CONFIG), cids=(1,), pages=1)["stored"])


def test_next_run_fetches_listings_again_and_stores_new_articles(redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    with replica_process("--channels", "6", "--pages", "11") as replica:
        (first,) = run_workers(1, replica, redis_url, db)
    before = set(stored_ids(db))
    with replica_process("--channels", "6", "--pages", "13") as replica:  # new articles appeared
        second = run_workers(2, replica, redis_url, db, pages=GROWN.pages)
    after = stored_ids(db)
    grown = oracle.expected(Site(GROWN), pages=GROWN.pages)["stored"]
    assert grown - before, "the grown replica must list articles the first run did not see"
    assert sorted(after) == sorted(before | grown)
    assert sum(worker.stat("store/new") for worker in second) == len(grown - before)
    # Stored articles were skipped, not fetched again.
    assert sum(worker.stat("incremental/skipped") for worker in second) >= len(grown & before)
    assert re.search(r"in run (\S+)", first.log).group(1) != re.search(r"in run (\S+)", second[0].log).group(1)


def kill_after_a_quarter(victim: Worker, replica: str, expected: int) -> None:
    """SIGKILL ``victim`` once a quarter of the ``expected`` detail pages were fetched."""
    deadline = time.monotonic() + 60
    while sum(detail_hits(replica, CONFIG).values()) < expected // 4:
        assert time.monotonic() < deadline and victim.process.poll() is None, victim.log[-3000:]
        time.sleep(0.05)
    victim.process.send_signal(signal.SIGKILL)
    victim.wait()


def test_killed_worker_is_recovered_by_the_next_run(redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    expected = oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"]
    with replica_process("--channels", "6", "--pages", "11") as replica:
        # The victim never flushes its batch, so what it took is surely lost when it dies.
        victim = start_worker(replica, redis_url, db, "victim", CONFIG.pages,
                              "-s", "STORE_BATCH_SIZE=100000", "-s", "STORE_FLUSH_INTERVAL=3600")
        survivor = start_worker(replica, redis_url, db, "survivor", CONFIG.pages)
        kill_after_a_quarter(victim, replica, len(expected))
        assert survivor.wait() == 0, survivor.log[-3000:]
        assert "(finished)" in survivor.log
        after_crash = set(stored_ids(db))
        assert after_crash < expected  # the victim's work is missing
        (follow_up,) = run_workers(1, replica, redis_url, db)
    ids = stored_ids(db)
    assert sorted(ids) == sorted(expected)  # every article, none twice
    assert follow_up.stat("store/new") == len(expected - after_crash)


def test_run_left_by_a_lone_killed_worker_does_not_block_the_next(redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    expected = oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"]
    with replica_process("--channels", "6", "--pages", "11") as replica:
        victim = start_worker(replica, redis_url, db, "victim", CONFIG.pages)
        kill_after_a_quarter(victim, replica, len(expected))
        dead_run = re.search(r"in run (\S+)", victim.log).group(1)
        queue = f"qutoutiao:{dead_run}:requests"
        assert redis.Redis.from_url(redis_url).zcard(queue) > 0  # the dead run's frontier is left
        time.sleep(WORKER_TIMEOUT + 0.5)
        (next_run,) = run_workers(1, replica, redis_url, db)
    assert sorted(stored_ids(db)) == sorted(expected)
    assert f"Run {dead_run} had no live worker left" in next_run.log
