"""Incremental crawling: the middleware drops what earlier crawls stored, and only that."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.test import get_crawler

from newscrawler.middlewares.incremental import NEXT_PAGE_META, STORE_ID_META, IncrementalCrawlMiddleware
from newscrawler.replica.server import ReplicaServer
from newscrawler.signals import run_rejoined
from tests import oracle
from tests.crawling import crawl, project_settings_dict

LISTING = Response("http://api.1sapp.com/content/outList?cid=1&page=1")


class HeldIds:
    """A store that holds ``ids`` and counts the questions it is asked."""

    description = "test store"

    def __init__(self, ids: set[str], fail: bool = False, error: Exception | None = None) -> None:
        self.ids = ids
        self.error = error or (ConnectionError("store down") if fail else None)
        self.questions: list[list[str]] = []

    def known_ids(self, ids: list[str]) -> set[str]:
        self.questions.append(ids)
        if self.error is not None:
            raise self.error
        return self.ids & set(ids)


def middleware(store: HeldIds, **settings: Any) -> IncrementalCrawlMiddleware:
    with tempfile.TemporaryDirectory(prefix="newscrawler-test-") as folder:  # never the project's data/
        settings = {"MONGO_URI": "", "NEWSCRAWLER_DB": str(Path(folder) / "store.sqlite3"), **settings}
        mw = IncrementalCrawlMiddleware.from_crawler(get_crawler(settings_dict=project_settings_dict(**settings)))
        mw.store.close()  # replaced by the stand-in below
    mw.store = store
    return mw


def page(*ids: str, next_page: bool = True) -> list[Any]:
    """What the spider yields for a listing page: detail requests, then the next page."""
    out: list[Any] = [Request(f"http://h/{i}", meta={STORE_ID_META: i}) for i in ids]
    if next_page:
        out.append(Request("http://h/next", meta={NEXT_PAGE_META: True}))
    return out


def drop(mw: IncrementalCrawlMiddleware, outputs: list[Any]) -> list[Any]:
    """What the middleware lets through of one listing page's outputs (its store asked in its thread)."""
    return asyncio.run(mw.drop_stored(LISTING, outputs))


def urls(outputs: list[Any]) -> list[str]:
    return [o.url for o in outputs]


def names(outputs: list[Any]) -> list[str]:
    return [url.rsplit("/", 1)[1] for url in urls(outputs)]


@pytest.mark.parametrize(
    ("held", "listed", "kept", "skipped", "stopped"),
    [
        (set(), ["a", "b"], ["a", "b", "next"], 0, 0),          # nothing stored: all fetched, listing goes on
        ({"a"}, ["a", "b"], ["b", "next"], 1, 0),               # one stored: only its page skipped
        ({"a", "b"}, ["a", "b"], [], 2, 1),                      # all stored before: the listing is caught up
        ({"a", "b"}, ["a", "a", "b"], [], 3, 1),                 # listed twice on a page: both requests go
    ],
)
def test_drops_what_the_store_held(held: set[str], listed: list[str], kept: list[str], skipped: int, stopped: int) -> None:
    store = HeldIds(held)
    mw = middleware(store)
    out = drop(mw, page(*listed))
    assert names(out) == kept
    assert mw.stats.get_value("incremental/skipped", 0) == skipped
    assert mw.stats.get_value("incremental/listing_stopped", 0) == stopped
    assert len(store.questions) == 1  # one question per listing page


def test_stop_rule_can_be_turned_off() -> None:
    mw = middleware(HeldIds({"a", "b"}), INCREMENTAL_STOP_AT_KNOWN_PAGE=False)
    assert names(drop(mw, page("a", "b"))) == ["next"]
    assert mw.stats.get_value("incremental/skipped") == 2
    assert mw.stats.get_value("incremental/listing_stopped") is None


def test_articles_stored_by_this_crawl_never_stop_a_listing() -> None:
    """A first crawl: 推荐 re-lists articles another channel listed (and stored) moments ago."""
    store = HeldIds(set())
    mw = middleware(store)
    assert len(drop(mw, page("a", "b"))) == 3
    store.ids |= {"a", "b"}  # the store pipeline wrote them meanwhile
    again = drop(mw, page("b", "a"))
    assert urls(again) == urls(page("b", "a")), "left to the dupefilter, the listing goes on"
    assert mw.stats.get_value("incremental/skipped") is None
    assert mw.stats.get_value("incremental/listing_stopped") is None
    assert store.questions == [["a", "b"]], "ids this crawl requested are not asked again"


def test_a_rejoined_run_asks_the_store_about_every_article_again() -> None:
    """Distributed mode, Valkey back without the run's fingerprints: what this crawl requested and
    stored meanwhile is skipped as stored, not left to a dupefilter that forgot it."""
    store = HeldIds(set())
    mw = middleware(store, INCREMENTAL_STOP_AT_KNOWN_PAGE=False)
    drop(mw, page("a", "b"))
    store.ids |= {"a"}  # stored; "b" is still being fetched
    mw.crawler.signals.send_catch_log(run_rejoined)
    assert names(drop(mw, page("a", "b"))) == ["b", "next"]
    assert store.questions == [["a", "b"], ["a", "b"]]


def test_unmarked_output_passes_untouched() -> None:
    store = HeldIds({"a"})
    mw = middleware(store)
    outputs = [Request("http://h/a"), {"an": "item"}, *page(next_page=True)]
    assert drop(mw, outputs) == outputs
    assert store.questions == []


def test_store_failure_fetches_everything_loudly(caplog: pytest.LogCaptureFixture) -> None:
    store = HeldIds({"a"}, fail=True)
    mw = middleware(store)
    with caplog.at_level(logging.ERROR):
        assert len(drop(mw, page("a", "b"))) == 3
        assert len(drop(mw, page("c"))) == 2
    assert len(store.questions) == 1, "a failed store is not asked again in the same crawl"
    assert mw.stats.get_value("incremental/store_errors") == 1
    assert "Could not ask test store which articles of http://api.1sapp.com/content/outList?cid=1&page=1" in caplog.text


def test_a_bug_in_a_lookup_fails_open_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Not the store failing (a KeyError in its code): every article is still fetched, and the bug is
    logged with its traceback and counted (exit status 3); a store outage has no traceback."""
    store = HeldIds({"a"}, error=KeyError("planted"))
    mw = middleware(store)
    with caplog.at_level(logging.ERROR):
        assert len(drop(mw, page("a", "b"))) == 3
    assert mw.stats.get_value("incremental/store_errors") == 1
    assert mw.stats.get_value("spider_exceptions/KeyError") == mw.stats.get_value("spider_exceptions/count") == 1
    [record] = [r for r in caplog.records if "Could not ask test store" in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is KeyError

    caplog.clear()
    down = middleware(HeldIds({"a"}, fail=True))
    with caplog.at_level(logging.ERROR):
        drop(down, page("a"))
    assert [r.exc_info for r in caplog.records if "Could not ask" in r.getMessage()] == [None]
    assert down.stats.get_value("spider_exceptions/count") is None


class SlowStore:
    """The crawl's store, whose ``known_ids`` answers only once the reactor has ticked while it waited.

    If a lookup ran on the reactor thread, nothing could tick: it would wait out ``PATIENCE`` and
    say so in ``answers`` (False). No speed is measured: only who let the lookup go.
    """

    PATIENCE = 10.0  # seconds: only reached when the reactor is blocked (the bug)
    TICKS = 3  # reactor ticks a lookup waits for

    def __init__(self, store: Any) -> None:
        self.store = store
        self.description = store.description
        self.waiting = threading.Event()
        self.release = threading.Event()
        self.ticks = 0
        self.answers: list[bool] = []  # per lookup: released by the ticking reactor?

    def known_ids(self, ids: list[str]) -> set[str]:
        self.release.clear()
        self.ticks = 0
        self.waiting.set()
        self.answers.append(self.release.wait(self.PATIENCE))
        self.waiting.clear()
        return self.store.known_ids(ids)

    def tick(self) -> None:
        """On the reactor: a lookup is let go once the reactor ticked TICKS times during it."""
        if self.waiting.is_set():
            self.ticks += 1
            if self.ticks >= self.TICKS:
                self.release.set()

    def close(self) -> None:
        self.store.close()


class SlowStoreIncremental(IncrementalCrawlMiddleware):
    """The middleware on a SlowStore, with a looping call on the reactor that must keep ticking."""

    slow: SlowStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> IncrementalCrawlMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.store = SlowStoreIncremental.slow = SlowStore(middleware.store)
        ticker = create_looping_call(middleware.store.tick)
        crawler.signals.connect(lambda: ticker.start(0.01), signal=signals.spider_opened, weak=False)
        crawler.signals.connect(lambda: ticker.stop(), signal=signals.spider_closed, weak=False)
        return middleware


def test_the_reactor_keeps_running_while_the_store_answers(via_replica: ReplicaServer) -> None:
    """Store lookups run in a thread: a slow store (MongoDB's server selection) does not stop the crawl."""
    middlewares = {"newscrawler.middlewares.incremental.IncrementalCrawlMiddleware": None,
                   f"{__name__}.SlowStoreIncremental": 600}
    result = crawl({"SPIDER_MIDDLEWARES": middlewares}, cids="1,2", pages="2")
    assert result.items
    slow = SlowStoreIncremental.slow
    assert slow is not None and len(slow.answers) >= 4  # one lookup per listing page
    assert all(slow.answers), "a lookup blocked the reactor: it waited out its patience"


def test_setting_turns_it_off() -> None:
    with pytest.raises(NotConfigured):
        IncrementalCrawlMiddleware.from_crawler(
            get_crawler(settings_dict=project_settings_dict(INCREMENTAL_CRAWL_ENABLED=False)))


def test_first_crawl_then_incremental_then_off(fresh_replica: ReplicaServer, store_settings: dict[str, Any]) -> None:
    stored = oracle.expected(fresh_replica.site)["stored"]
    first = crawl(store_settings)
    assert first.stats["store/new"] == len(stored)
    assert "incremental/skipped" not in first.stats and "incremental/listing_stopped" not in first.stats
    assert first.stats["dupefilter/filtered"] > 0  # 推荐 re-listed what other channels had

    second = crawl(store_settings)
    assert second.stats["incremental/skipped"] > 0 and second.stats.get("store/new", 0) == 0

    off = crawl({**store_settings, "INCREMENTAL_CRAWL_ENABLED": False})
    assert "incremental/skipped" not in off.stats
    assert off.stats["store/unchanged"] == len(stored)
