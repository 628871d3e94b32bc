"""Distributed mode: scrapy-redis's scheduler and dupefilter, one frontier per run.

``REDIS_URL`` switches it on (the ``DistributedAddon`` sets scrapy-redis's classes);
unset, Scrapy's own scheduler runs in one process and no Redis is needed. The queue and
dupefilter keys are named per spider and per run, and runs per crawl (``run_identity``,
``redis_run``), so each scheduled run fetches the listings again and crawls that differ
never share a frontier. A worker closes once the shared frontier has been empty, with no
other worker busy, for ``REDIS_IDLE_CLOSE`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from newscrawler.errors import ConfigError
from newscrawler.redis_run import RunMembership
from newscrawler.run_identity import check_run_name, run_identity, spider_arguments
from newscrawler.storage import store_target

logger = logging.getLogger(__name__)


class DistributedAddon:
    """Switch scrapy-redis on when ``REDIS_URL`` is set (environment or ``-s``)."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", "newscrawler.distributed.RunScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "newscrawler.distributed.RunDupeFilter", "addon")
        # Several workers share the queue: the first to close must not delete it.
        settings.set("SCHEDULER_PERSIST", True, "addon")
        # A dead worker may leave gaps behind listing pages whose articles are all stored,
        # so every run walks each channel to `pages`. It overrides settings.py's default
        # (project priority), never an explicit -s.
        if settings.getpriority("QUTOUTIAO_STOP_AT_KNOWN_PAGE") <= SETTINGS_PRIORITIES["project"]:
            settings.set("QUTOUTIAO_STOP_AT_KNOWN_PAGE", False, "project")


class RunDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared dupefilter, on the crawler's request fingerprinter.

    scrapy-redis (0.9.1, and its main branch) hashes the raw URL itself; ours must see
    ``meta["canonical_url"]`` (``REQUEST_FINGERPRINTER_CLASS``), so one article listed with
    many keys is one request.
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
    """``host:port`` of a Redis URL, for messages (never its password).

    >>> redis_host("redis://:pw@queue.internal/0"), redis_host("redis://h:port/0")
    ('queue.internal:6379', 'h:?')
    """
    parts = urlsplit(url)
    try:
        port: int | str = parts.port or 6379
    except ValueError:
        port = "?"
    return f"{parts.hostname}:{port}"


class RunScheduler(Scheduler):
    """scrapy-redis's scheduler whose keys belong to the current run of this crawl, and which
    knows when the run is done for this worker."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunScheduler:
        try:
            scheduler = super().from_crawler(crawler)
        except RedisError as exc:
            raise ConfigError(f"REDIS_URL: no Redis at {redis_host(crawler.settings.get('REDIS_URL'))} ({exc})") from exc
        except ValueError as exc:  # redis-py's words for a bad scheme or port; they never quote the password
            raise ConfigError(f"REDIS_URL is not usable: {exc}") from exc
        scheduler.crawler = crawler
        settings = crawler.settings
        scheduler.idle_close = settings.getfloat("REDIS_IDLE_CLOSE")
        scheduler.worker_timeout = settings.getfloat("REDIS_WORKER_TIMEOUT")
        if scheduler.worker_timeout <= 0:
            raise ConfigError(f"REDIS_WORKER_TIMEOUT={scheduler.worker_timeout}: must be a positive number of seconds")
        scheduler.run_name = check_run_name(settings.get("REDIS_RUN_NAME") or "")
        scheduler.quiet_since = None
        scheduler.local = deque()  # requests taken from Redis for this worker's engine
        scheduler.handoff = None
        scheduler.heartbeat = None  # made in open(), under the crawl's event loop
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        identity = run_identity(spider.name, spider_arguments(spider), store_target(self.crawler.settings),
                                self.run_name)
        logger.info("Run name %s: %s", identity.name, identity.description)
        self.membership = RunMembership(self.server, f"{spider.name}:{identity.name}", self.worker_timeout)
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
        names = {"spider": spider.name, "run": joined.run_id}
        self.queue_key = self.crawler.settings.get("SCHEDULER_QUEUE_KEY") % names
        self.dupefilter_key = self.crawler.settings.get("SCHEDULER_DUPEFILTER_KEY") % names
        self.df = RunDupeFilter(
            self.server, self.dupefilter_key, self.crawler.settings.getbool("DUPEFILTER_DEBUG"),
            self.crawler.request_fingerprinter, self.stats,
        )
        # Not super().open(): it reports a resumed queue through the deprecated Spider.log().
        self.spider = spider
        self.queue = self.run_queue(spider, self.queue_key)
        if self.flush_on_start:
            self.flush()
        self.stats.set_value("redis/run_id", joined.run_id)
        logger.info("Worker %s in run %s (queue %s, %d request(s) waiting)",
                    self.membership.worker, joined.run_id, self.queue_key, len(self.queue))
        self.heartbeat = create_looping_call(self.beat)
        self.heartbeat.start(min(1.0, self.worker_timeout / 5))

    def run_queue(self, spider: Spider, key: str) -> Any:
        """scrapy-redis's queue (``SCHEDULER_QUEUE_CLASS``) on one run's key."""
        return load_object(self.queue_cls)(server=self.server, spider=spider, key=key, serializer=self.serializer)

    def close(self, reason: str) -> None:
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if self.membership.leave():
            # Last worker out: the run is over, its keys go (a dead worker's
            # unfinished requests are picked up by the next run's listings).
            dropped = self.drop_run_keys(self.spider, self.membership.run_id)
            logger.info("Run %s ended (%d request(s) left in its queue)", self.membership.run_id, dropped)
        super().close(reason)

    def drop_run_keys(self, spider: Spider, run_id: str) -> int:
        """Delete a finished or dead run's queue and fingerprints; returns the requests left."""
        names = {"spider": spider.name, "run": run_id}
        settings = self.crawler.settings
        queue = self.run_queue(spider, settings.get("SCHEDULER_QUEUE_KEY") % names)
        left = len(queue)
        queue.clear()
        self.server.delete(settings.get("SCHEDULER_DUPEFILTER_KEY") % names)
        return left

    # Ours for two reasons: the handoff below, and scrapy-redis 0.9.1 passing ``spider=``
    # to the stats, which Scrapy 2.19 deprecates (fixed upstream after 0.9.1, not released).
    def enqueue_request(self, request: Request) -> bool:
        if request is self.handoff:  # taken from Redis already (see beat)
            self.handoff = None
            self.local.append(request)
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request = self.local.popleft() if self.local else self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return bool(self.local) or super().has_pending_requests()

    def beat(self) -> None:
        engine = self.crawler.engine
        try:
            busy = not engine.spider_is_idle()
            has_room = not engine.needs_backout()
        except (RuntimeError, AttributeError):  # the engine's slots are not up yet, or gone
            busy, has_room = True, False
        self.note_quiet(busy)
        if has_room and not self.local and self.handoff is None:
            # An engine with room looks at the scheduler only when a download ends or
            # every 5 s; a worker that ran dry would miss what others add meanwhile.
            # Handing it one request through engine.crawl() wakes it at once.
            self.handoff = self.queue.pop()
            if self.handoff is not None:
                engine.crawl(self.handoff)

    def note_quiet(self, busy: bool) -> None:
        """Beat, and note since when this worker is idle and no other one is busy."""
        others_busy = self.membership.beat(busy)
        if busy or others_busy:
            self.quiet_since = None
        elif self.quiet_since is None:
            self.quiet_since = time.monotonic()

    def spider_idle(self, spider: Spider) -> None:
        """Close only once the shared frontier stayed empty, with no other worker busy
        (it may still add requests), for ``REDIS_IDLE_CLOSE`` seconds."""
        self.note_quiet(busy=bool(len(self.queue)))
        quiet = 0.0 if self.quiet_since is None else time.monotonic() - self.quiet_since
        if self.quiet_since is None or quiet < self.idle_close:
            raise DontCloseSpider
        logger.info("Frontier empty and no other worker busy for %.1f s: closing", quiet)
