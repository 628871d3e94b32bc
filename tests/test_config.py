"""Bad spider arguments and settings stop the crawl at start with one ConfigError naming them.

The spider checks only its arguments; each component checks the settings it reads (newscrawler/checks.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from newscrawler.downloader.handler import HeadLimitsAddon
from newscrawler.errors import ConfigError
from newscrawler.pages.body import RAW_TEXT_TAGS
from newscrawler.pipelines.body import BodyPipeline
from newscrawler.pipelines.store import StorePipeline
from newscrawler.sources.profile import profile_from_data
from newscrawler.sources.registry import load_profiles
from tests.crawling import crawl, project_settings_dict

SPIDER_ONLY = {"ITEM_PIPELINES": {}}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"cid": "1", "page": "1"},
         "unknown spider arguments -a cid, -a page: valid ones are channels, cids, pages, limit, refresh, url"),
        ({"cids": "1", "limt": "5"}, "unknown spider argument -a limt: valid ones are channels, cids, pages, limit, refresh, url"),
        ({"channels": "1", "cids": "2"}, "spider arguments channels and cids: give one of them"),
        ({"channels": "1,x"}, "spider argument channels='1,x': expected channel ids such as 1,2,3"),
        ({"pages": "0"}, "spider argument pages='0': expected a positive whole number"),
        ({"limit": "ten"}, "spider argument limit='ten'"),
        ({"cids": "1,x"}, "spider argument cids='1,x'"),
        ({"refresh": "maybe"}, "spider argument refresh='maybe'"),
        # ASCII digits only: Python's int() also takes underscores, signs, and other scripts' digits
        ({"cids": "1_0"}, "spider argument cids='1_0': expected channel ids such as 1,2,3"),
        ({"cids": "255,１"}, "spider argument cids='255,１'"),  # full-width 1
        ({"cids": "١"}, "spider argument cids='١'"),  # Arabic-Indic 1
        ({"cids": "-1"}, "spider argument cids='-1'"),
        ({"cids": "+1"}, "spider argument cids='+1'"),
        ({"cids": "1" * 30}, "spider argument cids='111"),
        ({"pages": "1_0"}, "spider argument pages='1_0': expected a positive whole number"),
        ({"pages": "٣"}, "spider argument pages='٣'"),
        ({"limit": "１０"}, "spider argument limit='１０'"),
        ({"limit": "+5"}, "spider argument limit='+5'"),
        ({"pages": "9" * 30}, "spider argument pages='999"),
        # -a url: a listing URL template, checked as the profile's own
        ({"url": "http://mirror.example/list?cid={channel}&page={page}&x={foo}"},
         "spider argument url='http://mirror.example/list?cid={channel}&page={page}&x={foo}': unknown placeholder(s) ['foo']"),
        ({"url": "http://mirror.example/list?cid={channel}&page={"}, "spider argument url="),
        ({"url": "http://mirror.example/list?page={page}"}, "the listing has channels, so the URL needs {channel}"),
        ({"url": "http://mirror.example/list?cid={channel}"}, "paging.kind pages needs {page} in the URL"),
        ({"url": "ftp://mirror.example/?cid={channel}&page={page}"}, "expected an http:// or https:// URL"),
        ({"url": "mirror.example/?cid={channel}&page={page}"}, "expected an http:// or https:// URL"),
        # placeholders are plain names: checked without formatting (no 50 MB string, no ValueError per page)
        ({"url": "http://mirror.example/?cid={channel:d}&page={page}"},
         "spider argument url='http://mirror.example/?cid={channel:d}&page={page}': placeholder {channel:d}: "
         "a placeholder is a plain name, no format spec, conversion, attribute or index"),
        ({"url": "http://mirror.example/?cid={channel}&page={page:>50000000}"}, "placeholder {page:>50000000}: "),
        ({"url": "http://mirror.example/?cid={channel}&page={page.x}"}, "placeholder {page.x}: "),
        ({"url": "http://mirror.example/?cid={channel}&page={page[0]}"}, "placeholder {page[0]}: "),
        ({"url": "http://mirror.example/?cid={channel!s}&page={page}"}, "placeholder {channel!s}: "),
    ],
)
def test_bad_arguments(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        crawl(SPIDER_ONLY, **args)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # settings this project no longer reads: one line naming what replaced them
        ({"QUTOUTIAO_LIST_URL": "http://mirror.example/?cid={cid}&page={page}"},
         "QUTOUTIAO_LIST_URL is no longer read: use the profile's listing.url; point one crawl at a mirror with -a url=<template>"),
        ({"QUTOUTIAO_BODY_SELECTOR": "div.content"}, "QUTOUTIAO_BODY_SELECTOR is no longer read: use the profile's article.body"),
        ({"QUTOUTIAO_PAGES": "3"}, "QUTOUTIAO_PAGES is no longer read: use the profile's listing.paging.max_pages"),
        ({"QUTOUTIAO_LIMIT": "3"}, "QUTOUTIAO_LIMIT is no longer read: use the profile's listing.paging.per_page"),
        ({"QUTOUTIAO_MAX_BAD_PAGES": "3"}, "QUTOUTIAO_MAX_BAD_PAGES is no longer read: use the profile's listing.paging.max_bad_pages"),
        ({"QUTOUTIAO_STOP_AT_KNOWN_PAGE": False}, "QUTOUTIAO_STOP_AT_KNOWN_PAGE is no longer read: use INCREMENTAL_STOP_AT_KNOWN_PAGE"),
        ({"PAGE_TIMEZONE": "Asia/Shanghai"}, "PAGE_TIMEZONE is no longer read: use the profile's timezone"),
        ({"PROGRESS_LOG_INTERVAL": 60}, "PROGRESS_LOG_INTERVAL is no longer read: use LOGSTATS_INTERVAL"),
        # the body stage (pipelines/body.py)
        ({"BODY_DROP_SELECTORS": ["script", "::"]}, "BODY_DROP_SELECTORS='::'"),
        ({"CORS_PROXY": "javascript:alert(1)//"}, "CORS_PROXY='javascript:alert(1)//'"),
        ({"CORS_PROXY": "cors.example/?"}, "CORS_PROXY="),
        ({"MAX_BODY_BYTES": "8M"}, "MAX_BODY_BYTES='8M': expected a positive whole number"),
        # the store stage (pipelines/store.py) and its store (storage/)
        ({"STORE_BATCH_SIZE": "abc"}, "STORE_BATCH_SIZE='abc': expected a positive whole number"),
        ({"STORE_BATCH_SIZE": 0}, "STORE_BATCH_SIZE=0"),
        ({"STORE_WRITE_ATTEMPTS": "0"}, "STORE_WRITE_ATTEMPTS='0'"),
        ({"STORE_FLUSH_INTERVAL": "-1"}, "STORE_FLUSH_INTERVAL='-1'"),
        ({"STORE_RETRY_BACKOFF": "nan"}, "STORE_RETRY_BACKOFF='nan'"),
        ({"STORE_OUTAGE_COOLDOWN": "soon"}, "STORE_OUTAGE_COOLDOWN='soon': expected a number of seconds"),
        ({"MONGO_URI": "mongodb://127.0.0.1:9/", "MONGO_CONNECT_TIMEOUT_MS": "fast"}, "MONGO_CONNECT_TIMEOUT_MS='fast'"),
        ({"MONGO_URI": "mongodb://127.0.0.1:9/", "MONGO_SERVER_SELECTION_TIMEOUT_MS": 0},
         "MONGO_SERVER_SELECTION_TIMEOUT_MS=0"),
        ({"MONGO_URI": "mongodb://h:99999/"}, "MONGO_URI does not parse"),
        ({"MONGO_URI": "http://user:secret@h/"}, "MONGO_URI does not parse"),
        ({"MONGO_URI": "mongodb://h/?notAnOption=1"}, "MONGO_URI does not parse"),
        # the download handler's add-on (downloader/handler.py)
        ({"DOWNLOAD_MAXSIZE": "5MB"}, "DOWNLOAD_MAXSIZE='5MB'"),
        ({"DOWNLOAD_WARNSIZE": -1}, "DOWNLOAD_WARNSIZE=-1"),
        ({"DOWNLOAD_MAXHEADERSIZE": "64k"}, "DOWNLOAD_MAXHEADERSIZE='64k'"),
        ({"DOWNLOAD_MAXHEADERS": 0}, "DOWNLOAD_MAXHEADERS=0"),
        # the close monitors (extensions/monitors.py)
        ({"MONITOR_MAX_DETAIL_ERROR_RATIO": "1.5"}, "MONITOR_MAX_DETAIL_ERROR_RATIO='1.5': expected a ratio"),
        ({"MONITOR_RATIO_MIN_BASE": "twenty"}, "MONITOR_RATIO_MIN_BASE='twenty'"),
    ],
)
def test_bad_settings(settings: dict[str, Any], message: str) -> None:
    """Each component checks what it reads when it is built: the crawl stops before any request."""
    with pytest.raises(ConfigError) as info:
        crawl(settings)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert "secret" not in str(info.value)


def built(component: Any, **settings: Any) -> Any:
    """``component`` as a crawl builds it, from the project's settings plus ``settings``."""
    return component.from_crawler(get_crawler(settings_dict=project_settings_dict(**settings)))


def test_good_settings_pass(tmp_path: Path) -> None:
    assert built(BodyPipeline, CORS_PROXY="").cleaner.proxy_prefix == ""
    # blank: skipped; the raw-text elements are dropped whatever the setting says
    assert built(BodyPipeline, BODY_DROP_SELECTORS=["form", " "]).cleaner.drop_tags == ("form", *RAW_TEXT_TAGS)
    store = built(StorePipeline, MONGO_URI="", STORE_FLUSH_INTERVAL="0", NEWSCRAWLER_DB=str(tmp_path / "s.sqlite3"))
    assert store.flush_interval == 0  # no periodic flush
    assert built(StorePipeline, MONGO_URI="mongodb://127.0.0.1:9/", STORE_WRITE_ATTEMPTS="2").attempts == 2
    settings = Settings(project_settings_dict(DOWNLOAD_MAXHEADERS="1"))
    HeadLimitsAddon().update_settings(settings)
    assert settings.getwithbase("DOWNLOAD_HANDLERS")["https"].endswith(".HeadLimitedDownloadHandler")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["-a", "cid=1", "-a", "page=1"],
         "Crawl not started: unknown spider arguments -a cid, -a page: valid ones are channels, cids, pages, limit, refresh, url"),
        (["-s", "QUTOUTIAO_BODY_SELECTOR=div[[["],
         "Crawl not started: QUTOUTIAO_BODY_SELECTOR is no longer read: use the profile's article.body"),
        (["-s", "QUTOUTIAO_LIST_URL=http://api.1sapp.com/?cid={cid}&page={page}"],
         "Crawl not started: QUTOUTIAO_LIST_URL is no longer read: use the profile's listing.url; point one crawl at a mirror with -a url=<template>"),
        (["-a", "url=http://mirror.example/?page={page}"],
         "Crawl not started: spider argument url='http://mirror.example/?page={page}': the listing has channels, so the URL needs {channel}"),
        (["-a", "url=http://mirror.example/?cid={channel}&page={page:>50000000}"],
         "Crawl not started: spider argument url='http://mirror.example/?cid={channel}&page={page:>50000000}': "
         "placeholder {page:>50000000}: a placeholder is a plain name"),
        (["-a", "cids=1_0"], "Crawl not started: spider argument cids='1_0': expected channel ids such as 1,2,3"),
        (["-a", "pages=١٠"], "Crawl not started: spider argument pages='١٠': expected a positive whole number"),
        (["-s", "CORS_PROXY=javascript:alert(1)//"], "Crawl not started: CORS_PROXY='javascript:alert(1)//'"),
        (["-s", "MONGO_BATCH_SIZE=abc"], "Crawl not started: MONGO_BATCH_SIZE='abc'"),
        (["-s", "STORE_FLUSH_INTERVAL=-5"], "Crawl not started: STORE_FLUSH_INTERVAL='-5'"),
        # Checked by its add-on before Scrapy builds its download handlers, which would log it and drop http.
        (["-s", "DOWNLOAD_MAXHEADERS=0"], "Crawl not started: DOWNLOAD_MAXHEADERS='0'"),
    ],
)
def test_scrapy_crawl_exits_2_with_one_line(args: list[str], line: str, tmp_path: Any) -> None:
    from tests.processes import scrapy

    run = scrapy("crawl", "qutoutiao", *args, "-s", f"NEWSCRAWLER_DB={tmp_path / 'store.sqlite3'}",
                 "-s", f"DEADLETTER_DIR={tmp_path / 'deadletter'}", timeout=120)
    assert run.returncode == 2, run.stderr[-2000:]
    assert line in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("command", [["query"], ["export", "jsonl", "--out", "{tmp}/a.jsonl"], ["replay"]])
def test_store_commands_name_a_bad_setting_in_one_line(command: list[str], tmp_path: Path) -> None:
    """The store's own check (storage/mongo.py) answers the commands that open it, not only crawls."""
    from tests.processes import scrapy

    run = scrapy(*[a.format(tmp=tmp_path) for a in command], "-s", "MONGO_URI=mongodb://127.0.0.1:9/",
                 "-s", "MONGO_CONNECT_TIMEOUT_MS=3s", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}", timeout=120)
    assert run.returncode == 1, run.stderr[-2000:]
    assert run.stderr.strip().splitlines() == ["error: MONGO_CONNECT_TIMEOUT_MS='3s': expected a positive whole number"]


@pytest.mark.parametrize(
    ("args", "channels", "pages", "limit"),
    [
        ({"cids": " 255, 1 ,6,1", "pages": " 2 ", "limit": "007"}, (255, 1, 6), 2, 7),
        ({"channels": "10"}, (10,), 10, 10),
        ({"cids": "99"}, (99,), 10, 10),  # a channel the profile does not name is crawled too
        ({}, tuple(load_profiles().get("qutoutiao").listing.channels), 10, 10),  # every channel, in profile order
    ],
)
def test_good_arguments(args: dict[str, str], channels: tuple[int, ...], pages: int, limit: int) -> None:
    from newscrawler.spiders.params import SourceArgs

    parsed = SourceArgs.parse(load_profiles().get("qutoutiao"), **args)
    assert (parsed.channels, parsed.pages, parsed.limit, parsed.url) == (channels, pages, limit, None)


def test_word_channels_and_sources_without_channels(tmp_path: Any) -> None:
    from newscrawler.spiders.params import SourceArgs

    words = profile_from_data({"name": "site", "listing": {
        "kind": "html", "url": "http://site.example/{channel}/", "channels": {"tech": "科技", 7: "七"}, "entries": "li",
        "paging": {"kind": "none"}, "fields": {"id": "a::text", "url": "a::attr(href)"}},
        "article": {"body": "article"}, "hexo": {"categories": ["x"], "author": "x"}}, "site.yaml")
    assert SourceArgs.parse(words, channels="tech, 7,new-one").channels == ("tech", 7, "new-one")
    with pytest.raises(ConfigError, match=r"channels='te ch': expected channel ids such as tech,7"):
        SourceArgs.parse(words, channels="te ch")
    with pytest.raises(ConfigError, match="spider argument cids='1': source woshipm has no channels"):
        SourceArgs.parse(load_profiles().get("woshipm"), cids="1")
    assert SourceArgs.parse(load_profiles().get("woshipm")).channels == ()
