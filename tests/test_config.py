"""Bad spider arguments and settings stop the crawl at start with one ConfigError naming them."""

from __future__ import annotations

from typing import Any

import pytest

from newscrawler.errors import ConfigError
from tests.crawling import crawl

SPIDER_ONLY = {"ITEM_PIPELINES": {}}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"cid": "1", "page": "1"}, "unknown spider arguments -a cid, -a page: valid ones are cids, pages, limit, refresh"),
        ({"cids": "1", "limt": "5"}, "unknown spider argument -a limt: valid ones are cids, pages, limit, refresh"),
        ({"pages": "0"}, "spider argument pages='0': expected a positive whole number"),
        ({"limit": "ten"}, "spider argument limit='ten'"),
        ({"cids": "1,x"}, "spider argument cids='1,x'"),
        ({"refresh": "maybe"}, "spider argument refresh='maybe'"),
        # ASCII digits only: Python's int() also takes underscores, signs, and other scripts' digits
        ({"cids": "1_0"}, "spider argument cids='1_0': expected channel ids such as 255,1,6"),
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
    ],
)
def test_bad_arguments(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        crawl(SPIDER_ONLY, **args)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


LIST = "http://api.1sapp.com/content/outList?cid={cid}&page={page}&limit={limit}"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"QUTOUTIAO_LIST_URL": LIST + "&x={foo}"}, "QUTOUTIAO_LIST_URL="),
        ({"QUTOUTIAO_LIST_URL": LIST + "&x={"}, "QUTOUTIAO_LIST_URL="),
        ({"QUTOUTIAO_LIST_URL": LIST + "&x={0}"}, "unknown placeholder"),
        ({"QUTOUTIAO_LIST_URL": "http://api.1sapp.com/content/outList?page={page}"}, "must contain {cid} and {page}"),
        ({"QUTOUTIAO_LIST_URL": "ftp://api.1sapp.com/?cid={cid}&page={page}"}, "expected an http:// or https:// URL"),
        ({"QUTOUTIAO_LIST_URL": "api.1sapp.com/?cid={cid}&page={page}"}, "expected an http:// or https:// URL"),
        ({"QUTOUTIAO_BODY_SELECTOR": "div[[["}, "QUTOUTIAO_BODY_SELECTOR='div[[['"),
        ({"QUTOUTIAO_BODY_SELECTOR": ""}, "QUTOUTIAO_BODY_SELECTOR=''"),
        ({"BODY_DROP_SELECTORS": ["script", "::"]}, "BODY_DROP_SELECTORS='::'"),
        ({"CORS_PROXY": "javascript:alert(1)//"}, "CORS_PROXY='javascript:alert(1)//'"),
        ({"CORS_PROXY": "cors.example/?"}, "CORS_PROXY="),
        ({"PAGE_TIMEZONE": "Mars/Base"}, "PAGE_TIMEZONE='Mars/Base'"),
        ({"PAGE_TIMEZONE": "Beijing"}, "PAGE_TIMEZONE='Beijing'"),
        ({"STORE_BATCH_SIZE": "abc"}, "STORE_BATCH_SIZE='abc': expected a positive whole number"),
        ({"STORE_BATCH_SIZE": 0}, "STORE_BATCH_SIZE=0"),
        ({"QUTOUTIAO_PAGES": "-1"}, "QUTOUTIAO_PAGES='-1'"),
        ({"QUTOUTIAO_LIMIT": "2.5"}, "QUTOUTIAO_LIMIT='2.5'"),
        ({"QUTOUTIAO_MAX_BAD_PAGES": ""}, "QUTOUTIAO_MAX_BAD_PAGES=''"),
        ({"STORE_WRITE_ATTEMPTS": "0"}, "STORE_WRITE_ATTEMPTS='0'"),
        ({"MONGO_CONNECT_TIMEOUT_MS": "fast"}, "MONGO_CONNECT_TIMEOUT_MS='fast'"),
        ({"DOWNLOAD_MAXSIZE": "5MB"}, "DOWNLOAD_MAXSIZE='5MB'"),
        ({"DOWNLOAD_MAXHEADERSIZE": "64k"}, "DOWNLOAD_MAXHEADERSIZE='64k'"),
        ({"DOWNLOAD_MAXHEADERS": 0}, "DOWNLOAD_MAXHEADERS=0"),
        ({"STORE_FLUSH_INTERVAL": "-1"}, "STORE_FLUSH_INTERVAL='-1'"),
        ({"STORE_RETRY_BACKOFF": "nan"}, "STORE_RETRY_BACKOFF='nan'"),
        ({"MONGO_URI": "mongodb://h:99999/"}, "MONGO_URI does not parse"),
        ({"MONGO_URI": "http://user:secret@h/"}, "MONGO_URI does not parse"),
        ({"MONGO_URI": "mongodb://h/?notAnOption=1"}, "MONGO_URI does not parse"),
    ],
)
def test_bad_settings(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        crawl({**SPIDER_ONLY, **settings})
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"CORS_PROXY": ""},
        {"MONGO_URI": ""},
        {"STORE_FLUSH_INTERVAL": "0"},
        {"QUTOUTIAO_LIST_URL": "https://mirror.example/list?cid={cid}&p={page}"},
    ],
)
def test_good_settings_pass(settings: dict[str, Any]) -> None:
    from scrapy.settings import Settings

    from newscrawler import settings as project
    from newscrawler.config import validate_settings

    values = Settings()
    values.setmodule(project)
    values.update(settings)
    validate_settings(values)  # raises nothing


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["-a", "cid=1", "-a", "page=1"],
         "Crawl not started: unknown spider arguments -a cid, -a page: valid ones are cids, pages, limit, refresh"),
        (["-s", "QUTOUTIAO_BODY_SELECTOR=div[[["], "Crawl not started: QUTOUTIAO_BODY_SELECTOR='div[[['"),
        (["-s", "QUTOUTIAO_LIST_URL=http://api.1sapp.com/?cid={cid}&page={page}&x={foo}"],
         "Crawl not started: QUTOUTIAO_LIST_URL="),
        (["-s", "CORS_PROXY=javascript:alert(1)//"], "Crawl not started: CORS_PROXY='javascript:alert(1)//'"),
        (["-s", "MONGO_BATCH_SIZE=abc"], "Crawl not started: MONGO_BATCH_SIZE='abc'"),
        (["-a", "cids=1_0"], "Crawl not started: spider argument cids='1_0': expected channel ids such as 255,1,6"),
        (["-a", "pages=١٠"], "Crawl not started: spider argument pages='١٠': expected a positive whole number"),
        # Checked before Scrapy builds its download handlers, which would log it and drop http.
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


@pytest.mark.parametrize(
    ("args", "cids", "pages", "limit"),
    [
        ({"cids": " 255, 1 ,6,1", "pages": " 2 ", "limit": "007"}, (255, 1, 6), 2, 7),
        ({"cids": "10"}, (10,), 10, 10),
    ],
)
def test_good_arguments(args: dict[str, str], cids: tuple[int, ...], pages: int, limit: int) -> None:
    from newscrawler.spiders.params import QutoutiaoArgs

    parsed = QutoutiaoArgs.parse(10, 10, **args)
    assert (parsed.cids, parsed.pages, parsed.limit) == (cids, pages, limit)
