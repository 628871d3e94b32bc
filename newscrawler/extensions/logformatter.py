"""Log lines that name an article by its URL instead of dumping its whole body."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class ArticleLogFormatter(LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        # The reason already names the field and the URL; the body is noise.
        entry = super().dropped(item, exception, response, spider)
        entry["msg"] = "Dropped: %(exception)s"
        entry["args"] = {"exception": exception}
        return entry

    def item_error(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        # Scrapy logs the traceback with it; the article is named by its URL, not dumped whole.
        entry = super().item_error(item, exception, response, spider)
        entry["args"] = {**entry["args"], "item": article_name(item)}
        return entry


def article_name(item: Any) -> str:
    """The URL (or id) that names an article in the log."""
    adapter = ItemAdapter(item)
    return str(adapter.get("url") or adapter.get("id") or type(item).__name__)
