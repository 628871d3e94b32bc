"""``scrapy crawl`` with an exit status that cron and Scrapyd can trust.

0  the crawl finished and every close monitor passed (dead letters are only a warning);
1  the crawl ran but is unhealthy: a monitor failed (or, monitors off, it did not finish), the
   store's file was deleted or replaced mid-crawl (``store/file_gone``: its articles are spooled),
   or a feed export (``-O``/``FEEDS``) was not written (``feedexport/write_failed``, Scrapy's
   ``feedexport/failed_count/*``);
2  the crawl could not start: a bad spider argument or setting (one line names it);
3  articles were lost: neither stored nor spooled (``store/lost`` > 0), or an unexpected
   error (a bug: ``spider_exceptions/*``, ``pipeline_exceptions/*``) cost a page or an article.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Mapping
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from newscrawler.errors import ConfigError
from newscrawler.exporters.feedstorage import WRITE_FAILED
from newscrawler.extensions.itemerrors import BUG_STATS
from newscrawler.signals import forced_shutdown
from newscrawler.storage import StoreError

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_UNHEALTHY, EXIT_NOT_STARTED, EXIT_LOST = 0, 1, 2, 3


def exit_status(stats: Mapping[str, Any], started: bool) -> tuple[int, str]:
    """The exit status of a crawl and why, from its stats.

    >>> exit_status({"finish_reason": "finished", "monitors/failed": 0}, started=True)
    (0, 'healthy')
    >>> exit_status({"finish_reason": "finished", "store/lost": 4, "monitors/failed": 1}, started=True)[0]
    3
    >>> exit_status({"finish_reason": "finished", "spider_exceptions/count": 1,
    ...              "spider_exceptions/KeyError": 1}, started=True)
    (3, '1 unexpected error (a bug; its traceback is above): spider_exceptions/KeyError')
    """
    if not started:
        return EXIT_NOT_STARTED, "the crawl could not start"
    lost = stats.get("store/lost", 0)
    bugs = sum(stats.get(f"{prefix}count", 0) for prefix in BUG_STATS)
    if lost or bugs:
        reasons = [f"{lost} articles lost (store/lost)"] if lost else []
        if bugs:
            classes = sorted(k for k in stats if k.startswith(BUG_STATS) and not k.endswith("/count"))
            reasons.append(f"{bugs} unexpected error{'s' if bugs > 1 else ''} (a bug; "
                           f"{'its traceback is' if bugs == 1 else 'their tracebacks are'} above): {', '.join(classes)}")
        return EXIT_LOST, "; ".join(reasons)
    if stats.get("store/file_gone"):
        return EXIT_UNHEALTHY, ("the store's file was deleted or replaced mid-crawl (store/file_gone); the articles "
                                "not stored are in the dead-letter file: run `scrapy replay`")
    if stats.get(WRITE_FAILED) or any(k.startswith("feedexport/failed_count/") for k in stats):
        return EXIT_UNHEALTHY, ("a feed export failed (feedexport/write_failed or feedexport/failed_count, see the "
                                "ERROR above); a file -O names keeps what it held before the crawl")
    failed = stats.get("monitors/failed", 0)
    if failed:
        return EXIT_UNHEALTHY, f"{failed} close monitor(s) failed; see the [Spidermon] report above"
    if stats.get("finish_reason") != "finished":
        return EXIT_UNHEALTHY, f"finish reason {stats.get('finish_reason')!r}"
    return EXIT_OK, "healthy"


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; the exit status says whether the crawl started, lost articles or failed a monitor"

    def long_desc(self) -> str:
        return ("Run a spider of the project. Exit status: 0 healthy (dead letters only warn); 1 a close monitor "
                "failed, the store's file vanished or a feed export failed; 2 the crawl could not start (bad argument or setting); "
                "3 articles lost (store/lost) or an unexpected error (a bug, its traceback logged).")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name (scrapy list shows them)")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(args[0])
        startup_errors: list[BaseException] = []
        watch_startup(self.crawler_process.crawl(crawler, **opts.spargs), startup_errors)
        self.crawler_process.start()
        # Scrapy's own verdict: the crawl raised (a bad argument or setting, a store that cannot
        # open), or it has no spider.
        started = not self.crawler_process.bootstrap_failed
        if started and crawler.stats.get_value("finish_reason") is None:
            # A forced shutdown: the spider never closed, so components write down what they hold.
            crawler.signals.send_catch_log(signal=forced_shutdown)
        if startup_errors:
            self.report_startup_error(config_error_behind(startup_errors[0]))
        stats = crawler.stats.get_stats() if started else {}
        self.exitcode, reason = exit_status(stats, started)
        if started:
            logger.log(logging.INFO if self.exitcode == EXIT_OK else logging.ERROR,
                       "Exit status %d: %s", self.exitcode, reason)

    def report_startup_error(self, error: BaseException) -> None:
        """A bad argument, setting or store is one line naming it; anything else is a bug: traceback."""
        assert self.settings is not None
        if isinstance(error, (ConfigError, StoreError)):
            logger.critical("Crawl not started: %s", error)
            if self.settings.get("LOG_FILE") or not self.settings.getbool("LOG_ENABLED"):
                print(f"Crawl not started: {error}", file=sys.stderr)  # the log went elsewhere
        else:
            logger.critical("Crawl not started", exc_info=(type(error), error, error.__traceback__))


def config_error_behind(error: BaseException) -> BaseException:
    """The ConfigError that ``error`` was raised while handling, if any, else ``error``.

    When the engine cannot open (a scheduler that cannot reach REDIS_URL), Scrapy closes it and
    that raises "Engine slot not assigned" over the real cause.
    """
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ConfigError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return error


def watch_startup(outcome: Any, errors: list[BaseException]) -> None:
    """Collect what the crawl raised (so asyncio/Twisted do not print it again)."""
    if isinstance(outcome, Deferred):
        def errback(failure: Failure) -> None:
            errors.append(failure.value)

        outcome.addErrback(errback)
        return

    def done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            errors.append(task.exception())

    outcome.add_done_callback(done)
