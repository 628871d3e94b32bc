"""Which workers share a run: the run name of a crawl (spider, arguments, store target, REDIS_RUN_NAME)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from scrapy.settings import BaseSettings
from scrapy.utils.test import get_crawler

from newscrawler.errors import ConfigError
from newscrawler.scheduler.run_identity import run_identity, spider_arguments
from newscrawler.storage import store_target
from tests.crawling import project_settings_dict, source_spider

QutoutiaoSpider = source_spider("qutoutiao")

SQLITE = {"MONGO_URI": "", "NEWSCRAWLER_DB": "/srv/news/a.sqlite3"}
MONGO = {"MONGO_URI": "mongodb://crawler:pw@db1:27017,db2:27017/?replicaSet=rs0", "MONGO_DATABASE": "newscrawler",
         "MONGO_COLLECTION": "articles"}


def name(spider_args: dict[str, str] | None = None, run_name: str = "", **settings: str) -> str:
    """The run name of ``scrapy crawl qutoutiao -a …`` with these settings, as the scheduler derives it."""
    crawler = get_crawler(QutoutiaoSpider, project_settings_dict(**{**SQLITE, **settings}))
    spider = QutoutiaoSpider.from_crawler(crawler, **(spider_args or {}))
    return run_identity(spider.name, spider_arguments(spider), store_target(crawler.settings), run_name).name


BASE = name({"cids": "1,2"})


@pytest.mark.parametrize(
    ("change", "spider_args", "settings", "same_run"),
    [
        ("nothing", {"cids": "1,2"}, {}, True),
        ("the default pages, given", {"cids": "1,2", "pages": "10"}, {}, True),
        ("spaces in the list", {"cids": " 1, 2 "}, {}, True),
        ("channels, cids' new name", {"channels": "1,2"}, {}, True),
        ("Scrapyd's job id, new for every worker", {"cids": "1,2", "_job": "7f3a"}, {}, True),
        ("the same file, spelled otherwise", {"cids": "1,2"}, {"NEWSCRAWLER_DB": "/srv/news/../news/a.sqlite3"}, True),
        ("other channels", {"cids": "1"}, {}, False),
        ("the channels in another order", {"cids": "2,1"}, {}, False),
        ("more pages", {"cids": "1,2", "pages": "11"}, {}, False),
        ("another limit", {"cids": "1,2", "limit": "20"}, {}, False),
        ("refresh", {"cids": "1,2", "refresh": "1"}, {}, False),
        ("another SQLite file", {"cids": "1,2"}, {"NEWSCRAWLER_DB": "/srv/news/b.sqlite3"}, False),
        ("MongoDB", {"cids": "1,2"}, MONGO, False),
    ],
)
def test_run_name_follows_the_crawl(change: str, spider_args: dict[str, str], settings: dict[str, str],
                                    same_run: bool) -> None:
    assert (name(spider_args, **settings) == BASE) is same_run, change


@pytest.mark.parametrize(
    ("change", "settings", "same_run"),
    [
        ("other credentials", {"MONGO_URI": "mongodb://reader:other@db1:27017,db2:27017/?replicaSet=rs0"}, True),
        ("hosts in another order, default port", {"MONGO_URI": "mongodb://crawler:pw@DB2,db1/"}, True),
        ("another database", {"MONGO_DATABASE": "staging"}, False),
        ("another collection", {"MONGO_COLLECTION": "archive"}, False),
        ("another host", {"MONGO_URI": "mongodb://crawler:pw@db3:27017/"}, False),
        ("another port", {"MONGO_URI": "mongodb://crawler:pw@db1:27018,db2:27017/"}, False),
    ],
)
def test_mongodb_target_is_hosts_database_and_collection(change: str, settings: dict[str, str], same_run: bool) -> None:
    assert (name({"cids": "1"}, **{**MONGO, **settings}) == name({"cids": "1"}, **MONGO)) is same_run, change


def test_relative_sqlite_path_is_the_same_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert name(NEWSCRAWLER_DB="data/a.sqlite3") == name(NEWSCRAWLER_DB=str(tmp_path / "data" / "a.sqlite3"))


def test_run_name_setting_names_the_run_whatever_the_crawl() -> None:
    assert name({"cids": "1"}, run_name="nightly") == name({"cids": "2"}, run_name="nightly") == "nightly"
    described = run_identity("qutoutiao", {"cids": [1]}, "sqlite:/srv/a.sqlite3", "nightly").description
    assert described.startswith("REDIS_RUN_NAME") and "cids" in described


@pytest.mark.parametrize("run_name", ["a:b", "50%", "-lead", "x" * 65, "two words", "名字"])
def test_run_name_setting_must_be_safe_in_redis_keys(run_name: str) -> None:
    with pytest.raises(ConfigError, match="REDIS_RUN_NAME="):
        run_identity("qutoutiao", {}, "sqlite:/srv/a.sqlite3", run_name)


@pytest.mark.parametrize("password", ["Sup3r#Secret", "Pa55?word", "Pa%40ss%2Fw%3Ard", "Plain5ecret"])
def test_store_target_never_holds_credentials(password: str) -> None:
    settings = BaseSettings({**MONGO, "MONGO_URI": f"mongodb://agent7:{password}@db1:27017/?authSource=admin"})
    try:
        target = store_target(settings)
    except ConfigError as exc:  # a URI pymongo cannot read either: one line, nothing of it quoted
        target = str(exc)
    for secret in (password, unquote(password), password[:4], "agent7"):
        assert secret not in target


@pytest.mark.parametrize("password", ["Pa55/w", "Pa55?w", "Pa55:w@rd"])
def test_store_target_is_the_hosts_whatever_the_password_holds(password: str) -> None:
    """The user info ends at the URI's last @ (mongouri.split): a / or ? in an unescaped password
    does not cut the host list short, and two spellings of one server name one target."""
    settings = BaseSettings({**MONGO, "MONGO_URI": f"mongodb://agent7:{password}@db2,DB1:27018/news?tls=true"})
    assert store_target(settings) == "mongodb://db1:27018,db2:27017/newscrawler.articles"


def test_store_target_of_an_srv_uri_is_its_host_without_a_lookup() -> None:
    settings = BaseSettings({**MONGO, "MONGO_URI": "mongodb+srv://crawler:pw@Cluster0.example.net/?tls=true"})
    assert store_target(settings) == "mongodb+srv://cluster0.example.net/newscrawler.articles"
