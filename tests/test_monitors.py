"""Spidermon close monitors and the progress log, on real crawls of the replica."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from spidermon import monitors
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.contrib.scrapy.monitors.base import BaseScrapyMonitor
from spidermon.contrib.validation import JSONSchemaValidator

from newscrawler.items import Article
from newscrawler.extensions.monitor_report import CloseMonitors
from newscrawler.extensions.monitors import ARTICLE_SCHEMA, CloseMonitorSuite
from newscrawler.replica.server import ReplicaServer
from newscrawler.pipelines.schema import SchemaCheckPipeline
from newscrawler.settings import ITEM_PIPELINES, PERIODIC_LOG_DELTA, PERIODIC_LOG_STATS
from tests.crawling import changed_profile, crawl, make_spider, project_settings_dict

# An item as it reaches spidermon: every contract field, these filled in (dates are datetimes by then).
GOOD = asdict(Article(id="qutoutiao:1", source="qutoutiao", title="标题", url="http://html2.qktoutiao.com/a.html",
                      published_at=datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc), content_html="<p>正文</p>",
                      content_type="article"))


@pytest.mark.parametrize(
    ("changes", "bad_field"),
    [
        ({}, None),
        ({"content_type": "video", "content_html": ""}, None),  # a video's body may be empty
        ({"content_html": ""}, "content_html"),  # an article's may not
        ({"content_html": " \n"}, "content_html"),  # nor be spaces only (the validate stage's rule)
        ({"content_html": None}, "content_html"),
        ({"title": ""}, "title"),
        ({"title": "\u3000"}, "title"),
        ({"source": None}, "source"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"headimg": "javascript:alert(1)"}, "headimg"),
        ({"image_urls": ["data:image/png,x"]}, "image_urls.0"),
        ({"published_at": None}, "published_at"),
        ({"published_at": "2021-07-08T10:55:51+00:00"}, "published_at"),  # a raw value normalize missed
        ({"crawled_at": 1625741751}, "crawled_at"),
        ({"tags": "民生"}, "tags"),  # the contract's types too
        ({"channel_id": 1.5}, "channel_id"),  # a channel id is a whole number or a word
        ({"channel_id": "tech", "channel": "科技"}, None),
        ({"stats": {"read": "many"}}, "stats.read"),
    ],
)
def test_article_schema(changes: dict[str, Any], bad_field: str | None) -> None:
    ok, errors = JSONSchemaValidator(ARTICLE_SCHEMA).validate({**GOOD, **changes})
    assert ok == (bad_field is None)
    assert list(errors) == ([bad_field] if bad_field else [])


def test_missing_field_is_required() -> None:
    doc = dict(GOOD)
    del doc["published_at"]
    ok, errors = JSONSchemaValidator(ARTICLE_SCHEMA).validate(doc)
    assert not ok and list(errors) == ["published_at"]


def test_healthy_crawl_passes_and_reports(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    stats = crawl().stats
    assert stats["monitors/result"] == "passed"
    assert stats["monitors/failed"] == 0 and stats["monitors/passed"] >= 6
    assert stats["spidermon/validation/items"] == stats["item_scraped_count"]  # every stored article checked
    assert "[Spidermon] Crawl health/No article was lost (store/lost)... OK" in caplog.text
    assert "[Spidermon] OK" in caplog.text


class BlankTitle:
    """A regression after validation: one stored article loses its title."""

    done = False

    def process_item(self, item: Any) -> Any:
        if not BlankTitle.done:
            BlankTitle.done = True
            return replace(item, title="")
        return item


def test_stored_article_without_title_fails(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    BlankTitle.done = False
    pipelines = {**ITEM_PIPELINES, f"{__name__}.BlankTitle": 920}
    stats = crawl({"ITEM_PIPELINES": pipelines}, cids="1", pages="1").stats
    assert stats["spidermon/validation/fields/errors/regex_not_matched/title"] == 1
    assert stats["monitors/result"] == "failed" and stats["monitors/failed"] == 1
    assert "Every one holds the article contract (ARTICLE_SCHEMA)... FAIL" in caplog.text


def test_broken_body_selector_fails_dropped_ratio(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture,
                                                  tmp_path: Path) -> None:
    caplog.set_level(logging.INFO)
    sources = changed_profile(tmp_path, "qutoutiao", "body: div.content", "body: div.article-body")
    stats = crawl({"SOURCES_DIR": sources}, cids="1,2", pages="3").stats
    assert stats.get("item_scraped_count", 0) < stats["item_dropped_count"]
    assert stats["monitors/result"] == "failed"
    assert "Dropped-item ratio is below MONITOR_MAX_DROPPED_RATIO... FAIL" in caplog.text
    # one ERROR line per failed monitor, with its reason, and no traceback anywhere
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and "[Spidermon]" in r.getMessage()]
    assert len(errors) == stats["monitors/failed"]
    assert any(e.startswith("[Spidermon] FAIL: Crawl health/Dropped-item ratio is below MONITOR_MAX_DROPPED_RATIO: ")
               and "articles dropped" in e and "\n" not in e for e in errors)
    assert "Traceback" not in caplog.text


@monitors.name("Broken")
class BrokenMonitor(BaseScrapyMonitor):
    """A monitor with a bug: it raises instead of asserting."""

    __test__ = False  # spidermon runs it, not pytest

    @monitors.name("Reads a stat that is not there")
    def test_reads_a_missing_stat(self) -> None:
        self.stats["no/such/stat"]  # noqa: B018 - the bug


class SuiteWithABrokenMonitor(CloseMonitorSuite):
    monitors = [*CloseMonitorSuite.monitors, BrokenMonitor]


def test_a_monitor_that_raises_keeps_its_traceback(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    """A bug in a monitor is not a verdict: its traceback stays at ERROR, next to the one-line failures."""
    caplog.set_level(logging.INFO)
    stats = crawl({"SPIDERMON_SPIDER_CLOSE_MONITORS": [f"{__name__}.SuiteWithABrokenMonitor"]}, cids="1", pages="1").stats
    assert stats["monitors/result"] == "failed" and stats["monitors/failed"] == 1
    [error] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and "[Spidermon]" in r.getMessage()]
    assert "ERROR: Broken/Reads a stat that is not there" in error
    assert "Traceback (most recent call last)" in error and "KeyError: 'no/such/stat'" in error


def test_crawl_that_did_not_start_runs_no_monitor(caplog: pytest.LogCaptureFixture) -> None:
    """Closed without ever opening (its start failed): no verdict, no failed monitor."""
    caplog.set_level(logging.INFO)
    crawler = make_spider().crawler
    extension = CloseMonitors.from_crawler(crawler)
    extension.spider_closed(crawler.spider)
    assert not [k for k in crawler.stats.get_stats() if k.startswith("monitors/")]
    assert "close monitors not run: the crawl did not start" in caplog.text
    assert "FAIL" not in caplog.text


def test_dead_letters_are_a_warning(via_replica: ReplicaServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    settings = {
        "MONGO_URI": "mongodb://127.0.0.1:9/", "MONGO_SERVER_SELECTION_TIMEOUT_MS": 200,
        "MONGO_CONNECT_TIMEOUT_MS": 200, "STORE_WRITE_ATTEMPTS": 1, "DEADLETTER_DIR": str(tmp_path / "dl"),
        "NEWSCRAWLER_DB": str(tmp_path / "unused.sqlite3"),
    }
    stats = crawl(settings, cids="1", pages="1").stats
    assert stats["store/deadlettered"] > 0
    assert stats["monitors/result"] == "passed" and stats["monitors/warnings"] == 1
    assert f"articles were spooled to {tmp_path / 'dl'}; run `scrapy replay`" in caplog.text


def test_spidermon_enabled_off(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.INFO)
    sources = changed_profile(tmp_path, "qutoutiao", "body: div.content", "body: div.article-body")
    stats = crawl({"SPIDERMON_ENABLED": False, "SOURCES_DIR": sources}, cids="1", pages="1").stats
    assert not [k for k in stats if k.startswith(("monitors/", "spidermon"))]
    assert "[Spidermon]" not in caplog.text


PERIODIC_LOG = "scrapy.extensions.periodic_log"


def progress_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """Scrapy's PeriodicLog lines, as the JSON they are."""
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == PERIODIC_LOG]


def test_progress_log_periodic(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=PERIODIC_LOG)
    crawl({"LOGSTATS_INTERVAL": 0.05}, cids="1,2", pages="3")
    lines = progress_lines(caplog)
    assert len(lines) >= 3  # at start, periodic lines, then the final one
    assert all(set(line) == {"stats", "delta"} for line in lines)


def test_progress_log_final_line(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    """The final line holds the operator's counters (PERIODIC_LOG_STATS) of the source, as they ended."""
    caplog.set_level(logging.INFO, logger=PERIODIC_LOG)
    stats = crawl({"LOGSTATS_INTERVAL": 3600}, cids="1,2", pages="3").stats
    first, last = progress_lines(caplog)  # at start, and at the end: no periodic line in between
    wanted = {k: v for k, v in stats.items() if any(p in k for p in PERIODIC_LOG_STATS["include"])}
    assert {"qutoutiao/listing/pages", "qutoutiao/detail/parsed", "store/new", "item_scraped_count"} <= set(wanted)
    assert last["stats"] == wanted
    assert first["stats"].get("store/new", 0) == 0
    assert last["delta"] == {k: v for k, v in stats.items() if any(p in k for p in PERIODIC_LOG_DELTA["include"])}


def test_progress_log_off(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=PERIODIC_LOG)
    crawl({"LOGSTATS_INTERVAL": 0}, cids="1", pages="1")
    assert progress_lines(caplog) == []


def test_urls_skipped_for_length_count_as_failed_pages(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    """Scrapy's UrlLengthMiddleware skips them (urllength/request_ignored_count): lost pages, in the ratio."""
    caplog.set_level(logging.INFO)
    # listing URLs (64 characters) pass; every article URL (over 100) is skipped
    stats = crawl({"URLLENGTH_LIMIT": 100}, cids="1", pages="2").stats
    assert stats["urllength/request_ignored_count"] >= 10 and stats["qutoutiao/listing/pages"] == 2
    assert stats["monitors/result"] == "failed"
    assert "Detail error ratio is below MONITOR_MAX_DETAIL_ERROR_RATIO... FAIL" in caplog.text


def validation_stats(pipeline_class: type, items: list[Article], **settings: Any) -> dict[str, Any]:
    """The ``spidermon/validation/…`` stats after ``items`` went through one validation pipeline."""
    crawler = get_crawler(settings_dict=project_settings_dict(**settings))
    crawler.stats.open_spider()
    pipeline = pipeline_class.from_crawler(crawler)
    for item in items:
        try:
            pipeline.process_item(item)
        except DropItem:
            pass
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("spidermon/validation")}


SCHEMA_CASES = [{}, {"content_html": ""}, {"title": "\u3000"}, {"source": None}, {"url": "javascript:alert(1)"},
                {"image_urls": ["data:image/png,x"]}, {"published_at": None}, {"tags": "民生"},
                {"stats": {"read": "many"}}, {"channel_id": 1.5, "title": ""}, {"content_type": "video", "content_html": ""}]


@pytest.mark.parametrize("drop", [False, True])
def test_schema_check_counts_as_spidermon_does(drop: bool) -> None:
    """Our compiled check moves exactly the counters spidermon's ItemValidationPipeline moves."""
    items = [Article(**{**GOOD, **changes}) for changes in SCHEMA_CASES]
    settings = {"SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS": drop}
    ours = validation_stats(SchemaCheckPipeline, items, **settings)
    theirs = validation_stats(ItemValidationPipeline, items, **settings)
    assert ours == theirs
    assert ours["spidermon/validation/items/errors"] == len(SCHEMA_CASES) - 2
    assert ours["spidermon/validation/fields/errors/regex_not_matched/title"] == 2


def test_schema_check_leaves_the_article_as_it_was() -> None:
    item = Article(**{**GOOD, "tags": ["民生"], "stats": {"read": 3}})
    before = asdict(item)
    crawler = get_crawler(settings_dict=project_settings_dict())
    crawler.stats.open_spider()
    assert SchemaCheckPipeline.from_crawler(crawler).process_item(item) is item
    assert asdict(item) == before
