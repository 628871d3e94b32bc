"""Spidermon's extension, with no verdict on a crawl that never started and a tidy report.

The monitors and their actions (what a healthy crawl is, one ERROR line per failed monitor, the
verdict in the stats) are in ``newscrawler.extensions.monitors``.
"""

from __future__ import annotations

import logging
import warnings

from scrapy import Spider
from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon.contrib.scrapy.extensions import Spidermon

logger = logging.getLogger(__name__)


class QuotedAssertions(logging.Filter):
    """Spidermon's quote of a failed monitor's assertion (a unittest traceback), down to DEBUG.

    The suite's ``LogFailedMonitors`` action tells the failure in one ERROR line with its reason;
    a traceback at ERROR reads like a crash, and in this project's logs "Traceback" means a bug.
    A monitor that raised (spidermon's ``ERROR:`` block) keeps its traceback at ERROR. Should
    spidermon word its report otherwise, its blocks simply stay at ERROR.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            message = record.getMessage()
            if message.startswith("[Spidermon]") and "\nFAIL: " in message:
                record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


class CloseMonitors(Spidermon):
    """Spidermon's extension; its close monitors run only on a crawl that started.

    A crawl whose start failed (a bad setting, an unreachable Valkey) is closed without ever
    opening, and the crawl command already says so in one line (exit status 2): a verdict would
    add noise, and spidermon's own ``spider_closed`` expects ``spider_opened`` to have run.
    """

    def spider_closed(self, spider: Spider) -> None:
        if "start_time" not in self.crawler.stats.get_stats():  # set by CoreStats when the spider opens
            logger.info("[Spidermon] close monitors not run: the crawl did not start")
            return
        report = spider.logger.logger  # spidermon writes its report through the spider's logger
        tidy = QuotedAssertions()
        report.addFilter(tidy)
        try:
            with warnings.catch_warnings():
                # Its report goes through Spider.log(), deprecated since Scrapy 2.13: nothing to act on here.
                warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module=r"spidermon\.")
                super().spider_closed(spider)
        finally:
            report.removeFilter(tidy)
