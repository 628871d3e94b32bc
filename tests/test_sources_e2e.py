"""Every bundled profile crawled end to end: the real engine, the production download stack, the replica over HTTP.

What a crawl stored is compared with what the replica says it published (``/__articles``): each
article once, with its title, URL, author, channel and publication time (ZAKER's relative times
within the precision of the text the row showed).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newscrawler.replica import zaker
from newscrawler.replica.served import BEIJING
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from newscrawler.storage.sqlite import SqliteStore
from tests.crawling import CrawlResult, crawl, proxy_through

SOURCES = ("dockone", "woshipm", "zaker")


@dataclass
class SourceRun:
    result: CrawlResult
    stored: int  # articles in the crawl's store afterwards
    started: datetime
    finished: datetime


def published(server: ReplicaServer) -> dict[str, Any]:
    """The replica's own word on what it published (not its Python objects: what a client reads)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(server.url + "/__articles", timeout=30) as response:
        return json.loads(response.read())


def run_source(server: ReplicaServer, folder: Path, name: str, **args: str) -> SourceRun:
    db = folder / f"{name}.sqlite3"
    started = datetime.now(timezone.utc)
    result = crawl({"MONGO_URI": "", "NEWSCRAWLER_DB": str(db), "DEADLETTER_DIR": str(folder / "dl")}, spider=name,
                   **args)
    finished = datetime.now(timezone.utc)
    store = SqliteStore(db)
    try:
        return SourceRun(result, store.count(), started, finished)
    finally:
        store.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReplicaServer, dict[str, SourceRun], dict[str, Any]]]:
    """One crawl of each bundled source (趣头条's own suite is tests/test_crawl_e2e.py) against one replica."""
    server = serve_in_thread(0, ReplicaConfig())
    folder = tmp_path_factory.mktemp("sources")
    try:
        with pytest.MonkeyPatch.context() as patch:
            proxy_through(patch, server.url)
            runs = {
                "dockone": run_source(server, folder, "dockone"),
                "woshipm": run_source(server, folder, "woshipm"),
                # the replica serves the first of the profile's channels
                "zaker": run_source(server, folder, "zaker",
                                    channels=",".join(map(str, server.site.sources.zaker.channels))),
            }
        yield server, runs, published(server)["sources"]
    finally:
        server.shutdown()


@pytest.mark.parametrize("name", SOURCES)
def test_every_listed_article_is_stored_once(site: Any, name: str) -> None:
    _, runs, truth = site
    run = runs[name]
    ids = [item.source_id for item in run.result.items]
    assert len(ids) == len(set(ids)), "an article was emitted twice"
    assert set(ids) == {a["id"] for a in truth[name]}
    assert run.stored == len(truth[name]) == run.result.stats["store/new"]
    assert all(item.id == f"{name}:{item.source_id}" and item.source == name for item in run.result.items)
    assert run.result.stats["finish_reason"] == "finished" and run.result.stats["monitors/result"] == "passed"


@pytest.mark.parametrize("name", SOURCES)
def test_fields_are_the_published_ones(site: Any, name: str) -> None:
    _, runs, truth = site
    items = runs[name].result.by_source_id()
    for article in truth[name]:
        item = items[article["id"]]
        assert (item.title, item.url, item.author) == (article["title"], article["url"], article["author"]), article
        assert (item.channel_id, item.channel) == (article["channel_id"], article["channel"])
        assert item.content_html and item.content_text and item.image_urls
    if name == "zaker":  # the page's tags (.lebel-list a)
        assert all(items[a["id"]].tags == a["tags"] for a in truth[name])
    if name == "woshipm":  # lazy images (article.lazy_images: data-original), never the grey placeholder
        for item in items.values():
            assert len(item.image_urls) == 3 and not any("grey.gif" in u for u in item.image_urls), item.image_urls


def test_dockone_and_woshipm_times(site: Any) -> None:
    _, runs, truth = site
    dockone = runs["dockone"].result.by_source_id()
    for article in truth["dockone"]:  # Beijing time to the minute, no zone on the page
        assert dockone[article["id"]].published_at == datetime.fromisoformat(article["published"])
    woshipm = runs["woshipm"].result.by_source_id()
    for article in truth["woshipm"]:  # a Beijing date: its midnight
        day = datetime.fromisoformat(article["published"]).astimezone(BEIJING).date()
        assert article["precision"] == "day"
        assert woshipm[article["id"]].published_at == datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def zaker_tolerance(text: str) -> str:
    """How closely a ZAKER time text can be read: ``minute``, ``hour``, ``exact`` or ``day``."""
    if text == "刚刚" or text.endswith("分钟前"):
        return "minute"
    if text.endswith("小时前"):
        return "hour"
    return "exact" if text.startswith("昨天 ") else "day"  # 昨天, N天前, MM-DD, YYYY-MM-DD


def test_zaker_relative_times_within_their_precision(site: Any) -> None:
    server, runs, truth = site
    run = runs["zaker"]
    items = run.result.by_source_id()
    slack = (run.finished - run.started).total_seconds() + 1  # the rows were read some time during the crawl
    seen: set[str] = set()
    for article in truth["zaker"]:
        true = datetime.fromisoformat(article["published"])
        got = items[article["id"]].published_at
        _, row = server.site.sources.zaker.by_id[article["id"]]
        # what the row showed during the crawl: the loosest reading if the text changed meanwhile
        texts = {zaker.time_text(true, at, coarse_yesterday=row % 2 == 0) for at in (run.started, run.finished)}
        kinds = {zaker_tolerance(text) for text in texts}
        seen |= kinds
        if "day" in kinds:
            assert got.astimezone(BEIJING).date() == true.astimezone(BEIJING).date(), (texts, got, true)
        elif "hour" in kinds:
            assert abs((got - true).total_seconds()) <= 3600 + slack, (texts, got, true)
        elif "minute" in kinds:
            assert abs((got - true).total_seconds()) <= 60 + slack, (texts, got, true)
        else:
            assert got == true, (texts, got, true)
    # the rows showed each kind of text the clock allows: no "2小时前" is the same day before 02:00 Beijing time
    shown = {zaker_tolerance(zaker.time_text(run.started - timedelta(minutes=m), run.started)) for m in zaker.OFFSETS}
    assert "minute" in shown and shown & {"minute", "hour", "day"} <= seen


def test_paging_ends_and_stats_are_per_source(site: Any) -> None:
    server, runs, truth = site
    config = server.site.config
    expected_pages = {
        "dockone": config.dockone_pages,  # the last page has no ">" link
        "woshipm": config.woshipm_pages + 1,  # then the empty payload
        "zaker": len(server.site.sources.zaker.channels),  # one page per channel
    }
    for name, run in runs.items():
        stats = run.result.stats
        assert stats[f"{name}/listing/pages"] == expected_pages[name], name
        assert stats[f"{name}/detail/parsed"] == len(truth[name])
        others = [k for k in stats if k.split("/")[0] in {"qutoutiao", *SOURCES} - {name}]
        assert others == [], name
        assert not [k for k in stats if "/error/" in k or k.startswith(("spider_exceptions", "pipeline_exceptions"))]


def test_articles_of_every_source_share_one_store(site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids carry their source: one store holds them all, and a second crawl finds each known."""
    server, _, truth = site
    proxy_through(monkeypatch, server.url)
    settings = {"MONGO_URI": "", "NEWSCRAWLER_DB": str(tmp_path / "all.sqlite3"), "DEADLETTER_DIR": str(tmp_path / "dl")}
    for name in ("dockone", "woshipm"):
        crawl(settings, spider=name)
    again = crawl(settings, spider="dockone")
    # page 1 held only known articles: its next link is not followed
    assert again.items == [] and again.stats["incremental/listing_stopped"] == 1
    assert again.stats["incremental/skipped"] == server.site.config.dockone_per_page
    store = SqliteStore(tmp_path / "all.sqlite3")
    try:
        assert store.count() == len(truth["dockone"]) + len(truth["woshipm"])
    finally:
        store.close()
