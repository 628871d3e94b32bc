"""Normalize, body and validate stages, one table each, then the whole chain on the replica."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newscrawler.items import Article
from newscrawler.pipelines.body import BodyPipeline
from newscrawler.pipelines.normalize import NormalizePipeline
from newscrawler.pipelines.validate import ValidatePipeline
from newscrawler.replica.server import ReplicaServer
from newscrawler.replica.site import SEED_ID
from tests import oracle
from tests.articles import PROXY, seed_post_body
from tests.crawling import crawl, project_settings_dict

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)


def pipeline(cls: type, **settings: Any) -> Any:
    return cls.from_crawler(get_crawler(settings_dict=project_settings_dict(**settings)))


def article(**fields: Any) -> Article:
    base = dict(id="qutoutiao:1", source="qutoutiao", source_id="1", url="http://h/1.html", title="t", published_at="1625741751000",
                crawled_at=NOW, content_html="<p>x</p>")
    return Article(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": "  杨幂经典角色盘点，原来我家大幂幂身材这么上镜！ "}, {"title": "杨幂经典角色盘点，原来我家大幂幂身材这么上镜！"}),
        ({"title": "红包来了&quot;速领&quot;\n\t 真的"}, {"title": '红包来了"速领" 真的'}),
        ({"summary": " "}, {"summary": None}),
        ({"summary": '&lt;iframe frameborder="0" src="https://v.qq.com/x"&gt;&lt;/iframe&gt;'}, {"summary": None}),
        ({"summary": "a &amp; b"}, {"summary": "a & b"}),
        ({"author": ""}, {"author": None}),
        ({"tags": ["结局", " ", "", "开头", "结局", None]}, {"tags": ["结局", "开头"]}),
        ({"tags": "a, b,,c"}, {"tags": ["a", "b", "c"]}),
        ({"stats": {"read": "2344", "comment": "3", "share": "0", "like": None}},
         {"stats": {"read": 2344, "comment": 3, "share": 0, "like": None}}),
        ({"stats": {"read": "1.2万"}}, {"stats": {"read": None, "comment": None, "share": None, "like": None}}),
        # typed here; the category is named once, by pages/article.py
        ({"channel_id": 255, "category_id": "13", "category": "体育"}, {"channel_id": 255, "category_id": 13, "category": "体育"}),
        # a channel id is typed by the source's profile: a word stays a word, even the word "1"
        ({"channel_id": "tech"}, {"channel_id": "tech"}),
        ({"channel_id": "1"}, {"channel_id": "1"}),
        ({"channel_id": True}, {"channel_id": None}),
        ({"channel_id": "a b"}, {"channel_id": None}),
        ({"published_at": "1479213961897"}, {"published_at": datetime(2016, 11, 15, 12, 46, 1, 897000, tzinfo=timezone.utc)}),
        ({"published_at": 1479219748}, {"published_at": datetime(2016, 11, 15, 14, 22, 28, tzinfo=timezone.utc)}),
        ({"published_at": "3小时前"}, {"published_at": datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)}),
        ({"content_type": "3"}, {"content_type": "article"}),
    ],
)
def test_normalize(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    item = pipeline(NormalizePipeline).process_item(article(**fields))
    for name, value in expected.items():
        assert getattr(item, name) == value
    assert item.crawled_at.tzinfo is not None


def test_normalize_counts_unreadable_dates() -> None:
    stage = pipeline(NormalizePipeline)
    item = stage.process_item(article(published_at="某天"))
    assert item.published_at is None
    assert stage.stats.get_value("normalize/unparsed_date") == 1


def test_body_stage_sets_images_and_headimg() -> None:
    stage = pipeline(BodyPipeline)
    item = stage.process_item(article(
        content_html='<p>a</p><img data-src="http://s.cn/1.jpg"><script>x</script>',
        cover_images=["http://s.cn/cover.jpg", f"{PROXY}http://s.cn/c2.jpg", "ftp://s.cn/c3.jpg"],
    ))
    assert item.content_html == f'<p>a</p><img src="{PROXY}http://s.cn/1.jpg" referrerpolicy="no-referrer">'
    assert item.content_text == "a"
    assert item.image_urls == ["http://s.cn/1.jpg"]
    assert item.headimg == f"{PROXY}http://s.cn/1.jpg"
    assert item.cover_images == [f"{PROXY}http://s.cn/cover.jpg", f"{PROXY}http://s.cn/c2.jpg", "ftp://s.cn/c3.jpg"]
    again = stage.process_item(item)
    assert again.content_html == item.content_html and again.cover_images == item.cover_images


@pytest.mark.parametrize(
    ("html", "covers", "headimg"),
    [
        ("<p>no image</p>", ["http://s.cn/cover.jpg"], f"{PROXY}http://s.cn/cover.jpg"),
        ("<p>no image</p>", [], None),
    ],
)
def test_headimg_falls_back(html: str, covers: list[str], headimg: str | None) -> None:
    assert pipeline(BodyPipeline).process_item(article(content_html=html, cover_images=covers)).headimg == headimg


def test_body_stage_honours_cors_proxy_setting() -> None:
    item = pipeline(BodyPipeline, CORS_PROXY="").process_item(article(content_html='<img src="http://s.cn/1.jpg">'))
    assert item.content_html == '<img src="http://s.cn/1.jpg" referrerpolicy="no-referrer">'


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": None}, "missing title: http://h/1.html"),
        ({"published_at": None}, "missing published_at: http://h/1.html"),
        ({"content_html": ""}, "missing content_html: http://h/1.html"),
        ({"url": None}, "missing url: qutoutiao:1"),
        ({"id": None, "title": ""}, "missing id, title: http://h/1.html"),
    ],
)
def test_validate_drops(fields: dict[str, Any], reason: str) -> None:
    stage = pipeline(ValidatePipeline)
    item = article(**fields)
    item.published_at = item.published_at and NOW
    with pytest.raises(DropItem, match=re.escape(reason)):
        stage.process_item(item)
    for name in reason.split(":")[0].removeprefix("missing ").split(", "):
        assert stage.stats.get_value(f"validate/missing/{name}") == 1


def test_video_may_have_empty_body() -> None:
    item = article(content_type="video", content_html="", published_at=NOW)
    assert pipeline(ValidatePipeline).process_item(item) is item


HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:|<script|<iframe|<svg", re.IGNORECASE)


def test_replica_crawl_yields_clean_items(via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    result = crawl()
    site = via_replica.site
    items = result.by_source_id()
    assert set(items) == oracle.expected(site)["stored"]
    for item in items.values():
        assert not HANDLER.search(item.content_html), item.url
        for src in re.findall(r'<img src="([^"]+)"', item.content_html):
            assert src.startswith(PROXY), item.url
        assert item.content_html.count("<img") == item.content_html.count('referrerpolicy="no-referrer">')
        assert item.published_at.tzinfo is not None and item.crawled_at.tzinfo is not None
        assert isinstance(item.stats["read"], int)
        assert item.content_type == "video" or item.content_html
        assert item.headimg is None or item.headimg.startswith(PROXY)
    seed = items[SEED_ID]
    assert seed.content_html == seed_post_body()
    assert seed.headimg == f"{PROXY}http://static.1sapp.com/qupost/img/2021/07/08/73e5bc44a5672dabf307650daa9f1f51.jpeg"
    assert seed.published_at == datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)
    empty = next(a for a in site.articles.values() if a.empty_body)
    reason = f"missing content_html: http://{empty.host}{empty.path}?content_id={empty.source_id}"
    assert any(reason == dropped for _, dropped in result.dropped)
    assert result.stats["item_dropped_reasons_count/DropItem"] == 1
    # The log line names the article by its URL; the article itself is not dumped (LOG_FORMATTER).
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("Dropped:")] == [f"Dropped: {reason}"]


def test_replica_encodings_come_out_as_chinese(via_replica: ReplicaServer) -> None:
    encoded = {a.source_id: a for a in via_replica.site.articles.values() if a.charset != "utf-8"}
    # the replica's two cases: GBK declared in the header, GB2312 declared only in <meta>
    assert sorted((a.charset, a.header_charset) for a in encoded.values()) == [("gb2312", False), ("gbk", True)]
    items = crawl(cids=",".join(sorted({str(a.cid) for a in encoded.values()})), pages="1").by_source_id()
    assert set(encoded) <= set(items), "an encoded page was not crawled"
    for source_id, page in encoded.items():
        item = items[source_id]
        assert item.author == page.author  # the listing names none: read from the page, in its own encoding
        first_paragraph = re.search(r"<p>([^<]+)</p>", page.body).group(1)
        assert first_paragraph in item.content_text


def test_replica_date_fallbacks(via_replica: ReplicaServer) -> None:
    items = crawl(cids="1", pages="1").by_source_id()
    by_page_text = [i for i in items.values() if via_replica.site.articles[i.source_id].listing.get("show_time") == 0]
    assert by_page_text and by_page_text[0].published_at == datetime(2021, 7, 7, 16, 0, tzinfo=timezone.utc)
    by_show_time = [i for i in items.values() if via_replica.site.articles[i.source_id].listing == {"publish_time": ""}]
    replica_article = via_replica.site.articles[by_show_time[0].source_id]
    # show_time (seconds) is 5 minutes after publish_time on the replica
    assert by_show_time[0].published_at == replica_article.published + timedelta(minutes=5)


# --- A stage does not hide a bug: an error it does not expect reaches Scrapy (traceback, exit status 3) ---


@pytest.mark.parametrize(
    ("stage_class", "fields"),
    [
        (NormalizePipeline, {"stats": "not a dict"}),  # the spider always builds a dict
        (BodyPipeline, {"content_html": 12}),  # ... and a string body
        (ValidatePipeline, {"content_html": 12}),
    ],
)
def test_unexpected_error_is_not_turned_into_a_drop(stage_class: type, fields: dict[str, Any]) -> None:
    stage = pipeline(stage_class)
    with pytest.raises(AttributeError):
        stage.process_item(article(**fields))
    assert not [key for key in stage.stats.get_stats() if "/error/" in key]


def test_a_pipeline_bug_is_counted_and_logged_with_its_traceback(
    via_replica: ReplicaServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = sorted(oracle.expected(via_replica.site, cids=(1,), pages=1)["stored"])[0]
    validate = ValidatePipeline.process_item

    def process_item(self: ValidatePipeline, item: Any) -> Any:
        if item.source_id == victim:
            raise KeyError("a surprise in project code")
        return validate(self, item)

    monkeypatch.setattr(ValidatePipeline, "process_item", process_item)
    result = crawl(cids="1", pages="1")
    assert {i.source_id for i in result.items} == oracle.expected(via_replica.site, cids=(1,), pages=1)["stored"] - {
        victim}
    assert (result.stats["pipeline_exceptions/count"], result.stats["pipeline_exceptions/KeyError"]) == (1, 1)
    [record] = [r for r in caplog.records if r.exc_info]
    article = via_replica.site.articles[victim]
    assert record.getMessage() == f"Error processing http://{article.host}{article.path}?content_id={victim}"
    assert record.exc_info[0] is KeyError


def test_unparseable_body_is_dropped_not_stored_truncated() -> None:
    stage = pipeline(BodyPipeline)
    with pytest.raises(DropItem, match="body/unparseable"):
        stage.process_item(article(content_html="<div>" * 3000 + "x" + "</div>" * 3000 + "<p>end</p>"))
    assert stage.stats.get_value("body/unparseable") == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("标题\ud800\x00\x1b", "标题"),
        ("a\tb", "a b"),
    ],
)
def test_normalize_scrubs_unencodable_characters(value: str, expected: str) -> None:
    item = pipeline(NormalizePipeline).process_item(article(title=value, author=value))
    assert (item.title, item.author) == (expected, expected)
    item.title.encode("utf-8")  # would raise UnicodeEncodeError on a lone surrogate


@pytest.mark.parametrize("published", ["99999999999999999999", "2999-01-01 10:00", "1985-01-01"])
def test_implausible_dates_count_as_unreadable(published: str) -> None:
    stage = pipeline(NormalizePipeline)
    assert stage.process_item(article(published_at=published)).published_at is None
    assert stage.stats.get_value("normalize/unparsed_date") == 1
