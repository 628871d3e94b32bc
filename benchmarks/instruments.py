"""Benchmark-only Scrapy components: where a crawl spends its CPU, and its peak memory.

Added to the full crawl and to its no-op twin alike by ``bench.py`` (``-s`` settings):

- ``CrawlClock`` (extension): wall time, process and reactor-thread CPU between
  spider_opened and spider_closed, peak RSS, the most requests waiting in the
  scheduler at once, a few stats; written as JSON to
  ``BENCH_REPORT`` when the spider closes.
- ``SpiderClock`` (innermost spider middleware): CPU spent in the spider's callbacks
  (parsing, building items, the incremental-crawl store question).
- ``TimedItemPipelineManager`` (``ITEM_PROCESSOR``): CPU spent in each pipeline's
  ``process_item``; for a coroutine, only while its own code runs.

CPU is the reactor thread's (``time.thread_time``); what other threads use (the store
pipeline's writes run in a worker thread) is the process CPU minus that.
"""

from __future__ import annotations

import json
import resource
import time
import weakref
from collections import defaultdict
from collections.abc import AsyncIterable, AsyncIterator, Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.pipelines import ItemPipelineManager

_ACCOUNTS: weakref.WeakKeyDictionary[Crawler, defaultdict[str, float]] = weakref.WeakKeyDictionary()


def account(crawler: Crawler) -> defaultdict[str, float]:
    """Seconds of reactor-thread CPU per stage name, for one crawl."""
    if crawler not in _ACCOUNTS:
        _ACCOUNTS[crawler] = defaultdict(float)
    return _ACCOUNTS[crawler]


class _TimedAwaitable:
    """Awaits ``awaitable``, adding the CPU of its own steps (not of what runs while it waits)."""

    def __init__(self, awaitable: Any, charge: Callable[[float], None]) -> None:
        self.awaitable = awaitable
        self.charge = charge

    def __await__(self) -> Generator[Any, Any, Any]:
        steps = self.awaitable.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            started = time.thread_time()
            try:
                yielded = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                return done.value
            finally:
                self.charge(time.thread_time() - started)
            try:
                value, error = (yield yielded), None
            except BaseException as exc:  # noqa: BLE001 - handed to the awaited code, as await does
                value, error = None, exc


def _timed(method: Callable[[Any], Any], costs: defaultdict[str, float], name: str) -> Callable[[Any], Any]:
    def charge(seconds: float) -> None:
        costs[name] += seconds

    def process_item(item: Any) -> Any:
        started = time.thread_time()
        try:
            result = method(item)
        finally:
            charge(time.thread_time() - started)
        return _TimedAwaitable(result, charge) if hasattr(result, "__await__") else result

    return process_item


class TimedItemPipelineManager(ItemPipelineManager):
    """Scrapy's item pipeline manager, charging each pipeline's CPU to its class name.

    Each pipeline's ``process_item`` is wrapped before the manager takes it (``ITEM_PROCESSOR``).
    """

    def __init__(self, *pipelines: Any, crawler: Crawler | None = None) -> None:
        if crawler is not None:
            costs = account(crawler)
            for pipeline in pipelines:
                if hasattr(pipeline, "process_item"):
                    pipeline.process_item = _timed(pipeline.process_item, costs, f"pipeline/{type(pipeline).__name__}")
        super().__init__(*pipelines, crawler=crawler)


class SpiderClock:
    """Innermost spider middleware: the CPU of each step of the spider's callback output."""

    def __init__(self, crawler: Crawler) -> None:
        self.costs = account(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpiderClock:
        return cls(crawler)

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterator[Any]:
        outputs = iter(result)
        while True:
            started = time.thread_time()
            try:
                output = next(outputs)
            except StopIteration:
                return
            finally:
                self.costs["spider"] += time.thread_time() - started
            yield output

    async def process_spider_output_async(self, response: Any, result: AsyncIterable[Any]) -> AsyncIterator[Any]:
        outputs = aiter(result)
        while True:
            try:
                output = await _TimedAwaitable(anext(outputs), self.charge)
            except StopAsyncIteration:
                return
            yield output

    def charge(self, seconds: float) -> None:
        self.costs["spider"] += seconds


class CrawlClock:
    """Wall time, CPU and peak RSS of the crawl, written as JSON to ``BENCH_REPORT``."""

    STATS = ("item_scraped_count", "response_received_count", "store/new", "scheduler/enqueued",
             "downloader/request_count", "log_count/ERROR", "log_count/CRITICAL")

    def __init__(self, crawler: Crawler, report: str) -> None:
        self.crawler = crawler
        self.report = Path(report)
        self.started: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.most_waiting = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlClock:
        clock = cls(crawler, crawler.settings.get("BENCH_REPORT"))
        crawler.signals.connect(clock.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(clock.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(clock.request_reached_downloader, signal=signals.request_reached_downloader)
        return clock

    def request_reached_downloader(self) -> None:
        """The frontier's size: requests scheduled but not yet sent to the downloader."""
        stats = self.crawler.stats
        waiting = stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)
        self.most_waiting = max(self.most_waiting, waiting)

    def spider_opened(self) -> None:
        self.started = (time.perf_counter(), time.process_time(), time.thread_time())

    def spider_closed(self, reason: str) -> None:
        wall, cpu, main = (now - then for now, then in zip(
            (time.perf_counter(), time.process_time(), time.thread_time()), self.started))
        stats = self.crawler.stats
        self.report.write_text(json.dumps({
            "reason": reason, "wall": wall, "cpu": cpu, "cpu_main": main,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "most_waiting": self.most_waiting,
            "stages": dict(account(self.crawler)),
            "stats": {key: stats.get_value(key, 0) for key in self.STATS},
        }))
