"""Run the real spider through Scrapy's engine, in-process, and collect what it did.

The crawls run on production's download stack: the asyncio Twisted reactor
(``TWISTED_REACTOR`` in settings.py) and the project's download handler
(Scrapy's HTTP/1.1 handler with response heads bounded, put in ``DOWNLOAD_HANDLERS`` by its add-on). A
Twisted reactor cannot be restarted, so it is installed once per
process and runs in a thread of its own; each ``crawl()`` hands its crawl to
that thread with ``blockingCallFromThread`` and waits for the result. The test
thread keeps no running event loop, so tests may still use ``asyncio.run``.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import install_reactor
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from twisted.internet.threads import blockingCallFromThread

from newscrawler import settings as project_settings
from newscrawler.spiders.loader import SourceSpiderLoader
from newscrawler.spiders.source import SourceSpider

# Fast and deterministic for tests; politeness is tested by reading settings.py.
TEST_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "INFO",
    "MEMUSAGE_ENABLED": False,
}

_reactor_thread: threading.Thread | None = None
_reactor_lock = threading.Lock()


def install_project_reactor() -> None:
    """Install the reactor production uses; a no-op once it is installed."""
    install_reactor(project_settings.TWISTED_REACTOR)


def running_reactor() -> Any:
    """The project's reactor, running in its own thread from the first call on."""
    global _reactor_thread
    install_project_reactor()
    from twisted.internet import reactor

    with _reactor_lock:
        if _reactor_thread is None:
            # No signal handlers: they belong to the main thread, and pytest's.
            _reactor_thread = threading.Thread(
                target=reactor.run, kwargs={"installSignalHandlers": False}, name="twisted-reactor", daemon=True
            )
            _reactor_thread.start()
    return reactor


def stop_reactor() -> None:
    """Stop the reactor thread (it shuts down its thread pool first), if it was started."""
    global _reactor_thread
    with _reactor_lock:
        if _reactor_thread is None:
            return
        from twisted.internet import reactor

        reactor.callFromThread(reactor.stop)
        _reactor_thread.join(timeout=30)
        _reactor_thread = None


@dataclass
class CrawlResult:
    items: list[Any] = field(default_factory=list)
    dropped: list[tuple[Any, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    crawler: Any = None

    def item_scraped(self, item: Any, **kwargs: Any) -> None:
        self.items.append(item)

    def item_dropped(self, item: Any, exception: BaseException, **kwargs: Any) -> None:
        self.dropped.append((item, str(exception)))

    def by_source_id(self) -> dict[str, Any]:
        return {item.source_id: item for item in self.items}

    def by_id(self) -> dict[str, Any]:
        return {item.id: item for item in self.items}


def project_settings_dict(**overrides: Any) -> dict[str, Any]:
    base = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    return {**base, **TEST_SETTINGS, **overrides}


def changed_profile(folder: Path, name: str, old: str, new: str) -> str:
    """A SOURCES_DIR in ``folder`` holding the bundled profile ``name`` with ``old`` replaced by ``new``."""
    from newscrawler.sources.registry import BUNDLED_DIR

    text = (BUNDLED_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text, old
    sources = folder / "sources"
    sources.mkdir(exist_ok=True)
    (sources / f"{name}.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return str(sources)


def spider_class(name: str, settings: dict[str, Any]) -> type[Spider]:
    """The spider ``scrapy crawl <name>`` runs with these settings: the project's loader finds it."""
    return SourceSpiderLoader.from_settings(Settings(settings)).load(name)


def source_spider(name: str = "qutoutiao") -> type[Spider]:
    """The spider class of the bundled profile ``name``, as ``scrapy crawl <name>`` loads it."""
    return spider_class(name, project_settings_dict())


def make_spider(settings: dict[str, Any] | None = None, spider: str = "qutoutiao", **spider_args: Any) -> SourceSpider:
    """The spider as a crawl builds it, for feeding its callbacks responses by hand."""
    values = project_settings_dict(**(settings or {}))
    cls = spider_class(spider, values)
    crawler = get_crawler(cls, values)
    built = cls.from_crawler(crawler, **spider_args)
    crawler.spider = built
    return built  # type: ignore[return-value]


def _start_crawl(spider: str, settings: dict[str, Any], spider_args: dict[str, Any], result: CrawlResult) -> Deferred[None]:
    """In the reactor thread: build the crawler and start it; fires when the crawl ends."""
    values = project_settings_dict(**settings)
    crawler: Crawler = get_crawler(spider_class(spider, values), values)
    # Bound methods of a live object: the signal dispatcher keeps weak references.
    crawler.signals.connect(result.item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(result.item_dropped, signal=signals.item_dropped)
    result.crawler = crawler
    return deferred_from_coro(crawler.crawl_async(**spider_args))


def crawl(settings: dict[str, Any] | None = None, spider: str = "qutoutiao", **spider_args: Any) -> CrawlResult:
    """One crawl of ``spider`` (a source's name, or ``feed``), start to finish, with the project's settings plus ``settings``."""
    result = CrawlResult()
    settings = dict(settings or {})
    with tempfile.TemporaryDirectory(prefix="newscrawler-test-", ignore_cleanup_errors=True) as folder:
        if "NEWSCRAWLER_DB" not in settings:
            # Never the project's data/ folder: each crawl gets an empty store of its own, gone
            # with the crawl (a test that reads the store afterwards passes NEWSCRAWLER_DB).
            settings.setdefault("MONGO_URI", "")
            settings.update(NEWSCRAWLER_DB=str(Path(folder) / "store.sqlite3"),
                            DEADLETTER_DIR=str(Path(folder) / "deadletter"))
        blockingCallFromThread(running_reactor(), _start_crawl, spider, settings, spider_args, result)
    result.stats = result.crawler.stats.get_stats()
    return result


class LogRecords(logging.Handler):
    """Every log record of INFO and above, kept: a test reads what a crawl logged, and how."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def proxy_through(patch: Any, url: str) -> None:
    """Send the crawler's plain-HTTP traffic to ``url`` (a replica), as an operator's http_proxy;
    no ``no_proxy`` of the machine's may route around it. ``patch``: a pytest MonkeyPatch."""
    patch.setenv("http_proxy", url)
    patch.delenv("no_proxy", raising=False)
    patch.delenv("NO_PROXY", raising=False)
