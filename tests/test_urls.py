"""Canonical URLs: tracking parameters go, whatever names the article stays."""

from __future__ import annotations

import html
import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from newscrawler.sources.registry import load_profiles
from newscrawler.urls import canonical_url
from tests.conftest import FIXTURES

CAPTURES = sorted(FIXTURES.glob("qutoutiao-list-*.json"))
# The 趣头条 profile's tracking_params: the keys its listing adds per channel, page and view.
TRACKING_PARAMS = load_profiles().get("qutoutiao").listing.tracking_params


def captured_urls() -> list[str]:
    """Every entry URL of the 2016 captures, ads and sponsored cards included."""
    return [html.unescape(raw["url"]) for path in CAPTURES
            for raw in json.loads(path.read_text(encoding="utf-8"))["data"]["data"] if raw.get("url")]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # the same article listed from two channels, pages and views
        ("http://html.shehuitu.com/detail/2016/11/15/221131.html?content_id=221131&key=a1&pv_id=%7BX%7D&cid=2&cat=2&fr=1&o=2&p=1&skip_ad=0&rss_source=",
         "http://html.shehuitu.com/detail/2016/11/15/221131.html?content_id=221131"),
        ("http://html.shehuitu.com/detail/2016/11/15/221131.html?cid=255&content_id=221131&key=b2&p=3&fr=11",
         "http://html.shehuitu.com/detail/2016/11/15/221131.html?content_id=221131"),
        # a redirect link: si, aid, tp and content_id name the target
        ("http://g.fastapi.net/d?si=1018975&aid=580640&tp=c&content_id=204777&cid=255&key=k&pv_id=v",
         "http://g.fastapi.net/d?aid=580640&content_id=204777&si=1018975&tp=c"),
        ("HTTP://WWW.QiuXingWang.cn/qu/444556.html#comments", "http://www.qiuxingwang.cn/qu/444556.html"),
        ("http://h.example/a.html?id=7&amp=1", "http://h.example/a.html?amp=1&id=7"),
        ("http://h.example/a?key", "http://h.example/a"),
        # not URLs w3lib can parse: kept as they are, the crawl goes on
        ("http://[::1/a?key=1", "http://[::1/a?key=1"),
        ("http://h.example:99999/a?key=1", "http://h.example:99999/a?key=1"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url, TRACKING_PARAMS) == canonical


def test_captures_keep_what_identifies_and_drop_what_tracks() -> None:
    urls = captured_urls()
    assert len(urls) > 30
    for url in urls:
        kept = dict(parse_qsl(urlsplit(canonical_url(url, TRACKING_PARAMS)).query, keep_blank_values=True))
        original = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        assert not TRACKING_PARAMS & set(kept), url
        assert kept == {k: v for k, v in original.items() if k not in TRACKING_PARAMS}, url
        assert kept["content_id"], url


def test_different_redirect_targets_stay_different() -> None:
    """One redirect endpoint serves every sponsored card: only the query tells them apart."""
    sponsored = next(u for u in captured_urls() if u.startswith("http://g.fastapi.net/d?"))
    other = sponsored.replace("content_id=204777", "content_id=204778")
    assert canonical_url(sponsored, TRACKING_PARAMS) != canonical_url(other, TRACKING_PARAMS)
    assert canonical_url(sponsored, TRACKING_PARAMS) == canonical_url(sponsored.replace("key=", "key=changed"),
                                                                      TRACKING_PARAMS)
