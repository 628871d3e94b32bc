"""The pieces of distributed mode, against a real Valkey: the add-on's switch, the
canonical-URL dupefilter, how workers agree on one run, and how they wait out Valkey."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from scrapy import Request
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from newscrawler.errors import ConfigError
from newscrawler.scheduler.distributed import DistributedAddon, RunDupeFilter, RunScheduler
from newscrawler.scheduler.redis_run import Beat, RunMembership
from tests.crawling import project_settings_dict, source_spider
from tests.processes import scrapy
from tests.valkey import LossyLink, ValkeyServer, free_port

QutoutiaoSpider = source_spider("qutoutiao")

RUN_NAME = "a1b2c3d4e5f6"
CRAWL = f"qutoutiao:{RUN_NAME}"  # <spider>:<run name>, the prefix of a crawl's run keys


@pytest.fixture
def server(valkey_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(valkey_url)
    client.flushall()
    yield client
    client.close()


@pytest.mark.parametrize(
    ("redis_url", "cmdline", "scheduler", "persist", "stop_at_known"),
    [
        ("", {}, "scrapy.core.scheduler.Scheduler", False, True),
        ("redis://127.0.0.1:1/0", {}, "newscrawler.scheduler.distributed.RunScheduler", True, False),
        ("redis://127.0.0.1:1/0", {"INCREMENTAL_STOP_AT_KNOWN_PAGE": True}, "newscrawler.scheduler.distributed.RunScheduler", True, True),
    ],
)
def test_redis_url_switches_distributed_mode(
    redis_url: str, cmdline: dict[str, object], scheduler: str, persist: bool, stop_at_known: bool
) -> None:
    settings = Settings(project_settings_dict(REDIS_URL=redis_url), priority="project")
    settings.setdict(cmdline, priority="cmdline")
    DistributedAddon().update_settings(settings)
    assert settings.get("SCHEDULER") == scheduler
    assert settings.getbool("SCHEDULER_PERSIST") is persist
    assert settings.getbool("INCREMENTAL_STOP_AT_KNOWN_PAGE") is stop_at_known
    assert (settings.get("DUPEFILTER_CLASS") == "newscrawler.scheduler.distributed.RunDupeFilter") is bool(redis_url)


def test_dupefilter_sees_the_canonical_url(server: redis.Redis) -> None:
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict())
    dupefilter = RunDupeFilter(server, "qutoutiao:run:dupefilter", False, crawler.request_fingerprinter, crawler.stats)
    article = "http://html2.qktoutiao.com/detail/2021/07/08/594310537.html"

    def detail(query: str) -> Request:
        return Request(f"{article}?{query}", meta={"canonical_url": article})

    assert not dupefilter.request_seen(detail("key=a&pv_id=1"))
    assert dupefilter.request_seen(detail("key=b&pv_id=2"))  # same article, other tracking keys
    assert not dupefilter.request_seen(Request(article.replace("594310537", "594310538")))
    listing = "http://api.1sapp.com/content/outList?cid=1&tn=1&page=1&limit=10"
    assert not dupefilter.request_seen(Request(listing))
    assert not dupefilter.request_seen(Request(listing.replace("page=1", "page=2")))
    assert server.scard("qutoutiao:run:dupefilter") == 4


def test_workers_join_one_run_and_the_last_one_out_ends_it(server: redis.Redis) -> None:
    first, second = (RunMembership(server, CRAWL, worker_timeout=30) for _ in range(2))
    run = first.join()
    assert run.dead_run_id == ""
    assert second.join().run_id == run.run_id
    assert first.beat(busy=True).others_busy == 1  # the other one joined busy (its start requests are coming)
    assert second.beat(busy=False).others_busy == 1
    assert first.beat(busy=False).others_busy == 0
    assert first.leave() is False  # the other one is still in the run
    assert server.get(f"{CRAWL}:run").decode() == run.run_id
    assert second.leave() is True
    assert server.get(f"{CRAWL}:run") is None
    later = RunMembership(server, CRAWL, worker_timeout=30)
    assert later.join().run_id != run.run_id  # the next scheduled run is a new one


def test_a_run_whose_workers_all_died_is_replaced(server: redis.Redis) -> None:
    killed = RunMembership(server, CRAWL, worker_timeout=0.5)
    dead = killed.join().run_id  # then never beats again, never leaves
    time.sleep(0.7)
    joined = RunMembership(server, CRAWL, worker_timeout=0.5).join()
    assert joined.dead_run_id == dead and joined.run_id != dead
    # A live worker keeps its run: a newcomer joins it.
    alive = RunMembership(server, CRAWL, worker_timeout=0.5)
    assert alive.join().run_id == joined.run_id


def test_a_beat_puts_back_a_run_that_valkey_lost(server: redis.Redis) -> None:
    first, second = (RunMembership(server, CRAWL, worker_timeout=30) for _ in range(2))
    run = first.join().run_id
    second.join()
    assert first.beat(busy=True) == Beat(1, run, "")
    server.flushall()  # Valkey restarted without its data
    assert first.beat(busy=True) == Beat(0, run, "run")  # the first to beat puts the run key back
    assert server.get(f"{CRAWL}:run").decode() == run
    assert second.beat(busy=True) == Beat(1, run, "worker")  # the other one learns it too: its entry was gone
    assert second.beat(busy=False) == Beat(1, run, "")
    assert first.leave() is False and second.leave() is True


def test_a_worker_silent_past_the_timeout_rejoins_its_run_or_its_successor(server: redis.Redis) -> None:
    slow, other = (RunMembership(server, CRAWL, worker_timeout=0.5) for _ in range(2))
    run = slow.join().run_id
    other.join()
    time.sleep(0.6)
    other.beat(busy=True)  # drops the silent one from the run's workers
    assert slow.beat(busy=True) == Beat(1, run, "worker")  # back in, and told
    time.sleep(0.7)  # both silent past the timeout: a newcomer replaces the run
    successor = RunMembership(server, CRAWL, worker_timeout=0.5).join()
    assert successor.dead_run_id == run
    assert slow.beat(busy=False) == Beat(1, successor.run_id, "worker")
    assert slow.run_id == successor.run_id


def test_the_last_worker_ends_a_run_whose_key_is_gone(server: redis.Redis) -> None:
    only = RunMembership(server, CRAWL, worker_timeout=30)
    only.join()
    server.delete(f"{CRAWL}:run")
    assert only.leave() is True


@pytest.fixture(scope="module")
def not_redis() -> Iterator[int]:
    """A port that answers like a web server, whatever it is sent."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            connection, _ = listener.accept()
            with connection:
                connection.recv(1024)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


@pytest.mark.parametrize(("url", "named"), [
    ("redis://:S3cretPw@127.0.0.1:{closed}/0", "REDIS_URL: no Redis at 127.0.0.1:{closed}"),
    ("redis://worker:S3cretPw@127.0.0.1:{not_redis}/0", "REDIS_URL: no Redis at 127.0.0.1:{not_redis}"),
    ("redis://:S3cretPw@127.0.0.1:port/0", "REDIS_URL redis://***@127.0.0.1:port/0 is not usable"),
    ("http://127.0.0.1:{closed}/", "REDIS_URL http://127.0.0.1:{closed}/ is not usable"),
    # A password with an unescaped "#", "?" or "/": urllib reads a piece of it as the port, and says so.
    ("redis://worker:S3cretPw#S3cretPx@127.0.0.1:{closed}/0", "REDIS_URL redis://***@127.0.0.1:{closed}/0 is not usable"),
    ("redis://:S3cretPw?S3cretPx@127.0.0.1:{closed}/0", "REDIS_URL redis://***@127.0.0.1:{closed}/0 is not usable"),
    ("redis://:S3cretPw/S3cretPx@127.0.0.1:{closed}/0", "REDIS_URL redis://***@127.0.0.1:{closed}/0 is not usable"),
])
def test_unusable_redis_stops_the_crawl_in_one_line(url: str, named: str, not_redis: int, tmp_path: Path) -> None:
    ports = {"closed": free_port(), "not_redis": not_redis}  # nothing listens on the closed one
    run = scrapy("crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1", "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}",
                 REDIS_URL=url.format(**ports), timeout=60)
    assert run.returncode == 2  # could not start
    [line] = [line for line in run.stderr.splitlines() if "Crawl not started" in line]
    assert f"CRITICAL: Crawl not started: {named.format(**ports)}" in line
    assert "Traceback" not in run.stderr
    for piece in ("S3cretPw", "S3cretPx"):
        assert piece not in run.stderr + run.stdout


@pytest.mark.parametrize("queue_class", ["scrapy_redis.queue.PriorityQueue", "scrapy_redis.queue.FifoQueue"])
def test_a_queue_without_receipts_is_refused(queue_class: str, valkey_url: str) -> None:
    """scrapy-redis's own queues lose a request when a reply is lost: named at start, not run."""
    settings = project_settings_dict(REDIS_URL=valkey_url, SCHEDULER_QUEUE_CLASS=queue_class)
    crawler = get_crawler(QutoutiaoSpider, settings)
    with pytest.raises(ConfigError, match=f"^SCHEDULER_QUEUE_CLASS='{queue_class}': must be "):
        RunScheduler.from_crawler(crawler)


def test_idle_worker_waits_for_busy_ones_then_for_redis_idle_close(server: redis.Redis, valkey_url: str) -> None:
    """A worker with nothing to do keeps open while another is busy, then REDIS_IDLE_CLOSE."""
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(REDIS_URL=valkey_url, REDIS_IDLE_CLOSE=0.3,
                                                              REDIS_RUN_NAME=RUN_NAME))
    spider = QutoutiaoSpider.from_crawler(crawler)
    scheduler = RunScheduler.from_crawler(crawler)
    other = RunMembership(server, CRAWL, worker_timeout=30)

    async def idle_worker() -> None:  # the heartbeat needs a loop; it never fires, nothing awaits
        scheduler.open(spider)
        assert other.join().run_id == scheduler.membership.run_id
        for _ in range(2):  # the other worker is busy: it may add requests, however long it takes
            with pytest.raises(DontCloseSpider):
                scheduler.spider_idle(spider)
            time.sleep(0.35)
        other.beat(busy=False)
        with pytest.raises(DontCloseSpider):  # quiet, but not for REDIS_IDLE_CLOSE yet
            scheduler.spider_idle(spider)
        time.sleep(0.35)
        scheduler.spider_idle(spider)  # may close now
        other.leave()
        scheduler.close("finished")

    asyncio.run(idle_worker())
    assert server.get(f"{CRAWL}:run") is None  # the last one out ended the run


def test_a_worker_joining_a_run_takes_from_its_queue(
    server: redis.Redis, valkey_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """scrapy-redis's open() makes the second worker's queue on the run's key; its note about the
    resumed queue (through Spider.log(), deprecated) gives way to our line."""
    caplog.set_level(logging.INFO)
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(REDIS_URL=valkey_url, REDIS_RUN_NAME=RUN_NAME))
    spider = QutoutiaoSpider.from_crawler(crawler)
    first, second = (RunScheduler.from_crawler(crawler) for _ in range(2))  # two workers of one crawl
    page = "http://html2.qktoutiao.com/detail/2021/07/08/594310537.html"

    async def join() -> str:
        first.open(spider)
        assert first.enqueue_request(Request(page))
        second.open(spider)
        taken = second.next_request()
        for scheduler in (first, second):
            scheduler.close("finished")
        return taken.url

    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always", ScrapyDeprecationWarning)
        assert asyncio.run(join()) == page
    assert second.queue.key == first.queue.key == f"qutoutiao:{first.run_id}:requests"
    assert len([r for r in caplog.records if "1 request(s) waiting" in r.message]) == 1
    assert not [w for w in warned if issubclass(w.category, ScrapyDeprecationWarning)]


def test_requests_made_while_valkey_is_away_are_queued_when_it_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Held in the worker during the outage, then through the run's dupefilter (kept by the
    append-only file) into its queue; the heartbeat probes all along and logs the outage once."""
    caplog.set_level(logging.INFO)
    valkey = ValkeyServer(tmp_path, persistence=True)
    valkey.start()
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(REDIS_URL=valkey.url, REDIS_RUN_NAME=RUN_NAME,
                                                                 REDIS_WORKER_TIMEOUT=1))
    spider = QutoutiaoSpider.from_crawler(crawler)
    scheduler = RunScheduler.from_crawler(crawler)
    page = "http://html2.qktoutiao.com/detail/2021/07/08/59431053{}.html"

    async def outage() -> list[str]:
        scheduler.open(spider)
        assert scheduler.enqueue_request(Request(page.format(1)))
        assert scheduler.next_request().url == page.format(1)  # taken: its fingerprint stays
        valkey.stop()
        assert scheduler.enqueue_request(Request(page.format(2))) is True  # held
        assert scheduler.enqueue_request(Request(page.format(1))) is True  # held: nobody to ask
        assert scheduler.outage.active and scheduler.has_pending_requests()
        assert scheduler.next_request() is None
        with pytest.raises(DontCloseSpider):
            scheduler.spider_idle(spider)
        await asyncio.sleep(1.5)  # beats fail meanwhile
        valkey.start()
        for _ in range(100):
            if not scheduler.outage.active:
                break
            await asyncio.sleep(0.05)
        taken = [scheduler.next_request() for _ in range(2)]
        scheduler.close("finished")
        return [request.url for request in taken if request is not None]

    try:
        assert asyncio.run(outage()) == [page.format(2)]  # the repeat of 1 was dropped by the dupefilter
    finally:
        valkey.stop()
    assert [r.message for r in caplog.records if "is unreachable" in r.message][0].startswith(
        f"Valkey/Redis at 127.0.0.1:{valkey.port} is unreachable (ConnectionError")
    assert len([r for r in caplog.records if "is unreachable" in r.message]) == 1
    assert len([r for r in caplog.records if "is back after" in r.message]) == 1
    assert not [r for r in caplog.records if r.exc_info]
    assert crawler.stats.get_value("redis/held_requests") == 2


@pytest.mark.parametrize("then", ["answered", "outage"], ids=["retried-at-once", "retried-after-an-outage"])
@pytest.mark.parametrize("command", ["pop", "push"])
def test_a_command_whose_reply_was_lost_loses_no_request(command: str, then: str, tmp_path: Path) -> None:
    """Valkey applies a pop or a push and its reply never comes back (it stopped in between). Sent
    again, by redis-py at once or by the scheduler after the outage, it gives the same outcome:
    the popped request reaches the worker, the pushed one is queued once, nothing is skipped."""
    valkey = ValkeyServer(tmp_path)
    valkey.start()
    link = LossyLink(valkey.port)
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(REDIS_URL=link.url, REDIS_RUN_NAME=RUN_NAME,
                                                                 REDIS_WORKER_TIMEOUT=1))
    spider = QutoutiaoSpider.from_crawler(crawler)
    scheduler = RunScheduler.from_crawler(crawler)
    page = "http://html2.qktoutiao.com/detail/2021/07/08/59431053{}.html"
    first, second = Request(page.format(1), priority=2), Request(page.format(2), priority=1)  # first pops first

    async def lose_a_reply() -> list[str]:
        scheduler.open(spider)
        assert scheduler.enqueue_request(Request(page.format(0), priority=3))
        assert scheduler.next_request().url == page.format(0)  # both scripts are loaded: no NOSCRIPT to lose
        taken = []
        if command == "push":
            link.lose_next_reply(refuse=then == "outage")
            scheduler.enqueue_request(first)  # went in; its reply was lost
        else:
            assert scheduler.enqueue_request(first)
            link.lose_next_reply(refuse=then == "outage")
            taken.append(scheduler.next_request())  # took `first`; its reply was lost
        if then == "outage":
            assert scheduler.outage.active and scheduler.next_request() is None
            link.refuse = False
            for _ in range(100):  # the heartbeat probes Valkey
                if not scheduler.outage.active:
                    break
                await asyncio.sleep(0.05)
            # `first` is in the queue again (push), or only in this worker's receipt (pop): the
            # engine must not take the worker for idle.
            assert scheduler.has_pending_requests()
        taken.append(scheduler.next_request())
        assert scheduler.enqueue_request(second)
        taken += [scheduler.next_request() for _ in range(2)]
        scheduler.close("finished")
        return [request.url for request in taken if request is not None]

    try:
        assert asyncio.run(lose_a_reply()) == [first.url, second.url]
        assert redis.Redis(port=valkey.port).keys() == []  # the run's queue, receipts and fingerprints went with it
    finally:
        link.close()
        valkey.stop()
    if command == "pop":
        assert crawler.stats.get_value("redis/pops_replayed") == 1
    assert crawler.stats.get_value("redis/outages") == (1 if then == "outage" else None)


def test_after_an_outage_a_worker_waits_for_the_others_to_beat_before_it_counts_itself_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Valkey back (with its data) after more than REDIS_WORKER_TIMEOUT: the first beat drops the
    other worker's stale entry, though that worker is alive and busy. An idle worker must not
    take the empty frontier and the missing busy worker for the end of the run (the last one out
    deletes the run's keys): it waits until the others had REDIS_WORKER_TIMEOUT to beat again."""
    caplog.set_level(logging.INFO)
    valkey = ValkeyServer(tmp_path, persistence=True)
    valkey.start()
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(REDIS_URL=valkey.url, REDIS_RUN_NAME=RUN_NAME,
                                                                 REDIS_WORKER_TIMEOUT=3, REDIS_IDLE_CLOSE=0.3))
    spider = QutoutiaoSpider.from_crawler(crawler)
    scheduler = RunScheduler.from_crawler(crawler)

    async def restart() -> None:
        scheduler.open(spider)
        busy = RunMembership(redis.Redis.from_url(valkey.url), CRAWL, worker_timeout=3)
        assert busy.join().run_id == scheduler.membership.run_id
        valkey.stop()
        await asyncio.sleep(3.5)  # both heartbeat entries are stale when Valkey is back
        valkey.start()
        for _ in range(100):
            if not scheduler.outage.active:
                break
            await asyncio.sleep(0.05)
        assert not scheduler.outage.active
        scheduler.heartbeat.stop()  # no engine here, so its beats say "busy": spider_idle beats from now on
        for _ in range(12):  # well past REDIS_IDLE_CLOSE, within REDIS_WORKER_TIMEOUT
            with pytest.raises(DontCloseSpider):
                scheduler.spider_idle(spider)
            await asyncio.sleep(0.1)
        assert busy.beat(busy=True).lost == "worker"  # it had been dropped, alive
        busy.beat(busy=False)
        await asyncio.sleep(2)  # past REDIS_WORKER_TIMEOUT since Valkey came back
        with pytest.raises(DontCloseSpider):  # both quiet now, not for REDIS_IDLE_CLOSE yet
            scheduler.spider_idle(spider)
        await asyncio.sleep(0.35)
        scheduler.spider_idle(spider)  # may close
        assert busy.leave() is False
        scheduler.close("finished")

    try:
        asyncio.run(restart())
    finally:
        valkey.stop()
    assert [r.message for r in caplog.records if "Run " in r.message and "ended" in r.message]


def test_a_bug_in_the_scheduler_is_counted_and_the_heartbeat_goes_on(
    server: redis.Redis, valkey_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply that is no outage (WRONGTYPE on the queue's key) or a planted bug in a beat: each is
    counted as a bug (exit status 3), logged with its traceback; the looping call never dies."""
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(REDIS_URL=valkey_url, REDIS_RUN_NAME=RUN_NAME,
                                                                 REDIS_WORKER_TIMEOUT=1))
    spider = QutoutiaoSpider.from_crawler(crawler)
    scheduler = RunScheduler.from_crawler(crawler)

    async def run() -> None:
        scheduler.open(spider)
        server.set(scheduler.queue_key, "not a queue")  # another program wrote over it
        assert scheduler.next_request() is None
        assert not scheduler.outage.active
        beats = []

        def planted(busy: bool) -> Beat:
            beats.append(busy)
            raise KeyError("planted")

        monkeypatch.setattr(scheduler.membership, "beat", planted)
        # The heartbeat runs every 0.2 s here; waited for, not timed: a loaded machine may lag.
        deadline = time.monotonic() + 30
        while len(beats) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(beats) >= 2 and scheduler.heartbeat.running
        server.delete(scheduler.queue_key)
        monkeypatch.undo()
        scheduler.close("finished")

    asyncio.run(run())
    stats = crawler.stats
    assert stats.get_value("spider_exceptions/ResponseError") == 1
    assert stats.get_value("spider_exceptions/KeyError") >= 2
    assert stats.get_value("spider_exceptions/count") == 1 + stats.get_value("spider_exceptions/KeyError")
    failed = [r for r in caplog.records if "failed with an unexpected error" in r.message]
    assert failed[0].message.startswith("Taking a request from Valkey/Redis") and "WRONGTYPE" in str(failed[0].exc_info[1])
    assert all(r.exc_info for r in failed) and failed[1].message.startswith("Heartbeat")
