"""The stored-body cap acts the same on both stores: the hostile replica crawled into SQLite and MongoDB.

A body too large once cleaned (MAX_BODY_BYTES) is dropped before the store stage, with its reason, a
stat and a line naming the URL; everything else the hostile channel holds is stored, on either store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from newscrawler.items import Article
from newscrawler.pipelines.body import BodyPipeline
from newscrawler.replica import hostile
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from newscrawler.storage.base import Query
from newscrawler.storage.documents import to_document
from tests.crawling import crawl, proxy_through
from tests.stores import BACKENDS, crawl_settings, open_backend

PAGE_URL = "http://html2.qktoutiao.com"


@pytest.fixture(scope="module")
def hostile_replica() -> Iterator[ReplicaServer]:
    server = serve_in_thread(0, ReplicaConfig(hostile=True))
    yield server
    server.shutdown()


def expected_stored() -> set[str]:
    stored = {c.sid for c in hostile.CASES if c.outcome == "stored"} | set(hostile.GOOD_ENTRIES)
    return {("990111&x" if sid == "990111" else sid) for sid in stored}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_body_over_the_cap_is_dropped_before_either_store(
    backend: str, hostile_replica: ReplicaServer, store_settings: dict[str, Any], request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    proxy_through(monkeypatch, hostile_replica.url)
    settings = {**crawl_settings(backend, store_settings, request), "RETRY_TIMES": 0}
    result = crawl(settings, cids=str(hostile.HOSTILE_CHANNEL), pages="1", limit="50")
    assert result.stats["body/too_large"] == 1
    url = f"{PAGE_URL}/detail/hostile/990504.html?content_id=990504"
    assert f"Body of {url} too large to store: " in caplog.text
    assert [reason for _, reason in result.dropped if "990504" in reason][0].startswith("body/too_large (")
    store = open_backend(settings)
    try:
        stored = {doc["source_id"]: doc for doc in store.query(Query())}
    finally:
        store.close()
    assert set(stored) == expected_stored()  # the same set on SQLite and on MongoDB
    assert "store/rejected" not in " ".join(result.stats) and "store/deadlettered" not in result.stats
    assert all(stored_body_bytes_of(doc) <= 8 * 1024 * 1024 for doc in stored.values())


def stored_body_bytes_of(doc: dict[str, Any]) -> int:
    return sum(len(part.encode()) for part in (doc["content_html"], doc["content_text"], *doc["image_urls"]))


def test_the_issues_page_is_over_the_default_cap() -> None:
    """4.5 MB of '&' (under DOWNLOAD_MAXSIZE) cleans to 22.5 MB of '&amp;': past MongoDB's 16 MB."""
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from newscrawler.pages.detail import ArticlePageReader
    from newscrawler.replica.content import page_html
    from newscrawler.sources.registry import load_profiles
    from tests.crawling import project_settings_dict

    stage = BodyPipeline.from_crawler(get_crawler(settings_dict=project_settings_dict()))
    page = page_html(title="t", author="a", time_text="", body="<p>" + "&" * 4_500_000 + "</p>", charset="utf-8",
                     like=1)
    assert len(page.encode()) < project_settings_dict()["DOWNLOAD_MAXSIZE"]
    item = Article(id="qutoutiao:1", source="qutoutiao", url="http://h.cn/1.html", title="t",
                   content_html=ArticlePageReader(load_profiles().get("qutoutiao")).parse(
                       page, "http://h.cn/1.html", datetime.now(timezone.utc)).content_html)
    with pytest.raises(DropItem, match=r"^body/too_large \(27000007 bytes > MAX_BODY_BYTES 8388608\): http://h.cn/1"):
        stage.process_item(item)
    assert stage.stats.get_value("body/too_large") == 1


def test_a_body_at_the_default_cap_fits_mongodb(mongo_uri: str, mongo_db: str) -> None:
    """The default leaves room for the other fields under MongoDB's 16 MB document limit."""
    from tests.stores import mongo_store

    cap = 8 * 1024 * 1024
    images = [f"http://static.1sapp.com/qupost/img/{n:07d}.jpeg" for n in range(20_000)]
    text = "正文" * 100_000
    html_bytes = cap - sum(len(u) for u in images) - len(text.encode())
    article = Article(id="qutoutiao:1", source="qutoutiao", url="http://h.cn/1.html", title="标" * 10_000, summary="摘" * 10_000,
                      published_at=datetime(2021, 7, 8, tzinfo=timezone.utc), crawled_at=datetime.now(timezone.utc),
                      content_html="&amp;" * (html_bytes // 5), content_text=text, image_urls=images,
                      tags=["标签"] * 50, cover_images=images[:100], content_type="article")
    assert cap - 5 < sum(len(p.encode()) for p in (article.content_html, text, *images)) <= cap
    store = mongo_store(mongo_uri, mongo_db)
    try:
        result = store.write([to_document(article)], datetime.now(timezone.utc))
        assert (result.new, result.rejected) == (1, [])
    finally:
        store.close()


def test_max_body_bytes_is_checked_where_it_is_read() -> None:
    from scrapy.utils.test import get_crawler

    from newscrawler.errors import ConfigError
    from tests.crawling import project_settings_dict

    for value in ("0", "8MB", "-1", ""):
        with pytest.raises(ConfigError, match=f"MAX_BODY_BYTES={value!r}: expected a positive whole number"):
            BodyPipeline.from_crawler(get_crawler(settings_dict=project_settings_dict(MAX_BODY_BYTES=value)))
