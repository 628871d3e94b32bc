"""Hostile pages of every listing kind, crawled end to end (``ReplicaConfig(hostile=True)``).

Every good entry is stored, every bad case is counted and logged with its URL, nothing reaches
the bug path (``spider_exceptions/``, ``pipeline_exceptions/``) and no traceback is logged; an
external entity is never resolved and a billion laughs never expand.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from newscrawler.replica import dockone, feed_attacks, woshipm, zaker
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests.crawling import CrawlResult, LogRecords, crawl, proxy_through

DOCKONE = "http://weekly.dockone.io/hostile/{}"
WOSHIPM = "http://www.woshipm.com/__api/v1/hostile/{}/page/{{page}}"
FEEDS = "http://feeds.example.com{}"


@dataclass
class Hostile:
    server: ReplicaServer
    runs: dict[str, CrawlResult] = field(default_factory=dict)
    logs: dict[str, list[logging.LogRecord]] = field(default_factory=dict)
    truth: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def log(self, case: str) -> str:
        return "\n".join(r.getMessage() for r in self.logs[case])

    def stored(self, case: str) -> set[str]:
        return {item.source_id for item in self.runs[case].items}

    def good(self, source: str) -> set[str]:
        return {a["id"] for a in self.truth[source]}


# case name -> (spider, arguments)
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "dockone/rows": ("dockone", {"url": DOCKONE.format("rows")}),
    "dockone/empty": ("dockone", {"url": DOCKONE.format("empty")}),
    "dockone/next-private": ("dockone", {"url": DOCKONE.format("next-private")}),
    **{f"woshipm/{case}": ("woshipm", {"url": WOSHIPM.format(case)}) for case in woshipm.HOSTILE_DOCUMENTS},
    "zaker/hostile": ("zaker", {"channels": f"{zaker.HOSTILE_ROWS},{zaker.HOSTILE_EMPTY},{zaker.HOSTILE_OCTET}"}),
    **{f"feed{path}": ("feed", {"url": FEEDS.format(path), "name": "blog"}) for path in feed_attacks.CASES},
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    server = serve_in_thread(0, ReplicaConfig(hostile=True))
    folder = tmp_path_factory.mktemp("hostile-sources")
    found = Hostile(server)
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        with pytest.MonkeyPatch.context() as patch:
            proxy_through(patch, server.url)
            for number, (case, (spider, args)) in enumerate(CASES.items()):
                handler = LogRecords()
                root.addHandler(handler)
                try:
                    found.runs[case] = crawl(
                        {"MONGO_URI": "", "NEWSCRAWLER_DB": str(folder / f"{number}.sqlite3"),
                         "DEADLETTER_DIR": str(folder / f"dl{number}"), "RETRY_TIMES": 0},
                        spider=spider, **args)
                finally:
                    root.removeHandler(handler)
                found.logs[case] = handler.records
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(server.url + "/__articles", timeout=30) as response:
            found.truth = json.loads(response.read())["hostile"]
        yield found
    finally:
        root.setLevel(old_level)
        server.shutdown()


def test_no_case_reaches_the_bug_path_or_logs_a_traceback(hostile: Hostile) -> None:
    for case, result in hostile.runs.items():
        stats = result.stats
        assert [k for k in stats if k.startswith(("spider_exceptions/", "pipeline_exceptions/"))] == [], case
        assert stats["finish_reason"] == "finished" and "store/lost" not in stats, case
        assert [r.getMessage() for r in hostile.logs[case] if r.exc_info] == [], case
        assert "Traceback" not in hostile.log(case), case


# --- html: dockone (next links) ----------------------------------------------------------------

def test_dockone_rows_keep_the_good_and_count_the_bad(hostile: Hostile) -> None:
    stats = hostile.runs["dockone/rows"].stats
    assert hostile.stored("dockone/rows") == hostile.good("dockone")  # 900101/900102: the page's own time
    assert stats["dockone/listing/invalid/url"] == 4  # no <a>, no href, javascript:, data:
    assert stats["dockone/detail/error/private_host"] == 2 and stats["privatehosts/refused"] == 2  # 127.0.0.1, 10.0.0.8
    assert stats["dockone/listing/coerced/published_at/unreadable"] == 1  # 未知时间
    assert stats["dockone/listing/coerced/published_at/out_of_range"] == 1  # next year
    assert "4 listing entries without a usable id or url on http://weekly.dockone.io/hostile/rows" in hostile.log(
        "dockone/rows")
    # its next link leads to /hostile/loop, whose next link is itself: fetched once
    assert stats["dockone/listing/pages"] == 2 and hostile.server.hits["weekly.dockone.io/hostile/loop"] == 1
    assert stats["dupefilter/filtered"] >= 1


def test_dockone_listing_without_rows(hostile: Hostile) -> None:
    assert hostile.runs["dockone/empty"].stats["dockone/listing/error/no_rows"] == 1
    assert ("Bad listing page http://weekly.dockone.io/hostile/empty: no row matches '.aw-common-list .article'"
            in hostile.log("dockone/empty"))


def test_dockone_next_link_to_this_machine(hostile: Hostile) -> None:
    stats = hostile.runs["dockone/next-private"].stats
    assert hostile.stored("dockone/next-private") == {"900002"}
    assert stats["dockone/listing/error/private_host"] == 1
    assert not [path for path in hostile.server.hits if path.startswith("/private/")]


# --- json: woshipm -------------------------------------------------------------------------------

def test_woshipm_fields_of_the_wrong_type(hostile: Hostile) -> None:
    stats = hostile.runs["woshipm/fields"].stats
    stored = {e.sid for e in woshipm.HOSTILE_ENTRIES if e.outcome == "stored"} | set(woshipm.HOSTILE_GOOD)
    assert hostile.stored("woshipm/fields") == stored == hostile.good("woshipm")
    assert stats["woshipm/listing/invalid/id"] == 4  # object, boolean, fraction, null
    assert stats["woshipm/listing/invalid/url"] == 2  # javascript:, a list
    assert stats["woshipm/detail/error/private_host"] == 1  # 127.0.0.1: refused, never fetched
    assert stats["woshipm/listing/coerced/title"] == 1 and stats["woshipm/listing/coerced/author"] == 1
    assert stats["woshipm/listing/coerced/published_at/unreadable"] == 1  # 2018/13/45
    assert stats["woshipm/listing/coerced/published_at/wrong_type"] == 2  # a number, an object
    assert stats["woshipm/listing/coerced/published_at/out_of_range"] == 1  # 2099/01/01
    items = hostile.runs["woshipm/fields"].by_source_id()
    assert items["9900105"].title == "恶意列表里的好文章 9900105"  # the page's title, not the list's
    assert all(item.published_at.year == 2018 for item in items.values())  # the pages' dates where the listing lied


@pytest.mark.parametrize(("case", "reason"), [
    ("payload-object", "unexpected_shape"), ("payload-string", "unexpected_shape"), ("not-json", "malformed_json"),
    ("truncated", "malformed_json"), ("deep", "malformed_json"),
])
def test_woshipm_unusable_documents(hostile: Hostile, case: str, reason: str) -> None:
    assert hostile.runs[f"woshipm/{case}"].stats[f"woshipm/listing/error/{reason}"] == 1
    assert f"Bad listing page http://www.woshipm.com/__api/v1/hostile/{case}/page/1: " in hostile.log(f"woshipm/{case}")


def test_woshipm_listing_sent_as_html_is_read(hostile: Hostile) -> None:
    assert hostile.stored("woshipm/wrong-type") == set(woshipm.HOSTILE_GOOD)


# --- html: zaker (channels, relative times) -------------------------------------------------------

def test_zaker_hostile_channels(hostile: Hostile) -> None:
    run = hostile.runs["zaker/hostile"]
    stats = run.stats
    assert hostile.good("zaker") <= hostile.stored("zaker/hostile")  # the octet-stream channel's rows too
    assert stats["zaker/listing/invalid/url"] == 4  # no <a>, no href, javascript:, data:
    assert stats["zaker/detail/error/private_host"] == 2  # 127.0.0.1, 192.168.1.1
    future = sum(v for k, v in stats.items() if k in ("zaker/listing/coerced/published_at/future",
                                                       "zaker/listing/coerced/published_at/out_of_range"))
    assert future >= 3  # 5分钟后, 明天 10:30, next year (and MM-DD ahead, on the days it is shown)
    assert stats["zaker/listing/error/no_rows"] == 1  # the challenge page
    sources = hostile.server.site.sources.zaker
    for item in run.items:  # no future time: each stored one is its article's true time, to the day at least
        assert item.published_at <= item.crawled_at
        true = sources.true_time(item.source_id)
        assert true is not None and abs((item.published_at - true).days) <= 366
    assert "Bad listing page http://www.myzaker.com/channel/98: no row matches 'div.content-block'" in hostile.log(
        "zaker/hostile")


# --- feeds -----------------------------------------------------------------------------------------

GOOD_FEED_IDS = {f"tag:feeds.example.com,2021:post-{n}" for n in feed_attacks.GOOD_IDS}


def test_feeds_that_can_be_read_keep_their_good_entries(hostile: Hostile) -> None:
    readable = [p for p in feed_attacks.CASES if p not in ("/hostile/not-xml.xml", "/hostile/gzip-bomb.xml",
                                                           "/hostile/truncated.xml")]
    for path in readable:
        assert GOOD_FEED_IDS <= hostile.stored(f"feed{path}"), path
    truncated = hostile.stored("feed/hostile/truncated.xml")
    assert truncated == {f"tag:feeds.example.com,2021:post-{n}" for n in feed_attacks.GOOD_IDS[:2]}
    assert hostile.runs["feed/hostile/truncated.xml"].stats["blog/listing/recovered/malformed_feed"] == 1
    assert {a["url"] for a in hostile.truth["feed"]} == {
        f"http://feeds.example.com/posts/{n}.html" for n in feed_attacks.GOOD_IDS}


def test_a_feed_that_is_not_one(hostile: Hostile) -> None:
    assert hostile.runs["feed/hostile/not-xml.xml"].stats["blog/listing/error/not_a_feed"] == 1
    assert "Bad listing page http://feeds.example.com/hostile/not-xml.xml: no RSS or Atom feed" in hostile.log(
        "feed/hostile/not-xml.xml")
    assert hostile.runs["feed/hostile/gzip-bomb.xml"].stats["blog/listing/error/too_large"] == 1


def test_entities_never_expand_nor_reach_outside(hostile: Hostile) -> None:
    for case in ("billion-laughs", "xxe-file", "xxe-http"):
        for item in hostile.runs[f"feed/hostile/{case}.xml"].items:
            text = " ".join(str(v) for v in (item.title, item.content_html, item.content_text, item.summary))
            assert "lollol" not in text and "root:" not in text and "replica-private-secret" not in text, case
    assert hostile.server.hits.get(feed_attacks.XXE_PATH, 0) == 0  # the external entity was never fetched


def test_feed_scripts_and_private_links(hostile: Hostile) -> None:
    scripts = hostile.runs["feed/hostile/scripts.xml"]
    assert scripts.stats["blog/listing/invalid/url"] == 1  # the entry whose link is javascript:
    for item in scripts.items:
        assert "<script" not in item.content_html and "javascript:" not in item.content_html
        assert "onerror" not in item.content_html and "<iframe" not in item.content_html
    # entries linking to this machine or the private network: never fetched (the feed carries the content)
    assert not [p for p in hostile.server.hits if p.startswith(("/private/", "10.1.2.3"))]


def test_feed_dates_and_json_feed_types(hostile: Hostile) -> None:
    dates = hostile.runs["feed/hostile/dates.xml"].stats
    assert dates["blog/listing/coerced/published_at/out_of_range"] == 1  # 2099
    assert dates["blog/listing/coerced/published_at/unreadable"] == 1  # 去年夏天
    assert dates["validate/missing/published_at"] == 3  # those two and the undated one: counted, not stored
    types = hostile.runs["feed/hostile/wrong-types.json"]
    stats = types.stats
    assert stats["blog/listing/invalid/id"] == 1 and stats["blog/listing/invalid/entry"] == 2  # {"guid"}, a string, null
    assert stats["blog/listing/invalid/url"] == 1 and stats["blog/listing/coerced/title"] == 1
    assert stats["blog/listing/coerced/content_html"] == 1  # a number is no body
    assert stats["blog/listing/coerced/published_at/unreadable"] == 1
    assert {i.source_id for i in types.items} >= GOOD_FEED_IDS and "wrong-content" not in {i.source_id for i in types.items}


@pytest.mark.parametrize("path", ["/hostile/wrong-type.xml", "/hostile/wrong-type.atom", "/hostile/wrong-type.json"])
def test_feeds_with_a_wrong_content_type_are_read(hostile: Hostile, path: str) -> None:
    assert hostile.stored(f"feed{path}") == GOOD_FEED_IDS


# --- a user's profile whose own rules meet values they cannot take ------------------------------

# Dropped into SOURCES_DIR: JMESPath functions that refuse some of the replica's values (a skip
# rule's contains() on a boolean, join() over a title that is a string) and a regex that backtracks
# for ever on the value it is given (eight ids and a "!"). Before, the first failed every listing
# page (JMESPathTypeError: 0 items, exit 3) and the second held the reactor thread for hours.
USER_PROFILE = r"""
name: mine
listing:
  kind: json
  url: "http://api.1sapp.com/content/outList?cid={channel}&tn=1&page={page}&limit={limit}"
  channels: {255: 推荐, 1: 热点}
  paging: {kind: pages, max_pages: 1, per_page: 20}
  entries: data.data
  skip:
    - "contains(tips, '广告')"
    - "contains(is_favorite, 'x')"
  fields:
    id: id
    url: url
    title: ["join(' ', title)", title]
    summary: {path: "join('', [id, id, id, id, id, id, id, id, '!'])", pattern: '^(\w|\w\w)*$'}
    published_at: {path: publish_time, format: epoch}
article:
  body: div.content
hexo: {categories: [mine], author: mine}
"""


def test_a_user_profile_whose_functions_and_patterns_fail_keeps_every_entry(
        hostile: Hostile, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "mine.yaml").write_text(USER_PROFILE, "utf-8")
    proxy_through(monkeypatch, hostile.server.url)
    handler = LogRecords()
    logging.getLogger().addHandler(handler)
    try:
        result = crawl({"SOURCES_DIR": str(sources), "MONGO_URI": "", "NEWSCRAWLER_DB": str(tmp_path / "s.sqlite3"),
                        "DEADLETTER_DIR": str(tmp_path / "dl"), "RETRY_TIMES": 0}, spider="mine")
    finally:
        logging.getLogger().removeHandler(handler)
    stats, log = result.stats, "\n".join(r.getMessage() for r in handler.records)
    assert [k for k in stats if k.startswith(("spider_exceptions/", "pipeline_exceptions/"))] == []
    assert "Traceback" not in log and stats["finish_reason"] == "finished"
    entries = stats["mine/listing/coerced/title"]  # join() refused each entry's title, a string
    assert stats["mine/listing/pages"] == 2 and stats.get("mine/listing/invalid_entries", 0) == 0
    assert len(result.by_source_id()) == stats["store/new"] >= 20 and len(result.items) <= entries
    assert stats["mine/listing/ads_skipped"] >= 1  # contains(tips, '广告') still finds the ads
    assert all(item.title and item.summary is None for item in result.items)  # titles by the second rule
    assert stats["mine/listing/pattern_timeout/summary"] == entries
    assert log.count("Pattern '^(\\\\w|\\\\w\\\\w)*$' of field summary ran over 0.1s") == 1  # once per field
    assert "on a value of http://html2.qktoutiao.com/" in log
