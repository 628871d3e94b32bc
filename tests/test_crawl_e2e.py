"""The real spider through Scrapy's engine against the replica, over HTTP."""

from __future__ import annotations

import logging

import pytest

from newscrawler.replica.server import ReplicaServer
from newscrawler.replica.site import EXTERNAL_ID, OFFLINE_CHANNEL, SEED_ID
from tests import oracle
from tests.crawling import crawl

SPIDER_ONLY = {"ITEM_PIPELINES": {}}


def test_every_article_once_ads_absent(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    result = crawl(SPIDER_ONLY)
    site = via_replica.site
    ids = [item.source_id for item in result.items]
    assert len(ids) == len(set(ids)), "an article was emitted twice"
    assert set(ids) == oracle.expected(site)["emitted"]
    assert "204777" not in ids  # sponsored card
    stats = result.stats
    assert stats["qutoutiao/listing/ads_skipped"] == 25
    assert stats["dupefilter/filtered"] > 0  # 推荐 repeats other channels' articles
    assert stats["finish_reason"] == "finished"


def test_broken_cases_logged_and_counted(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    result = crawl(SPIDER_ONLY)
    stats = result.stats
    missing = next(a for a in via_replica.site.articles.values() if a.status == "missing")
    assert stats["qutoutiao/detail/error/http_404"] == 1
    assert f"Detail page failed (http_404): http://{missing.host}{missing.path}?" in caplog.text
    assert stats["qutoutiao/listing/error/malformed_json"] == 1
    assert "Bad listing page http://api.1sapp.com/content/outList?cid=2&tn=1&page=3" in caplog.text
    assert stats["retry/count"] == 1  # the flaky 500 succeeded on retry
    flaky = next(a for a in via_replica.site.articles.values() if a.status == "flaky")
    assert flaky.source_id in {i.source_id for i in result.items}
    assert f"http://{flaky.host}{flaky.path}?" in caplog.text and "succeeded after 1 retry" in caplog.text
    assert stats["qutoutiao/recovered_after_retry"] == 1
    assert stats["qutoutiao/listing/error/api_error"] == 1  # offline channel: the API said no, so no page 2
    assert f"cid={OFFLINE_CHANNEL}" in caplog.text and "频道已下线" in caplog.text


def test_videos_flagged_and_hosts_followed(via_replica: ReplicaServer) -> None:
    items = crawl(SPIDER_ONLY).by_source_id()
    videos = [i for i in items.values() if i.content_type == "video"]
    assert videos and all(via_replica.site.articles[i.source_id].video for i in videos)
    hosts = {i.url.split("/")[2] for i in items.values()}
    assert {"html.shehuitu.com", "html2.qktoutiao.com", "www.qiuxingwang.cn"} <= hosts
    assert items[EXTERNAL_ID].url == f"http://www.qiuxingwang.cn/qu/444556.html?content_id={EXTERNAL_ID}"
    # the item's url is the canonical one the dupefilter saw: no tracking keys
    assert all(i.url.endswith(f".html?content_id={i.source_id}") for i in items.values())


def test_arguments_limit_the_crawl(via_replica: ReplicaServer) -> None:
    result = crawl(SPIDER_ONLY, cids="1", pages="2", limit="5")
    expected = oracle.expected(via_replica.site, cids=(1,), limit=5, pages=2)["emitted"]
    assert {i.source_id for i in result.items} == expected
    assert SEED_ID in expected
    assert result.stats["qutoutiao/listing/pages"] == 2
    assert all(i.channel_id == 1 for i in result.items)


def test_channel_ends_on_empty_page(via_replica: ReplicaServer) -> None:
    result = crawl(SPIDER_ONLY, cids="10", pages="50")
    assert result.stats["qutoutiao/listing/pages"] == 6  # 5 full pages, then the empty one
    assert {i.source_id for i in result.items} == oracle.expected(via_replica.site, cids=(10,), pages=50)["emitted"]


# Bad arguments and settings: tests/test_config.py.


def test_unreachable_api_is_logged_not_fatal(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.delenv("http_proxy", raising=False)
    result = crawl(
        {**SPIDER_ONLY, "RETRY_TIMES": 0, "ROBOTSTXT_OBEY": False, "ALLOW_PRIVATE_HOSTS": True},
        cids="1,2", url="http://127.0.0.1:9/content/outList?cid={channel}&page={page}&limit={limit}",
    )
    assert result.items == []
    assert result.stats["finish_reason"] == "finished"
    assert sum(v for k, v in result.stats.items() if k.startswith("qutoutiao/listing/error/")) >= 2
    assert "Bad listing page http://127.0.0.1:9/content/outList?cid=1" in caplog.text


def test_list_url_template_points_at_a_mirror(via_replica: ReplicaServer) -> None:
    mirror = via_replica.url + "/content/outList?cid={channel}&tn=1&page={page}&limit={limit}&mirror=1"
    # The mirror is named by its 127.0.0.1 address, so private hosts must be allowed.
    result = crawl({**SPIDER_ONLY, "ALLOW_PRIVATE_HOSTS": True}, cids="1", pages="1", url=mirror)
    assert result.stats["qutoutiao/listing/pages"] == 1
    assert {i.source_id for i in result.items} == oracle.expected(via_replica.site, cids=(1,), pages=1)["emitted"]
