"""The 趣头条 listing, read by its profile (the json kind), on the real 2016 captures and hand-made edge cases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scrapy.responsetypes import responsetypes

from newscrawler.pages.entries import ListingError, ListingPage
from newscrawler.pages.json_listing import JsonListing
from newscrawler.sources.registry import load_profiles
from tests.conftest import FIXTURES
from tests.crawling import make_spider

LISTING = JsonListing(load_profiles().get("qutoutiao"))


def parse_listing(body: str | bytes) -> ListingPage:
    return LISTING.parse(body, "http://api.1sapp.com/content/outList?cid=1&tn=1&page=1&limit=10")


@pytest.mark.parametrize(
    ("fixture", "entries", "ads"),
    [
        ("qutoutiao-list-cid2-2016.json", 10, 1),
        ("qutoutiao-list-cid255-2016.json", 10, 2),  # one type:ad slot plus one sponsored card
        ("qutoutiao-list-cid6-2016.json", 10, 1),
    ],
)
def test_real_captures(fixture: str, entries: int, ads: int) -> None:
    page = parse_listing((FIXTURES / fixture).read_bytes())
    assert len(page.entries) == entries
    assert page.skipped == ads
    assert page.invalid == 0
    for entry in page.entries:
        assert "&amp;" not in entry.url
        assert entry.canonical_url == f"{entry.url.split('?')[0]}?content_id={entry.source_id}"
    raw_ids = [e["id"] for e in json.loads((FIXTURES / fixture).read_bytes())["data"]["data"] if "id" in e]
    assert {e.source_id for e in page.entries} <= set(raw_ids)


def test_capture_without_code_counts_as_success() -> None:
    doc = json.loads((FIXTURES / "qutoutiao-list-cid255-2016.json").read_text())
    assert "code" not in doc
    page = parse_listing(json.dumps(doc))
    ids = [e.source_id for e in page.entries]
    assert "204777" not in ids  # the sponsored download card, tipped 广告
    external = next(e for e in page.entries if e.source_id == "223700")
    assert external.canonical_url == "http://www.qiuxingwang.cn/qu/444556.html?content_id=223700"
    assert external.author == "球星网"  # the listing's source_id is a site name, not an id


def test_unescapes_urls() -> None:
    page = parse_listing((FIXTURES / "qutoutiao-list-cid2-2016.json").read_bytes())
    first = page.entries[0]
    assert first.url.startswith("http://html.shehuitu.com/detail/2016/11/15/221131.html?content_id=221131&key=")
    assert "&pv_id=%7B7678D1A9" in first.url


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty_body"),
        (b"   \n", "empty_body"),
        (b'{"code": 0, "data": {"data": [', "malformed_json"),
        (b"<html>502 Bad Gateway</html>", "malformed_json"),
        (b'{"code": -104, "message": "\xe9\xa2\x91\xe9\x81\x93\xe5\xb7\xb2\xe4\xb8\x8b\xe7\xba\xbf"}', "api_error"),
        (b'{"code": "1", "message": "bad"}', "api_error"),
        (b"[1, 2]", "unexpected_shape"),
        (b'{"code": 0, "data": {"data": "x"}}', "unexpected_shape"),
    ],
)
def test_unusable_pages(body: bytes, reason: str) -> None:
    with pytest.raises(ListingError) as info:
        parse_listing(body)
    assert info.value.reason == reason


def test_api_error_message_is_kept() -> None:
    with pytest.raises(ListingError, match="频道已下线"):
        parse_listing('{"code": -104, "message": "频道已下线", "data": []}')


@pytest.mark.parametrize(
    ("items", "entries", "ads", "invalid", "empty"),
    [
        ([], 0, 0, 0, True),
        ([{"type": "ad", "slotId": 1}], 0, 1, 0, False),
        ([{"id": "1", "url": "http://h/1.html", "tips": "广告"}], 0, 1, 0, False),
        ([{"id": "1", "url": "http://h/1.html", "content_type": "5"}], 0, 1, 0, False),
        ([{"id": "", "url": "http://h/1.html"}, {"id": "2"}], 0, 0, 2, False),
        ([{"id": "3", "url": "javascript:void(0)"}, "junk"], 0, 0, 2, False),
        ([{"id": 4, "url": "http://h/4.html", "content_type": "3", "tips": "视频"}], 1, 0, 0, False),
    ],
)
def test_entry_kinds(items: list[Any], entries: int, ads: int, invalid: int, empty: bool) -> None:
    page = parse_listing(json.dumps({"code": 0, "data": {"data": items}}))
    assert (len(page.entries), page.skipped, page.invalid, page.is_empty) == (entries, ads, invalid, empty)


@pytest.mark.parametrize("charset", ["gbk", "gb18030", "utf-8"])
def test_spider_reads_a_listing_in_its_declared_charset(charset: str) -> None:
    """The body as the API sent it, through Scrapy's response types, into the spider's callback."""
    doc = {"code": 0, "message": "成功", "data": {"data": [{"id": "1", "url": "http://h/1.html", "title": "国务院常务会议"}]}}
    url = "http://api.1sapp.com/content/outList?cid=1&tn=1&page=1&limit=10"
    headers = {"Content-Type": f"application/json; charset={charset.upper()}"}
    body = json.dumps(doc, ensure_ascii=False).encode(charset)
    response = responsetypes.from_args(headers=headers, url=url, body=body)(url, headers=headers, body=body)
    requests = list(make_spider().parse_listing(response, channel=1, page=1, bad_pages=0))
    details = [r for r in requests if r.callback.__name__ == "parse_article"]
    assert [r.cb_kwargs["entry"].title for r in details] == ["国务院常务会议"]


def test_data_list_past_last_page_is_empty() -> None:
    assert parse_listing('{"code": 0, "message": "成功", "data": []}').is_empty
