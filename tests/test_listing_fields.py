"""One table per listing field of the 趣头条 profile: every hostile form its listing has served, and what it becomes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from newscrawler.pages.entries import ListingError, ListingPage
from newscrawler.pages.json_listing import JsonListing
from newscrawler.sources.registry import load_profiles

NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)
GOOD = {"id": "221131", "url": "http://h.cn/detail/1.html?key=x", "title": "标题"}
LISTING = JsonListing(load_profiles().get("qutoutiao"))
LISTING_URL = "http://api.1sapp.com/content/outList?cid=1&tn=1&page=1&limit=10"


def listing(**fields: Any) -> ListingPage:
    entry = {k: v for k, v in {**GOOD, **fields}.items() if v is not ...}
    return LISTING.parse(json.dumps({"code": 0, "data": {"data": [entry]}}), LISTING_URL, NOW)


@pytest.mark.parametrize(
    ("value", "source_id"),
    [
        ("221131", "221131"),
        (221131, "221131"),
        (" 221131\n", "221131"),
        (221131.0, "221131"),
        ("a&amp;b", "a&b"),
        ("&amp;lt;", "&lt;"),  # unescaped once, not twice
        ("\ud800221131\x00", "221131"),
        (True, None),
        (False, None),
        (1.5, None),
        ({"a": 1}, None),
        ([1], None),
        (None, None),
        ("", None),
        ("   ", None),
        ("&nbsp;", None),
        (..., None),  # no id at all
    ],
)
def test_id(value: Any, source_id: str | None) -> None:
    page = listing(id=value)
    if source_id is None:
        assert (page.entries, page.invalid, page.problems["invalid/id"]) == ([], 1, 1)
    else:
        assert [e.source_id for e in page.entries] == [source_id]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("http://h.cn/1.html?a=1&amp;b=2", True),
        ("https://h.cn/1.html", True),
        ("javascript:alert(1)", False),
        ("//h.cn/1.html", True),  # protocol-relative: resolved against the listing's URL
        ("/detail/1.html", True),  # relative, likewise (on the listing's host)
        ("http://[::1", False),
        (5, False),
        (["http://h.cn/1.html"], False),
        (None, False),
    ],
)
def test_url(value: Any, valid: bool) -> None:
    page = listing(url=value)
    assert (len(page.entries), page.problems["invalid/url"]) == ((1, 0) if valid else (0, 1))
    if valid:
        assert "&amp;" not in page.entries[0].url


@pytest.mark.parametrize(
    ("value", "text", "coerced"),
    [
        ("标题", "标题", 0),
        (12, "12", 0),
        (1.5, "1.5", 0),
        (None, None, 0),
        (["a", "list"], None, 1),
        ({"k": "v"}, None, 1),
        (True, None, 1),
        ("a\ud800b\x07c\td\ne", "abc\td\ne", 0),
    ],
)
@pytest.mark.parametrize(("field", "attribute"), [("title", "title"), ("introduction", "summary"), ("source_name", "author")])
def test_text_fields(field: str, attribute: str, value: Any, text: str | None, coerced: int) -> None:
    page = listing(**{field: value})
    assert getattr(page.entries[0], attribute) == text
    assert page.problems[f"coerced/{attribute}"] == coerced


@pytest.mark.parametrize(
    ("value", "counts"),
    [("2344", "2344"), (2344, "2344"), ([1], None), ({"n": 1}, None), (None, None)],
)
def test_counters(value: Any, counts: str | None) -> None:
    assert listing(read_count=value).entries[0].counts["read"] == counts


@pytest.mark.parametrize(
    ("value", "expected", "coerced"),
    [
        (["http://s.cn/a.jpg", "http://s.cn/b.jpg"], ("http://s.cn/a.jpg", "http://s.cn/b.jpg"), 0),
        ("http://s.cn/a.jpg", ("http://s.cn/a.jpg",), 0),  # one string is one cover, not its characters
        (5, (), 1),
        ({"url": "http://s.cn/a.jpg"}, (), 1),
        (["http://s.cn/a.jpg", 5, None], ("http://s.cn/a.jpg",), 1),
        (None, (), 0),
        (["", " "], (), 0),
    ],
)
def test_cover(value: Any, expected: tuple[str, ...], coerced: int) -> None:
    page = listing(cover=value)
    assert page.entries[0].covers == expected
    assert page.problems["coerced/covers"] == coerced


@pytest.mark.parametrize(
    ("value", "expected", "coerced"),
    [
        (["国务院", "民生"], ("国务院", "民生"), 0),
        ("国务院", ("国务院",), 0),
        ({"k": "v"}, (), 1),
        (7, (), 1),
        (["国务院", {"k": "v"}], ("国务院",), 1),
        (["\udfff标签"], ("标签",), 0),
        (None, (), 0),
    ],
)
def test_tag(value: Any, expected: tuple[str, ...], coerced: int) -> None:
    page = listing(tag=value)
    assert page.entries[0].tags == expected
    assert page.problems["coerced/tags"] == coerced


SHOW_TIME = 1625741751  # 2021-07-08T10:55:51Z
PUBLISHED = datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("publish_time", "show_time", "expected", "coerced"),
    [
        ("1625741751000", SHOW_TIME, PUBLISHED, 0),
        (1625741751000, None, PUBLISHED, 0),
        (1625741751.0, None, PUBLISHED, 0),  # seconds, as a float
        (float("nan"), SHOW_TIME, PUBLISHED, 1),
        (float("inf"), SHOW_TIME, PUBLISHED, 1),
        (float("-inf"), SHOW_TIME, PUBLISHED, 1),
        (1e20, SHOW_TIME, PUBLISHED, 1),
        (10**400, SHOW_TIME, PUBLISHED, 1),
        ("NaN", SHOW_TIME, PUBLISHED, 1),
        ("1e20", SHOW_TIME, PUBLISHED, 1),
        ("yesterday", SHOW_TIME, PUBLISHED, 1),
        (-1625741751000, SHOW_TIME, PUBLISHED, 1),
        (599616000, SHOW_TIME, PUBLISHED, 1),  # 1989-01-01: before any of these sites
        (int(datetime(2026, 12, 5, tzinfo=timezone.utc).timestamp() * 1000), SHOW_TIME, PUBLISHED, 1),  # future
        (True, SHOW_TIME, PUBLISHED, 1),
        ([1625741751000], SHOW_TIME, PUBLISHED, 1),
        ("", SHOW_TIME, PUBLISHED, 0),
        (0, SHOW_TIME, PUBLISHED, 0),
        ("", 0, None, 0),  # both absent: the page's date is used (see test_detail)
        (float("nan"), float("nan"), None, 2),
    ],
)
def test_timestamps(publish_time: Any, show_time: Any, expected: datetime | None, coerced: int) -> None:
    page = listing(publish_time=publish_time, show_time=show_time)
    assert page.entries[0].published_at == expected
    assert sum(n for k, n in page.problems.items() if k.startswith("coerced/published_at/")) == coerced


def test_json_nested_thousands_deep_is_a_bad_page_not_a_crash() -> None:
    with pytest.raises(ListingError) as info:
        LISTING.parse("[" * 100_000 + "]" * 100_000, LISTING_URL, NOW)
    assert info.value.reason == "malformed_json"
