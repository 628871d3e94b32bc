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
from newscrawler.pipelines.body import BodyPipeline
from newscrawler.pipelines.store import StorePipeline
from tests.crawling import crawl, project_settings_dict

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


@pytest.mark.parametrize(
    ("settings", "message"),
    [
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
    assert built(BodyPipeline, BODY_DROP_SELECTORS=["script", " "]).cleaner.drop_tags == ("script",)  # blank: skipped
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
         "Crawl not started: unknown spider arguments -a cid, -a page: valid ones are cids, pages, limit, refresh"),
        (["-a", "cids=1_0"], "Crawl not started: spider argument cids='1_0': expected channel ids such as 255,1,6"),
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
