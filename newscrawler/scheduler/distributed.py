"""Distributed mode: scrapy-redis's scheduler and dupefilter, one frontier per run.

``REDIS_URL`` switches it on (the ``DistributedAddon`` sets scrapy-redis's classes);
unset, Scrapy's own scheduler runs in one process and no Redis is needed. The queue and
dupefilter keys are named per spider and per run, and runs per crawl (``run_identity``,
``redis_run``), so each scheduled run fetches the listings again and crawls that differ
never share a frontier. A worker closes once the shared frontier has been empty, with no
other worker busy, for ``REDIS_IDLE_CLOSE`` seconds. It rides out a Valkey outage (see
``redis_outage``) for up to ``REDIS_OUTAGE_TIMEOUT`` seconds, and when Valkey comes back
without the run's keys it puts the run back and queues its start requests again. The queue
(``run_queue``) makes a pop or a push whose reply was lost safe to send again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from newscrawler.checks import duration, setting
from newscrawler.errors import ConfigError
from newscrawler.scheduler.redis_outage import Outage, describe, is_unavailable
from newscrawler.scheduler.redis_run import Beat, RunMembership
from newscrawler.scheduler.run_queue import RunQueue
from newscrawler.scheduler.run_identity import check_run_name, run_identity, spider_arguments
from newscrawler.signals import run_rejoined
from newscrawler.storage import store_target
from newscrawler.storage.mongouri import redact, scrub, split

logger = logging.getLogger(__name__)

# The finish reason of a worker that waited for Valkey past REDIS_OUTAGE_TIMEOUT.
GAVE_UP = "redis_unreachable"
SCHEDULER_ERROR = "scheduler_error"  # the finish reason after a bug in the scheduler's machinery


class DistributedAddon:
    """Switch scrapy-redis on when ``REDIS_URL`` is set (environment or ``-s``)."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", "newscrawler.scheduler.distributed.RunScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "newscrawler.scheduler.distributed.RunDupeFilter", "addon")
        # Several workers share the queue: the first to close must not delete it.
        settings.set("SCHEDULER_PERSIST", True, "addon")
        # A dead worker may leave gaps behind listing pages whose articles are all stored,
        # so every run walks each channel to `pages`. It overrides settings.py's default
        # (project priority), never an explicit -s.
        if settings.getpriority("INCREMENTAL_STOP_AT_KNOWN_PAGE") <= SETTINGS_PRIORITIES["project"]:
            settings.set("INCREMENTAL_STOP_AT_KNOWN_PAGE", False, "project")


class RunDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared dupefilter, on the crawler's request fingerprinter.

    scrapy-redis (0.9.1, and its main branch) hashes the raw URL itself; ours must see
    ``meta["canonical_url"]`` (``REQUEST_FINGERPRINTER_CLASS``), so one article listed with
    many keys is one request. The scheduler adds a fingerprint together with its request
    (``RunQueue.push_unseen``); ``request_seen`` stays scrapy-redis's.
    """

    def __init__(self, server: Any, key: str, debug: bool, fingerprinter: Any, stats: Any) -> None:
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter
        self.stats = stats

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def log(self, request: Request, spider: Spider) -> None:
        self.stats.inc_value("dupefilter/filtered")
        super().log(request, spider)


def redis_host(url: str) -> str:
    """``host:port`` of a Redis URL, for messages (never its user info: an unescaped ``#``, ``?``
    or ``/`` in a password moves urlsplit's cuts, so the user info is cut off at the last ``@`` first).

    >>> redis_host("redis://:pw@queue.internal/0"), redis_host("redis://h:port/0")
    ('queue.internal:6379', 'h:?')
    >>> redis_host("redis://alice:RPW#SECRET@127.0.0.1:1/0"), redis_host("redis://:RPW?SECRET@h/0")
    ('127.0.0.1:1', 'h:6379')
    """
    scheme, _, rest = split(url)
    parts = urlsplit(f"{scheme}://{rest}")
    try:
        port: int | str = parts.port or 6379
    except ValueError:
        port = "?"
    return f"{parts.hostname}:{port}"


class RunScheduler(Scheduler):
    """scrapy-redis's scheduler whose keys belong to the current run of this crawl, which knows
    when the run is done for this worker, and which waits out a Valkey outage."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunScheduler:
        settings = crawler.settings
        url = settings.get("REDIS_URL")
        where = redis_host(url)
        try:
            scheduler = super().from_crawler(crawler)
        except RedisError as exc:
            raise ConfigError(f"REDIS_URL: no Redis at {where} ({scrub(str(exc), url)})") from None
        except ValueError as exc:  # redis-py's (or urllib's) words for a bad scheme or port: they may quote
            # a piece of a password holding an unescaped "#", "?" or "/" (read as the port)
            raise ConfigError(f"REDIS_URL {redact(url)} is not usable: {scrub(str(exc), url)} (a password "
                              "holding # ? / @ or : must be percent-encoded)") from None
        scheduler.crawler = crawler
        scheduler.idle_close = settings.getfloat("REDIS_IDLE_CLOSE")
        scheduler.worker_timeout = settings.getfloat("REDIS_WORKER_TIMEOUT")
        if scheduler.worker_timeout <= 0:
            raise ConfigError(f"REDIS_WORKER_TIMEOUT={scheduler.worker_timeout}: must be a positive number of seconds")
        queue_cls = load_object(scheduler.queue_cls)
        if not (isinstance(queue_cls, type) and issubclass(queue_cls, RunQueue)):
            raise ConfigError(f"SCHEDULER_QUEUE_CLASS={scheduler.queue_cls!r}: must be {RunQueue.__module__}.RunQueue "
                              "or a subclass (its pop and push survive a lost reply)")
        outage_timeout = setting(settings, "REDIS_OUTAGE_TIMEOUT", duration)
        if outage_timeout <= 0:
            raise ConfigError(f"REDIS_OUTAGE_TIMEOUT={outage_timeout}: must be a positive number of seconds")
        scheduler.outage = Outage(where, outage_timeout, crawler.stats)
        scheduler.run_name = check_run_name(settings.get("REDIS_RUN_NAME") or "")
        scheduler.run_id = ""
        scheduler.quiet_since = None
        scheduler.settle_until = 0.0  # after an outage: until the others have had time to beat again
        scheduler.local = deque()  # requests taken from Redis for this worker's engine
        scheduler.handoff = None
        scheduler.heartbeat = None  # made in open(), under the crawl's event loop
        scheduler.probe = None  # a heartbeat sent from a thread while Valkey is away
        scheduler.requeueing = set()  # start requests being queued again (asyncio tasks)
        scheduler.closing = None  # the engine closing this worker after an outage
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        settings = self.crawler.settings
        identity = run_identity(spider.name, spider_arguments(spider), store_target(settings), self.run_name)
        logger.info("Run name %s: %s", identity.name, identity.description)
        self.spider = spider
        self.membership = RunMembership(self.server, f"{spider.name}:{identity.name}", self.worker_timeout)
        try:
            joined = self.membership.join()
            if joined.dead_run_id:
                # Every worker of that run died: its frontier and fingerprints go, the new run
                # fetches the listings again and the store's incremental skip does the rest.
                dropped = self.drop_run_keys(spider, joined.dead_run_id)
                self.stats.inc_value("redis/dead_runs_replaced")
                logger.warning(
                    "Run %s had no live worker left; replaced by run %s (%d queued request(s) dropped)",
                    joined.dead_run_id, joined.run_id, dropped,
                )
            self.use_run(joined.run_id)
            with warnings.catch_warnings():
                # scrapy-redis reports a queue it resumes through Spider.log(), which Scrapy 2.19
                # deprecates; the line below says how many requests are waiting.
                warnings.filterwarnings("ignore", "Spider.log", ScrapyDeprecationWarning)
                super().open(spider)  # the queue (SCHEDULER_QUEUE_CLASS) on our key; SCHEDULER_FLUSH_ON_START
            waiting = len(self.queue)
        except RedisError as exc:
            if not is_unavailable(exc):
                raise
            # it answered PING a moment ago
            raise ConfigError(f"REDIS_URL: no Redis at {self.outage.where} ({describe(exc)})") from exc
        logger.info("Worker %s in run %s (queue %s, %d request(s) waiting)",
                    self.membership.worker, joined.run_id, self.queue_key, waiting)
        self.heartbeat = create_looping_call(self.beat)
        self.heartbeat.start(min(1.0, self.worker_timeout / 5))

    def use_run(self, run_id: str) -> None:
        """Keys and fingerprints of run ``run_id``, from now on (its queue: ``open`` or ``switch_run``)."""
        names = {"spider": self.spider.name, "run": run_id}
        self.run_id = run_id
        self.queue_key = self.crawler.settings.get("SCHEDULER_QUEUE_KEY") % names
        self.dupefilter_key = self.crawler.settings.get("SCHEDULER_DUPEFILTER_KEY") % names
        self.df = RunDupeFilter(
            self.server, self.dupefilter_key, self.crawler.settings.getbool("DUPEFILTER_DEBUG"),
            self.crawler.request_fingerprinter, self.stats,
        )
        self.stats.set_value("redis/run_id", run_id)

    def switch_run(self, run_id: str) -> None:
        """Go on in run ``run_id``, which replaced ours (never flushed: its workers share it)."""
        self.use_run(run_id)
        self.queue = self.run_queue(self.spider, self.queue_key)

    def run_queue(self, spider: Spider, key: str) -> RunQueue:
        """The queue (``SCHEDULER_QUEUE_CLASS``) on one run's key."""
        return load_object(self.queue_cls)(server=self.server, spider=spider, key=key, serializer=self.serializer)

    def close(self, reason: str) -> None:
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        for task in self.requeueing:
            task.cancel()
        if self.outage.held:
            self.stats.set_value("redis/unqueued_requests", len(self.outage.held))
        if self.outage.active:
            # Valkey is away: this worker's entry expires after REDIS_WORKER_TIMEOUT, and the
            # next run fetches what it could not queue (give_up said so already).
            if reason != GAVE_UP:
                logger.warning("Closing while Valkey/Redis at %s is unreachable: %d request(s) never queued",
                               self.outage.where, len(self.outage.held))
        else:
            try:
                if self.membership.leave():
                    # Last worker out: the run is over, its keys go (a dead worker's
                    # unfinished requests are picked up by the next run's listings).
                    dropped = self.drop_run_keys(self.spider, self.run_id)
                    logger.info("Run %s ended (%d request(s) left in its queue)", self.run_id, dropped)
            except RedisError as exc:
                if not is_unavailable(exc):
                    raise
                logger.warning("Could not leave run %s: Valkey/Redis at %s is unreachable (%s)",
                               self.run_id, self.outage.where, describe(exc))
        super().close(reason)

    def drop_run_keys(self, spider: Spider, run_id: str) -> int:
        """Delete a finished or dead run's queue (with its pop receipts) and fingerprints; returns the requests left."""
        names = {"spider": spider.name, "run": run_id}
        settings = self.crawler.settings
        queue = self.run_queue(spider, settings.get("SCHEDULER_QUEUE_KEY") % names)
        left = len(queue)
        queue.clear()
        self.server.delete(settings.get("SCHEDULER_DUPEFILTER_KEY") % names)
        return left

    # Ours for four reasons: the handoff below, holding requests while Valkey is away, the
    # fingerprint and the request going in together (``RunQueue.push_unseen``), and
    # scrapy-redis 0.9.1 passing ``spider=`` to the stats, which Scrapy 2.19 deprecates
    # (fixed upstream after 0.9.1, not released).
    def enqueue_request(self, request: Request) -> bool:
        if request is self.handoff:  # taken from Redis already (see beat)
            self.handoff = None
            self.local.append(request)
            return True
        return self.queue_request(request)

    def queue_request(self, request: Request) -> bool:
        """Into the run's queue, unless the run's dupefilter holds its fingerprint."""
        if self.outage.active:
            self.outage.hold(request)
            return True
        try:
            if request.dont_filter:
                self.queue.push(request)
            elif not self.queue.push_unseen(request, self.df.key, self.df.request_fingerprint(request)):
                # A duplicate; or, rarely, this very push sent again by redis-py after its reply was
                # lost: the request is queued then, and only this count is one too many.
                self.df.log(request, self.spider)
                return False
        except RedisError as exc:
            if not is_unavailable(exc):
                raise
            # Applied or not, it can be sent again after the outage: the fingerprint and the
            # request went in together or not at all.
            self.outage.begin(exc)
            self.outage.hold(request)
            return True
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.local:
            request = self.local.popleft()
        elif self.outage.active:
            return None
        else:
            try:
                request = self.queue.pop()
            except RedisError as exc:  # raised here, it would stop the engine's loop for good
                if not is_unavailable(exc):
                    self.bug(exc, "Taking a request from Valkey/Redis")
                    return None
                self.outage.begin(exc)
                return None
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.local or self.outage.held or self.queue.pending:
            return True
        if self.outage.active:
            return False
        try:
            return super().has_pending_requests()
        except RedisError as exc:
            if not is_unavailable(exc):
                self.bug(exc, "Asking Valkey/Redis for pending requests")
                return False
            self.outage.begin(exc)
            return False

    def beat(self) -> None:
        """Every second or so: say this worker is alive, hand the engine work, or probe an absent Valkey.

        Never raises: the looping call would stop, and REDIS_OUTAGE_TIMEOUT with it.
        """
        try:
            self.beat_once()
        except Exception as exc:  # noqa: BLE001 - a bug: counted, logged with its traceback, and the beat goes on
            self.bug(exc, "Heartbeat")

    def beat_once(self) -> None:
        if self.probe is not None:  # the last probe is still waiting for Valkey
            return
        try:
            engine = self.crawler.engine
            busy = not engine.spider_is_idle()
            has_room = not engine.needs_backout()
        except (RuntimeError, AttributeError):  # the engine or its slots are not up yet, or gone
            busy, has_room = True, False
        if self.outage.active:
            # From a thread: connecting to a host that does not answer must not stall the crawl.
            self.probe = asyncio.get_running_loop().create_task(asyncio.to_thread(self.membership.beat, busy))
            self.probe.add_done_callback(self.probed)
            return
        try:
            self.note_quiet(busy)
            if has_room and not self.local and self.handoff is None:
                # An engine with room looks at the scheduler only when a download ends or
                # every 5 s; a worker that ran dry would miss what others add meanwhile.
                # Handing it one request through engine.crawl() wakes it at once, as
                # scrapy-redis's RedisSpider feeds an idle engine what it takes from Redis
                # (a public method, though Scrapy's API reference lists only needs_backout).
                request = self.queue.pop()
                if request is not None:
                    self.handoff = request
                    engine.crawl(request)  # back here through enqueue_request, into self.local
                    if self.handoff is request:  # a request_scheduled handler dropped it, as it would a new one
                        self.handoff = None
        except RedisError as exc:
            if not is_unavailable(exc):
                raise
            self.outage.begin(exc)

    def probed(self, probe: asyncio.Task[Beat]) -> None:
        """A heartbeat sent during an outage came back: Valkey is back, or still away."""
        self.probe = None
        try:
            self.probed_once(probe)
        except Exception as exc:  # noqa: BLE001 - a done callback's error would only reach asyncio's log
            self.bug(exc, "Heartbeat")

    def probed_once(self, probe: asyncio.Task[Beat]) -> None:
        if probe.cancelled():
            return
        error = probe.exception()
        if error is None:
            self.quiet_since = None  # the others' beats were not seen meanwhile: start over
            # Their heartbeat entries may have expired meanwhile (pruned by the first beat after the
            # restart): until each live one had time to beat again, nobody is quiet, nor alone.
            self.settle_until = time.monotonic() + self.worker_timeout
            held = self.outage.end()
            self.follow(probe.result())
            for request in held:
                self.queue_request(request)
        elif isinstance(error, RedisError) and is_unavailable(error):
            self.outage.begin(error)
            if self.outage.expired():
                self.give_up()
        else:
            self.bug(error, "Heartbeat")

    def bug(self, error: BaseException, what: str) -> None:
        """An unexpected error where raising would stop the crawl's machinery: counted as Scrapy
        counts a callback's (exit status 3), logged with its traceback; this worker closes."""
        self.stats.inc_value("spider_exceptions/count")
        self.stats.inc_value(f"spider_exceptions/{type(error).__name__}")
        logger.error("%s failed with an unexpected error: closing this worker", what, exc_info=error)
        if self.closing is not None:
            return
        try:
            engine = self.crawler.engine
        except RuntimeError:  # not crawling yet (or any more): nothing to close
            return
        self.closing = asyncio.get_running_loop().create_task(engine.close_spider_async(reason=SCHEDULER_ERROR))

    def give_up(self) -> None:
        """Valkey stayed away past REDIS_OUTAGE_TIMEOUT: close this worker, unhealthy."""
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        logger.error("Valkey/Redis at %s unreachable for %.0f s, past REDIS_OUTAGE_TIMEOUT (%s): closing this "
                     "worker; the %d request(s) it could not queue are left to the next run",
                     self.outage.where, self.outage.elapsed(), self.outage.cause, len(self.outage.held))
        self.closing = asyncio.get_running_loop().create_task(self.crawler.engine.close_spider_async(reason=GAVE_UP))

    def note_quiet(self, busy: bool) -> None:
        """Beat, and note since when this worker is idle and no other one is busy."""
        beat = self.membership.beat(busy)
        if busy or beat.others_busy or time.monotonic() < self.settle_until:
            self.quiet_since = None
        elif self.quiet_since is None:
            self.quiet_since = time.monotonic()
        self.follow(beat)

    def follow(self, beat: Beat) -> None:
        """Stay in the crawl's current run; queue the start requests again if this worker lost its place."""
        if beat.run_id != self.run_id:
            logger.warning("Run %s was replaced by run %s while this worker was away; joining it",
                           self.run_id, beat.run_id)
            self.switch_run(beat.run_id)
        elif beat.lost == "run":
            logger.warning("Run %s was gone from Valkey/Redis at %s (restarted without its data?): put back; "
                           "queueing the start requests again", self.run_id, self.outage.where)
        elif beat.lost == "worker":
            logger.warning("Run %s no longer listed this worker (Valkey/Redis restarted without its data, or no "
                           "heartbeat for REDIS_WORKER_TIMEOUT): rejoined; queueing the start requests again",
                           self.run_id)
        else:
            return
        self.stats.inc_value("redis/runs_rejoined")
        self.quiet_since = None
        task = asyncio.get_running_loop().create_task(self.queue_start_again())
        self.requeueing.add(task)
        task.add_done_callback(self.requeued)

    async def queue_start_again(self) -> None:
        """The spider's start requests, through the run's dupefilter: listings the run's fingerprints
        still hold are dropped there, the others are fetched again (stored articles are skipped)."""
        await self.crawler.signals.send_catch_log_async(run_rejoined)
        queued = 0
        async for output in self.spider.start():
            if isinstance(output, Request) and self.enqueue_request(output):
                queued += 1
        logger.info("Run %s: %d start request(s) queued again", self.run_id, queued)

    def requeued(self, task: asyncio.Task[None]) -> None:
        self.requeueing.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:  # the spider's start() failed: counted as Scrapy counts it at start
            self.stats.inc_value("spider_exceptions/count")
            self.stats.inc_value(f"spider_exceptions/{type(error).__name__}")
            logger.error("Queueing the start requests again failed", exc_info=error)

    def spider_idle(self, spider: Spider) -> None:
        """Close only once the shared frontier stayed empty, with no other worker busy
        (it may still add requests), for ``REDIS_IDLE_CLOSE`` seconds; never while Valkey
        is away or the start requests are being queued again."""
        if not self.outage.active:
            try:
                self.note_quiet(busy=bool(len(self.queue)))
            except RedisError as exc:
                if not is_unavailable(exc):
                    raise
                self.outage.begin(exc)
        if self.outage.active or self.outage.held or self.requeueing:
            raise DontCloseSpider
        quiet = 0.0 if self.quiet_since is None else time.monotonic() - self.quiet_since
        if self.quiet_since is None or quiet < self.idle_close:
            raise DontCloseSpider
        logger.info("Frontier empty and no other worker busy for %.1f s: closing", quiet)
