"""Spidermon monitors run when the crawl closes; their verdict decides the exit status.

Spidermon logs the report (``[Spidermon]`` lines; ``newscrawler.extensions.monitor_report`` keeps it
tidy); the suite's actions tell each failed monitor in one ERROR line and put the outcome in the
stats: ``monitors/passed``, ``monitors/failed``, ``monitors/warnings`` and ``monitors/result``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from spidermon import Action, MonitorSuite, actions, monitors
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor, ItemValidationMonitor
from spidermon.contrib.scrapy.monitors.base import BaseScrapyMonitor
from spidermon.settings import MONITOR

from newscrawler.checks import positive_int, ratio, setting
from newscrawler.extensions.itemerrors import BUG_STATS
from newscrawler.items import article_schema

logger = logging.getLogger(__name__)

RATIO_SETTINGS = ("MONITOR_MAX_DETAIL_ERROR_RATIO", "MONITOR_MAX_DROPPED_RATIO")
# Scrapy's UrlLengthMiddleware counts each request it skips here (and logs it at INFO).
URL_TOO_LONG = "urllength/request_ignored_count"
FAILURE = MONITOR.STATUS.FAILURE  # an assertion failed (ERROR: the monitor itself raised)

# What every stored article must carry (checked by pipelines.schema.SchemaCheckPipeline): the
# article contract's JSON Schema, derived from ``items.Article`` like every other view of it.
ARTICLE_SCHEMA: dict[str, Any] = article_schema()


def prefixed_total(stats: Mapping[str, Any], prefix: str) -> int:
    """Sum of the counters under ``prefix``.

    >>> prefixed_total({"a/error/http_404": 2, "a/error/Timeout": 1, "a/parsed": 9}, "a/error/")
    3
    """
    return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))


def source_prefix(spider: Any) -> str:
    """The stats prefix of the crawl's source: the spider's ``source`` (its profile's name), else its name."""
    return str(getattr(spider, "source", None) or spider.name)


def share(part: int, whole: int, floor: int = 1) -> float:
    """``part / whole``, with ``whole`` taken as at least ``floor``.

    An incremental run that tries again its two broken articles and nothing else
    is not "50% failed": small runs are measured against ``floor``.

    >>> share(1, 4), share(0, 0), share(1, 2, floor=20), share(30, 40, floor=20)
    (0.25, 0.0, 0.05, 0.75)
    """
    return part / max(whole, floor, 1)


@monitors.name("Crawl health")
class CrawlHealthMonitor(BaseScrapyMonitor):
    """What the crawl did, against the thresholds in settings."""

    @monitors.name("At least one listing page was parsed")
    def test_listing_pages_parsed(self) -> None:
        if self.crawler.settings.get("REDIS_URL"):
            # Workers of one run share its listing pages: one may be handed none.
            self.skipTest("distributed mode (REDIS_URL): listing pages are shared by the run's workers")
        key = f"{source_prefix(self.spider)}/listing/pages"
        self.assertGreaterEqual(self.stats.get(key, 0), 1, msg=f"no listing page was parsed ({key} is 0)")

    @monitors.name("Detail error ratio is below MONITOR_MAX_DETAIL_ERROR_RATIO")
    def test_detail_error_ratio(self) -> None:
        source = source_prefix(self.spider)
        # A URL over URLLENGTH_LIMIT, skipped by Scrapy's UrlLengthMiddleware, is a page lost too
        # (nearly always an article's: listing URLs are the profile's).
        errors = prefixed_total(self.stats, f"{source}/detail/error/") + self.stats.get(URL_TOO_LONG, 0)
        requested = errors + self.stats.get(f"{source}/detail/parsed", 0)
        self.assert_ratio_within(errors, requested, "MONITOR_MAX_DETAIL_ERROR_RATIO", "detail pages failed")

    @monitors.name("Dropped-item ratio is below MONITOR_MAX_DROPPED_RATIO")
    def test_dropped_ratio(self) -> None:
        dropped = self.stats.get("item_dropped_count", 0)
        built = dropped + self.stats.get("item_scraped_count", 0)
        self.assert_ratio_within(dropped, built, "MONITOR_MAX_DROPPED_RATIO", "articles dropped")

    def assert_ratio_within(self, part: int, whole: int, name: str, what: str) -> None:
        settings = self.crawler.settings
        failed = share(part, whole, setting(settings, "MONITOR_RATIO_MIN_BASE", positive_int))
        limit = setting(settings, name, ratio)
        self.assertLessEqual(failed, limit, msg=f"{part} {what}: {failed:.1%} > {limit:.1%}")

    @monitors.name("No article was lost (store/lost)")
    def test_nothing_lost(self) -> None:
        lost = self.stats.get("store/lost", 0)
        self.assertEqual(lost, 0, msg=f"{lost} articles could be neither stored nor spooled (store/lost)")

    @monitors.name("No unexpected error (spider_exceptions, pipeline_exceptions)")
    def test_no_bug(self) -> None:
        bugs = sum(self.stats.get(f"{prefix}count", 0) for prefix in BUG_STATS)
        self.assertEqual(bugs, 0, msg=f"{bugs} unexpected error(s) in callbacks or item pipelines: bugs, "
                                      "each logged with its traceback")

    @monitors.name("Dead letters are a warning")
    def test_dead_letters(self) -> None:
        spooled = self.stats.get("store/deadlettered", 0)
        if spooled:
            self.crawler.stats.inc_value("monitors/warnings")
            logger.warning("%d articles were spooled to %s; run `scrapy replay` once the store is back",
                           spooled, self.crawler.settings.get("DEADLETTER_DIR"))


@monitors.name("Stored articles")
class StoredFieldsMonitor(ItemValidationMonitor):
    """Spidermon's validation monitor, named for what ARTICLE_SCHEMA checks."""

    @monitors.name("Every one holds the article contract (ARTICLE_SCHEMA)")
    def test_stat_monitor(self) -> None:
        super().test_stat_monitor()


@actions.name("Verdict in the stats (monitors/result)")
class RecordVerdict(Action):
    """``monitors/passed``, ``monitors/failed`` and ``monitors/result``: the crawl command's exit status reads them."""

    def run_action(self) -> None:
        stats = self.data.crawler.stats
        failed = len(self.result.monitors_failed_results)
        stats.set_value("monitors/passed", len(self.result.monitors_passed_results))
        stats.set_value("monitors/failed", failed)
        stats.set_value("monitors/result", "failed" if failed else "passed")


@actions.name("One ERROR line per failed monitor")
class LogFailedMonitors(Action):
    """A failed monitor is a verdict on the crawl, told in one line with its reason.

    Spidermon quotes the failed assertion as a unittest traceback, which reads like a crash;
    ``monitor_report`` turns that down to DEBUG. A monitor that raised (a bug in it) keeps its
    traceback at ERROR, from spidermon.
    """

    def run_action(self) -> None:
        for outcome in self.result.monitors_failed_results:
            if outcome.status == FAILURE:
                reason = " ".join(str(outcome.reason).split())  # an assertion's message may hold newlines
                logger.error("[Spidermon] %s: %s: %s", outcome.status, outcome.item.name, reason)


class CloseMonitorSuite(MonitorSuite):
    """SPIDERMON_SPIDER_CLOSE_MONITORS: finish reason, crawl health, stored fields."""

    monitors = [FinishReasonMonitor, CrawlHealthMonitor, StoredFieldsMonitor]
    monitors_finished_actions = [RecordVerdict]
    monitors_failed_actions = [LogFailedMonitors]

    def __init__(self, *args: Any, crawler: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, crawler=crawler, **kwargs)
        if crawler is not None:  # built at start: a bad threshold stops the crawl there
            for name in RATIO_SETTINGS:
                setting(crawler.settings, name, ratio)
            setting(crawler.settings, "MONITOR_RATIO_MIN_BASE", positive_int)

