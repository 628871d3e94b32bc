"""One request per article: canonical URLs through Scrapy's fingerprinter and dupefilter."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.utils.test import get_crawler

from newscrawler.scheduler.fingerprints import CANONICAL_URL_META
from newscrawler.replica.server import ReplicaServer
from newscrawler.sources.registry import load_profiles
from newscrawler.urls import canonical_url
from tests import oracle
from tests.crawling import crawl, project_settings_dict

SPIDER_ONLY = {"ITEM_PIPELINES": {}}
TRACKING = load_profiles().get("qutoutiao").listing.tracking_params


def fingerprint(url: str, **meta: str) -> bytes:
    crawler = get_crawler(settings_dict=project_settings_dict())
    return crawler.request_fingerprinter.fingerprint(Request(url, meta=meta))


def test_fingerprint_follows_the_canonical_url() -> None:
    listed = [
        "http://html2.qktoutiao.com/detail/1.html?content_id=1&key=aaa&pv_id=%7BA%7D&cid=1&p=1",
        "http://html2.qktoutiao.com/detail/1.html?content_id=1&key=bbb&pv_id=%7BB%7D&cid=255&p=3",
    ]
    marked = {fingerprint(url, **{CANONICAL_URL_META: canonical_url(url, TRACKING)}) for url in listed}
    assert len(marked) == 1
    assert len({fingerprint(url) for url in listed}) == 2  # unmarked requests: Scrapy's own fingerprint
    other = "http://html2.qktoutiao.com/detail/2.html?content_id=2&key=aaa"
    assert fingerprint(other, **{CANONICAL_URL_META: canonical_url(other, TRACKING)}) not in marked


def test_jobdir_keeps_the_seen_articles(via_replica: ReplicaServer, tmp_path: Path) -> None:
    """Fingerprints persist in JOBDIR: a later run skips articles listed there with other keys."""
    settings = {**SPIDER_ONLY, "JOBDIR": str(tmp_path / "job")}
    first = {item.source_id for item in crawl(settings, cids="1").items}
    relisted = first & oracle.expected(via_replica.site, cids=(255,))["emitted"]
    assert relisted, "推荐 re-lists some of channel 1's articles (other cid, key, pv_id)"
    second = crawl(settings, cids="255")
    assert second.items and not first & {item.source_id for item in second.items}
    assert second.stats["dupefilter/filtered"] >= len(relisted)


def test_fingerprint_covers_the_article_id() -> None:
    """Two ids listed with one URL are two articles; one id relisted with other keys is one."""
    listed = "http://html2.qktoutiao.com/detail/1.html?content_id=1&key=aaa&pv_id=%7BA%7D&cid=1"
    relisted = "http://html2.qktoutiao.com/detail/1.html?content_id=1&key=bbb&pv_id=%7BB%7D&cid=255"
    marks = {CANONICAL_URL_META: canonical_url(listed, TRACKING)}
    assert fingerprint(listed, **marks, article_id="qutoutiao:1") == fingerprint(relisted, **marks,
                                                                                   article_id="qutoutiao:1")
    assert fingerprint(listed, **marks, article_id="qutoutiao:1") != fingerprint(listed, **marks,
                                                                                   article_id="qutoutiao:2")
