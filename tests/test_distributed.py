"""Several `scrapy crawl` workers on one Valkey frontier and one store (issue 12).

Each worker is a process of its own, as an operator starts them, against a replica
process (500+ articles) whose ``/__hits`` route counts the requests per path. The shared
store is the MongoDB wire server (``MONGO_URI``, a database of each test's own); one case
runs two workers on one SQLite file, the README's store for workers on one machine.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from newscrawler.items import article_id
from newscrawler.replica.site import ReplicaConfig, Site
from tests import oracle
from tests.processes import replica_process
from tests.valkey import ValkeyServer
from tests.workers import (
    CONFIG, WORKER_TIMEOUT, SharedStore, Worker, assert_each_stored_once, detail_hits, flaky_paths, ids_of,
    kill_left_workers, run_workers, snapshot, start_worker,
)

GROWN = ReplicaConfig(channels=6, pages=13, per_page=10)  # the same site, more listing pages


@pytest.fixture
def redis_url(valkey_url: str) -> Iterator[str]:
    """The shared server, emptied for each test; no run may leave keys behind."""
    client = redis.Redis.from_url(valkey_url)
    client.flushall()
    yield valkey_url
    assert not [k for k in client.keys("qutoutiao:*") if k.endswith((b":requests", b":dupefilter", b":taken"))]
    client.close()


@pytest.fixture(autouse=True)
def no_worker_left() -> Iterator[None]:
    """A test that fails midway kills the workers it started."""
    yield
    kill_left_workers()


@pytest.fixture
def store(mongo_uri: str, mongo_db: str, tmp_path: Path) -> SharedStore:
    """A MongoDB database of this test's own on the session's wire server (dropped afterwards)."""
    return SharedStore(tmp_path, mongo_uri, mongo_db)


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
    # Each article page takes a quarter second: one worker alone would need 8 s or more for the 538
    # (16 at a time), far longer than the other takes to start on a loaded machine. Without it the
    # first worker up could take the whole frontier (a crawl of 5 s) and the test prove nothing.
    with replica_process("--channels", "6", "--pages", "11", "--detail-delay", "0.25") as replica:
        workers = run_workers(2, replica, redis_url, store)
        hits = detail_hits(replica, CONFIG)
    assert store.ids() == reference["ids"]
    assert all(worker.stat("store/new") > 0 for worker in workers), [(w.stat("store/new"), w.log[:3000]) for w in workers]
    assert_each_stored_once(store, workers)
    # No detail page fetched twice across the two (the flaky one is retried, as in the reference).
    assert hits == reference["hits"]
    assert {p for p, n in hits.items() if n > 1} == flaky_paths(CONFIG)
    runs = {worker.run_id for worker in workers}
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
    before = snapshot(store)
    with replica_process("--channels", "6", "--pages", "13") as replica:  # new articles appeared
        second = run_workers(2, replica, redis_url, store, pages=GROWN.pages)
    grown = set(ids_of(oracle.expected(Site(GROWN), pages=GROWN.pages)["stored"]))
    assert grown - before.first_seen.keys(), "the grown replica must list articles the first run did not see"
    assert store.ids() == sorted(before.first_seen.keys() | grown)
    # The new ones stored once; the first run's ones skipped, not fetched and stored again.
    assert_each_stored_once(store, second, before)
    assert sum(worker.stat("incremental/skipped") for worker in second) >= len(grown & before.first_seen.keys())
    assert first.run_id != second[0].run_id


# A guard against a hung test, not a speed limit: generous for a loaded machine.
DEADLINE = 180


def until_a_quarter_fetched(replica: str, expected: int, *workers: Worker) -> None:
    """Return once a quarter of the ``expected`` detail pages were fetched, ``workers`` all running."""
    deadline = time.monotonic() + DEADLINE
    while sum(detail_hits(replica, CONFIG).values()) < expected // 4:
        for worker in workers:
            assert time.monotonic() < deadline and worker.process.poll() is None, worker.log[-3000:]
        time.sleep(0.05)


def kill_with_requests_queued(victim: Worker, replica: str, expected: int, redis_url: str) -> None:
    """SIGKILL ``victim`` once a quarter of the ``expected`` detail pages were fetched, at a moment
    its run's frontier holds requests. The frontier runs empty for a moment whenever the worker
    takes the last listing pages: the victim is frozen to look, and thawed to go on if it is."""
    until_a_quarter_fetched(replica, expected, victim)
    client, queue = redis.Redis.from_url(redis_url), f"qutoutiao:{victim.run_id}:requests"
    deadline = time.monotonic() + DEADLINE
    while True:
        victim.freeze()
        if client.zcard(queue):
            break
        victim.thaw()
        assert time.monotonic() < deadline and victim.process.poll() is None, victim.log[-3000:]
        time.sleep(0.01)
    client.close()
    victim.process.send_signal(signal.SIGKILL)
    victim.wait()


def taken(replica: str) -> set[str]:
    """Store ids of the articles whose pages ``replica`` was asked for."""
    site = Site(CONFIG)
    return {article_id("qutoutiao", site.by_path[path]) for path in detail_hits(replica, CONFIG)}


def test_killed_worker_is_recovered_by_the_next_run(redis_url: str, store: SharedStore) -> None:
    expected = ids_of(oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"])
    with (replica_process("--channels", "6", "--pages", "11") as replica,
          replica_process("--channels", "6", "--pages", "11", "--detail-delay", "120") as slow):
        # The victim's own replica holds every article page for two minutes: each article the victim
        # takes is still in flight when it dies, so what it took is surely missing from this run.
        victim = start_worker(slow, redis_url, store, "victim", CONFIG.pages, "-s", "DOWNLOAD_TIMEOUT=300")
        survivor = start_worker(replica, redis_url, store, "survivor", CONFIG.pages)
        until_a_quarter_fetched(replica, len(expected), survivor)
        deadline = time.monotonic() + DEADLINE
        while not taken(slow) & set(expected):  # and the victim holds an article of the reference set
            assert time.monotonic() < deadline and victim.process.poll() is None, victim.log[-3000:]
            time.sleep(0.05)
        victim.process.send_signal(signal.SIGKILL)
        victim.wait()
        assert survivor.wait() == 0, survivor.log[-3000:]
        assert "(finished)" in survivor.log
        after_crash = snapshot(store)
        assert after_crash.first_seen.keys() < set(expected)  # the victim's work is missing
        assert not after_crash.first_seen.keys() & taken(slow)  # nobody else fetched them in this run
        assert_each_stored_once(store, [victim, survivor])  # the victim stored nothing
        (follow_up,) = run_workers(1, replica, redis_url, store)
    assert store.ids() == expected  # every article
    assert_each_stored_once(store, [follow_up], after_crash)  # just the missing ones, once each


def test_run_left_by_a_lone_killed_worker_does_not_block_the_next(redis_url: str, store: SharedStore) -> None:
    expected = ids_of(oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"])
    with replica_process("--channels", "6", "--pages", "11") as replica:
        victim = start_worker(replica, redis_url, store, "victim", CONFIG.pages)
        kill_with_requests_queued(victim, replica, len(expected), redis_url)
        dead_run = victim.run_id
        queue = f"qutoutiao:{dead_run}:requests"
        assert redis.Redis.from_url(redis_url).zcard(queue) > 0  # the dead run's frontier is left
        before = snapshot(store)  # what the victim flushed before it died
        time.sleep(WORKER_TIMEOUT + 0.5)
        (next_run,) = run_workers(1, replica, redis_url, store)
    assert store.ids() == expected
    assert_each_stored_once(store, [next_run], before)
    assert f"Run {dead_run} had no live worker left" in next_run.log


def wait_for_line(worker: Worker, text: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while text not in worker.log:
        assert time.monotonic() < deadline and worker.process.poll() is None, worker.log[-3000:]
        time.sleep(0.05)


def test_crawls_that_differ_never_share_a_run(redis_url: str, tmp_path: Path) -> None:
    """Two crawls on one Valkey, other arguments and other stores, the second started while the
    first runs: each store holds exactly its own crawl's articles."""
    first_store = SharedStore(tmp_path, "", str(tmp_path / "a.sqlite3"))
    second_store = SharedStore(tmp_path, "", str(tmp_path / "b.sqlite3"))
    with replica_process("--channels", "6", "--pages", "11") as replica:
        first = start_worker(replica, redis_url, first_store, "crawl-a", CONFIG.pages, cids="1,2,3")
        wait_for_line(first, " in run ")
        second = start_worker(replica, redis_url, second_store, "crawl-b", CONFIG.pages, cids="4,5,6")
        for worker in (first, second):
            assert worker.wait() == 0, worker.log[-3000:]
    for store, worker, cids in ((first_store, first, (1, 2, 3)), (second_store, second, (4, 5, 6))):
        assert store.ids() == ids_of(oracle.expected(Site(CONFIG), cids=cids, pages=CONFIG.pages)["stored"])
        assert_each_stored_once(store, [worker])
    runs = {worker.run_id for worker in (first, second)}
    assert len(runs) == 2


def lines(worker: Worker, text: str) -> list[str]:
    return [line for line in worker.log.splitlines() if text in line]


@pytest.mark.parametrize("persistence", [True, False], ids=["aof", "no-persistence"])
def test_workers_ride_out_a_valkey_restart(persistence: bool, store: SharedStore, tmp_path: Path) -> None:
    """Valkey restarted mid-run, down longer than REDIS_WORKER_TIMEOUT: the run completes, every
    article stored by its workers. With an append-only file the run's keys come back; without
    one they are gone, and the workers put the run back and queue their start requests again."""
    expected = ids_of(oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"])
    valkey = ValkeyServer(tmp_path, persistence=persistence)
    valkey.start()
    try:
        with replica_process("--channels", "6", "--pages", "11") as replica:
            workers = [start_worker(replica, valkey.url, store, f"worker{i}", CONFIG.pages) for i in range(2)]
            until_a_quarter_fetched(replica, len(expected), *workers)
            valkey.stop()
            time.sleep(WORKER_TIMEOUT + 1)  # every worker's heartbeat entry is stale when Valkey is back
            valkey.start()
            for worker in workers:
                assert worker.wait() == 0, worker.log[-3000:]
            hits = detail_hits(replica, CONFIG)
        client = redis.Redis.from_url(valkey.url)
        assert not [k for k in client.keys("qutoutiao:*") if k.endswith((b":requests", b":dupefilter", b":taken"))]
        client.close()
    finally:
        valkey.stop()
    assert store.ids() == expected  # every article, by the end of this run
    for worker in workers:
        assert "Traceback" not in worker.log
        assert len(lines(worker, "is unreachable")) == 1, lines(worker, "Valkey")  # once per outage, not per beat
        assert len(lines(worker, "is back after")) == 1
    if persistence:
        assert_each_stored_once(store, workers)
        assert {path for path, count in hits.items() if count > 1} == flaky_paths(CONFIG)  # nothing fetched twice
    else:
        # The run's fingerprints went with Valkey's data: an article in flight then may be fetched
        # again, but the store holds it once and it was inserted once.
        assert sum(worker.stat("store/new") for worker in workers) == len(expected)
        assert [row.id for row in store.rows() if row.updated_at is not None] == []
        assert all(worker.stat("redis/runs_rejoined") for worker in workers)


def test_worker_gives_up_on_valkey_refusing_writes_past_the_outage_timeout(store: SharedStore, tmp_path: Path) -> None:
    """Valkey up but refusing every write (NOREPLICAS here; MISCONF on a full disk, MASTERDOWN,
    TRYAGAIN, CLUSTERDOWN alike): an outage, not a bug. The worker holds its requests, closes
    after REDIS_OUTAGE_TIMEOUT with one ERROR line and exit status 1, and never hangs."""
    expected = ids_of(oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"])
    valkey = ValkeyServer(tmp_path)
    valkey.start()
    client = redis.Redis.from_url(valkey.url)
    try:
        with replica_process("--channels", "6", "--pages", "11") as replica:
            worker = start_worker(replica, valkey.url, store, "alone", CONFIG.pages, "-s", "REDIS_OUTAGE_TIMEOUT=3")
            until_a_quarter_fetched(replica, len(expected), worker)
            client.config_set("min-replicas-to-write", 1)  # no replica: every write is refused
            assert worker.wait(timeout=120) == 1, worker.log[-3000:]
    finally:
        client.close()
        valkey.stop()
    [line] = [line for line in lines(worker, "REDIS_OUTAGE_TIMEOUT") if " ERROR: " in line]
    assert f"Valkey/Redis at 127.0.0.1:{valkey.port} unreachable for " in line and "NOREPLICAS" in line
    assert len(lines(worker, "is unreachable")) == 1
    assert "Traceback" not in worker.log
    assert "finish_reason': 'redis_unreachable'" in worker.log
    assert worker.stat("item_scraped_count") == len(store.ids()) > 0
    assert worker.stat("store/lost") == worker.stat("store/deadlettered") == 0


def test_worker_gives_up_on_valkey_past_the_outage_timeout(store: SharedStore, tmp_path: Path) -> None:
    """Valkey gone for good: the worker closes after REDIS_OUTAGE_TIMEOUT with one ERROR line naming
    the server (not its password), exit status 1, and every article it had is stored."""
    expected = ids_of(oracle.expected(Site(CONFIG), pages=CONFIG.pages)["stored"])
    valkey = ValkeyServer(tmp_path, password="S3cretPw")
    valkey.start()
    try:
        with replica_process("--channels", "6", "--pages", "11") as replica:
            worker = start_worker(replica, valkey.url, store, "alone", CONFIG.pages, "-s", "REDIS_OUTAGE_TIMEOUT=3")
            until_a_quarter_fetched(replica, len(expected), worker)
            valkey.stop()
            assert worker.wait() == 1, worker.log[-3000:]
    finally:
        valkey.stop()
    [line] = [line for line in lines(worker, "REDIS_OUTAGE_TIMEOUT") if " ERROR: " in line]
    assert f"Valkey/Redis at 127.0.0.1:{valkey.port} unreachable for " in line
    assert "S3cretPw" not in worker.log and "Traceback" not in worker.log
    assert "finish_reason': 'redis_unreachable'" in worker.log
    # Nothing lost silently: what it scraped is stored (its store stayed up), none lost or spooled.
    assert worker.stat("item_scraped_count") == len(store.ids()) > 0
    assert worker.stat("store/lost") == worker.stat("store/deadlettered") == 0
