"""Spidermon's extension, reporting tidily: a failed monitor is one ERROR line with its reason.

The monitors themselves (what a healthy crawl is) are in ``newscrawler.extensions.monitors``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner
from spidermon.settings import MONITOR

logger = logging.getLogger(__name__)


class TidyMonitorResult(SpiderMonitorResult):
    """Spidermon's log report, with a failed monitor told in one ERROR line: its name and reason.

    Spidermon quotes the failed assertion as a unittest traceback into newscrawler/extensions/monitors.py,
    which reads like a crash; a failure is a verdict on the crawl. A monitor that raised
    (status ERROR: a bug in the monitor) keeps its traceback.
    """

    def write_errors(self) -> None:
        for status in self.step.error_statuses:
            for item in self.step.items_for_status(status):
                if status == MONITOR.STATUS.FAILURE:
                    self.log_error(f"{item.status}: {item.item.name}: {item.reason}")
                else:
                    self.log_error(f"{item.status}: {item.item.name}\n{item.error}")

    def log(self, msg: str, level: int = logging.DEBUG) -> None:
        # Through this module's logger: spidermon's Spider.log() is deprecated since Scrapy 2.13.
        logger.log(level, "[Spidermon] %s", msg)


class TidyMonitorRunner(SpiderMonitorRunner):
    def create_result(self) -> TidyMonitorResult:
        return TidyMonitorResult(self.spider)


class CloseMonitors(Spidermon):
    """Spidermon's extension with the tidy report, and no verdict on a crawl that never started.

    spidermon 1.27 has no setting for its report's format: the runner is chosen in ``_run_suites``.
    A crawl whose start failed (a ConfigError) is closed without ever opening, and the crawl
    command already says so in one line (exit status 2): failing its monitors would add noise.
    """

    def spider_closed(self, spider: Spider) -> None:
        if "start_time" not in self.crawler.stats.get_stats():  # set by CoreStats when the spider opens
            logger.info("[Spidermon] close monitors not run: the crawl did not start")
            return
        super().spider_closed(spider)

    def _run_suites(self, spider: Spider, suites: list[Any]) -> None:
        data = self._generate_data_for_spider(spider)
        for suite in suites:
            TidyMonitorRunner(spider=spider).run(suite, **data)
