"""The three listing kinds (json, html, feed) read by a profile's rules: tables and properties."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscrawler.pages.entries import ListingEntry, ListingError, ListingPage
from newscrawler.pages.feed_listing import FeedListing
from newscrawler.pages.html_listing import HtmlListing
from newscrawler.pages.json_listing import JsonListing
from newscrawler.sources.profile import profile_from_data
from newscrawler.sources.registry import load_profiles

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
PROFILES = load_profiles()


def feed_profile(**fields: Any) -> Any:
    return profile_from_data({
        "name": "blog", "listing": {"kind": "feed", "url": "http://blog.example/feed.xml", "fields": fields},
        "hexo": {"categories": ["blog"], "author": "blog"},
    }, "blog.yaml")


# --- json -------------------------------------------------------------------------------------

def test_qutoutiao_captures_give_typed_entries() -> None:
    listing = JsonListing(PROFILES.get("qutoutiao"))
    page = listing.parse((FIXTURES / "qutoutiao-list-cid255-2016.json").read_bytes(), "http://api.1sapp.com/x", NOW)
    assert len(page.entries) == 10 and page.skipped == 2 and page.invalid == 0
    first = page.entries[0]
    assert first.url.startswith("http") and "&amp;" not in first.url
    assert "key=" not in first.canonical_url and "pv_id=" not in first.canonical_url  # tracking_params
    assert all(isinstance(e.published_at, datetime) for e in page.entries)


@pytest.mark.parametrize(("doc", "reason"), [
    ("", "empty_body"),
    ("{not json", "malformed_json"),
    ("[" * 100_000 + "]" * 100_000, "malformed_json"),
    ('{"code": 1, "message": "channel offline"}', "api_error"),
    ('{"code": "-1"}', "api_error"),
    ('{"data": {"data": {"a": 1}}}', "unexpected_shape"),
    ('{"data": {"data": "text"}}', "unexpected_shape"),
])
def test_unusable_json_pages(doc: str, reason: str) -> None:
    with pytest.raises(ListingError) as raised:
        JsonListing(PROFILES.get("qutoutiao")).parse(doc, "http://api.1sapp.com/x", NOW)
    assert raised.value.reason == reason


@pytest.mark.parametrize("doc", ['{"code": 0, "data": []}', '{"data": {"data": []}}', '{"code": 0}'])
def test_past_the_last_page_is_empty(doc: str) -> None:
    assert JsonListing(PROFILES.get("qutoutiao")).parse(doc, "http://x/", NOW).is_empty


@pytest.mark.parametrize(("entry", "expected", "problem"), [
    ({"id": 7, "title": ["a"], "permalink": "/pmd/7.html"}, {"title": None}, "coerced/title"),
    ({"id": 7.0, "title": 12, "permalink": "/pmd/7.html"}, {"source_id": "7", "title": "12"}, None),
    ({"id": {"a": 1}, "permalink": "/pmd/7.html"}, None, "invalid/id"),
    ({"id": True, "permalink": "/pmd/7.html"}, None, "invalid/id"),
    ({"id": 7, "permalink": "javascript:alert(1)"}, None, "invalid/url"),
    ({"id": 7, "permalink": ["/pmd/7.html"]}, None, "invalid/url"),
    ({"id": 7, "permalink": "http://[::1/x"}, None, "invalid/url"),
    ({"id": 7, "permalink": "/7", "date": "garbage"}, {"published_at": None}, "coerced/published_at/unreadable"),
    ({"id": 7, "permalink": "/7", "date": 20210708}, {"published_at": None}, "coerced/published_at/wrong_type"),
    ({"id": 7, "permalink": "/7", "author": "bob"}, {"author": None}, None),  # author.name of a string
    ({"id": 7, "permalink": "/7", "author": {"name": "bob"}}, {"author": "bob"}, None),
])
def test_json_field_rules(entry: dict[str, Any], expected: dict[str, Any] | None, problem: str | None) -> None:
    page = JsonListing(PROFILES.get("woshipm")).parse(json.dumps({"payload": [entry]}),
                                                      "http://www.woshipm.com/__api/v1/stream-list", NOW)
    if expected is None:
        assert page.entries == [] and page.invalid == 1
    else:
        got = page.entries[0]
        assert {k: getattr(got, k) for k in expected} == expected
    assert (problem in page.problems) if problem else not page.problems



# A profile as a user writes one: JMESPath functions that refuse some values, a regex that
# backtracks for ever on 40 letters and a "!" (Python's re would take hours on it, in the reactor thread).
USER = profile_from_data({
    "name": "mine", "listing": {
        "kind": "json", "url": "http://api.example/list?p={page}", "entries": "data",
        "skip": ["contains(tips, '广告')"],
        "fields": {"id": "id", "url": "url", "title": ["join(' ', title)", "title"],
                   "summary": {"path": "text", "pattern": r"^(\w|\w\w)*$"},
                   "author": {"url_pattern": r"/a/((?:\w|\w\w)*)$"},
                   "read": ["floor(n)", "m"],
                   "published_at": [{"path": "to_number(t)", "format": "epoch"}, {"path": "abs(d)", "format": "epoch"}]},
    }, "article": {"body": "article"}, "hexo": {"categories": ["mine"], "author": "mine"},
}, "mine.yaml")
SLOW = "a" * 40 + "!"


@pytest.mark.parametrize(("entry", "expected", "problems"), [
    ({"tips": "广告"}, None, {}),  # an ad: skipped
    ({"tips": ["广告"]}, None, {}),
    ({"tips": 5}, {"title": None}, {}),  # contains() refuses a number: not an ad
    ({}, {"title": None}, {}),  # nor null
    ({"title": ["a", "b"]}, {"title": "a b"}, {}),
    ({"title": "plain"}, {"title": "plain"}, {"coerced/title": 1}),  # join() refuses a string: the next rule
    ({"title": ["a", 1]}, {"title": None}, {"coerced/title": 2}),  # join() refuses, then a list is no text
    ({"n": 7.5}, {"counts": {"read": "7", "comment": None, "share": None, "like": None}}, {}),
    ({"n": float("nan"), "m": 3}, {"counts": {"read": "3", "comment": None, "share": None, "like": None}},
     {"coerced/read": 1}),  # floor(NaN): no value, the next rule
    ({"n": float("inf")}, {"counts": {"read": None, "comment": None, "share": None, "like": None}},
     {"coerced/read": 1}),
    ({"d": "x"}, {"published_at": None}, {"coerced/published_at/wrong_type": 1}),  # abs() of text
    ({"text": "words and more"}, {"summary": None}, {}),  # no match: no value
    ({"text": "words"}, {"summary": "s"}, {}),  # the group, last repeat
    ({"text": SLOW}, {"summary": None}, {"pattern_timeout/summary": 1}),
    ({"url": "http://news.example/a/" + SLOW}, {"author": None}, {"pattern_timeout/author": 1}),
    ({"url": "http://news.example/a/bob"}, {"author": "bob"}, {}),
])
def test_user_profile_functions_and_patterns_never_fail_a_page(entry: dict[str, Any], expected: dict[str, Any] | None,
                                                               problems: dict[str, int]) -> None:
    """A function that refuses a value gives no value (counted, next rule; a skip rule: not skipped);
    a pattern that runs out of time is no match (counted); the rest of the page is read."""
    good = {"id": 2, "url": "http://news.example/a/2", "title": ["ok"]}
    doc = {"data": [{"id": 1, "url": "http://news.example/a/1", **entry}, good]}
    page = JsonListing(USER).parse(json.dumps(doc), "http://api.example/list?p=1", NOW)
    assert [e.source_id for e in page.entries][-1] == "2" and page.invalid == 0
    if expected is None:
        assert page.skipped == 1 and len(page.entries) == 1
    else:
        got = page.entries[0]
        assert got.source_id == "1" and {k: getattr(got, k) for k in expected} == expected
    assert dict(page.problems) == problems


# --- html -------------------------------------------------------------------------------------

DOCKONE = """<html><head><base href="http://weekly.dockone.io/"></head><body><div class="aw-common-list">
<div class="aw-item article">
  <a class="aw-user-name" href="/people/a"><img src="/a.png"></a>
  <div class="aw-question-content"><h4><a href="http://weekly.dockone.io/article/2434">DockOne微信分享</a></h4>
  <p class="text-color-999"><a class="aw-user-name" href="/people/a">李静</a>
  <span class="text-color-999">发表了文章 • 0 个评论 • 42 次浏览 • 2018-03-19 10:59</span></p></div>
</div>
<div class="aw-item"><div class="aw-question-content"><h4><a href="/question/9">一个问题</a></h4></div></div>
<div class="aw-item article"><div class="aw-question-content"><h4><a href="/article/77">相对链接</a></h4>
  <p><a class="aw-user-name"></a><span class="text-color-999">发表了文章 • 2018-03-18 09:00</span></p></div></div>
<div class="aw-item article"><div class="aw-question-content"><h4>no link</h4></div></div>
<div class="aw-item article"><div class="aw-question-content"><h4><a href="javascript:alert(1)">x</a></h4></div></div>
</div><div class="page-control"><ul class="pagination pull-right"><li><a href="/">&lt;&lt;</a></li><li><a href="/x">&lt;</a></li>
<li><a href="/sort_type-new__page-2">&gt;</a></li><li><a href="/sort_type-new__page-9">&gt;&gt;</a></li></ul></div>
</body></html>"""


def test_dockone_rows() -> None:
    page = HtmlListing(PROFILES.get("dockone")).parse(DOCKONE, "http://weekly.dockone.io/", NOW)
    assert [e.source_id for e in page.entries] == ["2434", "77"]  # the question row is not an article
    first, second = page.entries
    assert first.title == "DockOne微信分享" and first.author == "李静"
    assert first.published_at == datetime(2018, 3, 19, 2, 59, tzinfo=timezone.utc)  # Beijing 10:59
    assert second.url == "http://weekly.dockone.io/article/77" and second.author is None
    assert page.invalid == 2 and page.problems["invalid/url"] == 2
    assert page.next_url == "http://weekly.dockone.io/sort_type-new__page-2"


@pytest.mark.parametrize("text", ["", "<html><body><p>maintenance</p></body></html>", "\x00\x00"])
def test_html_listing_without_rows_is_an_error(text: str) -> None:
    with pytest.raises(ListingError) as raised:
        HtmlListing(PROFILES.get("dockone")).parse(text, "http://weekly.dockone.io/", NOW)
    assert raised.value.reason in ("no_rows", "empty_body")


def test_zaker_relative_times_resolve_against_the_crawl_time() -> None:
    rows = "".join(
        f'<div class="content-block"><div class="article-wrap"><a href="//www.myzaker.com/article/{i:024x}">'
        f'<p class="article-title">t{i}</p></a></div><div class="subtitle"><span>新华网</span><span>{when}</span></div></div>'
        for i, when in enumerate(["刚刚", "5分钟前", "2小时前", "昨天 10:30", "3天前", "5分钟后"])
    )
    page = HtmlListing(PROFILES.get("zaker")).parse(f"<html><body>{rows}</body></html>",
                                                    "http://www.myzaker.com/channel/1", NOW)
    times = [e.published_at for e in page.entries]
    assert times[0] == NOW and times[1] == datetime(2026, 11, 30, 11, 55, tzinfo=timezone.utc)
    assert times[2] == datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    assert times[3] == datetime(2026, 11, 29, 2, 30, tzinfo=timezone.utc)  # 昨天 10:30 in Beijing
    assert times[4] == datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    assert times[5] is None and page.problems["coerced/published_at/future"] == 1
    assert page.entries[0].url == "http://www.myzaker.com/article/000000000000000000000000"


# --- feed -------------------------------------------------------------------------------------

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>b</title>
<item><title>One</title><link>http://blog.example/1</link><guid>urn:1</guid>
<pubDate>Thu, 08 Jul 2021 10:55:51 GMT</pubDate><category>a</category><category>b</category>
<description>short</description><content:encoded><![CDATA[<p>full <img data-original="/i.png"></p>]]></content:encoded></item>
<item><title>Two</title><link>/2</link><description>&lt;p&gt;only description&lt;/p&gt;</description></item>
<item><title>No link</title></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>b</title>
<link rel="next" href="http://blog.example/atom?page=2"/>
<entry><id>tag:b,2021:1</id><title>One</title><link href="http://blog.example/1"/>
<updated>2021-07-08T18:55:51+08:00</updated><content type="html">&lt;p&gt;atom body&lt;/p&gt;</content>
<author><name>Ann</name></author></entry></feed>"""


def test_rss_entries() -> None:
    page = FeedListing(feed_profile()).parse(RSS, "http://blog.example/feed.xml", NOW)
    one, two = page.entries
    assert (one.source_id, one.url, one.tags) == ("urn:1", "http://blog.example/1", ("a", "b"))
    # content:encoded, as feedparser serializes it, unsanitized: lazy images keep their attribute
    assert one.content_html.startswith("<p>full <img") and 'data-original="/i.png"' in one.content_html
    assert one.published_at == datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)
    assert (two.source_id, two.url, two.content_html) == ("http://blog.example/2", "http://blog.example/2",
                                                         "<p>only description</p>")
    assert page.invalid == 1 and page.problems["invalid/url"] == 1


def test_atom_entries_and_next_page() -> None:
    page = FeedListing(feed_profile()).parse(ATOM, "http://blog.example/atom", NOW)
    (entry,) = page.entries
    assert (entry.source_id, entry.author, entry.content_html) == ("tag:b,2021:1", "Ann", "<p>atom body</p>")
    assert entry.published_at == datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)
    assert page.next_url == "http://blog.example/atom?page=2"


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">'.encode() for p, c in zip("abcdefgh", "bcdefghi"))
          + b']><rss version="2.0"><channel><title>&i;</title><item><title>ok</title>'
          b'<link>http://blog.example/1</link></item></channel></rss>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel>'
       b'<item><title>t&x;</title><link>http://blog.example/1</link><description>&x;</description></item>'
       b'</channel></rss>')


def utf7_feed(declared: str) -> bytes:
    return (f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>t</title>'
            '<item><title>+ADw-script+AD4-x</title><link>http://blog.example/1</link></item>'
            '</channel></rss>').encode("utf-8")


@pytest.mark.parametrize(("declared", "content_type", "unusable"), [
    ("utf-7", "application/rss+xml", True),
    ("utf-7", "", True),
    ("utf-8", "application/rss+xml; charset=utf-7", True),
    ("utf-7", "text/xml; charset=utf-7", True),
    ("utf-8", "application/rss+xml", False),
    ("utf-8", "application/rss+xml; charset=utf-8", False),
])
def test_a_feed_in_a_charset_no_browser_reads_is_read_as_one_would(declared: str, content_type: str,
                                                                  unusable: bool) -> None:
    """UTF-7 (in the XML declaration or the header) would turn "+ADw-script+AD4-" into "<script>":
    such a feed is read as the charset middleware reads a page (here valid UTF-8), and counted."""
    page = FeedListing(feed_profile()).parse(utf7_feed(declared), "http://blog.example/feed.xml", NOW, content_type)
    assert [entry.title for entry in page.entries] == ["+ADw-script+AD4-x"]
    assert page.problems["recovered/unusable_charset"] == unusable


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty_body"), (b"this is not XML {", "not_a_feed"), (b"<html><body>hi</body></html>", "not_a_feed"),
])
def test_unusable_feeds(body: bytes, reason: str) -> None:
    empty = FeedListing(feed_profile()).parse(b'<rss version="2.0"><channel><title>t</title></channel></rss>',
                                              "http://blog.example/feed.xml", NOW)
    assert empty.is_empty
    with pytest.raises(ListingError) as raised:
        FeedListing(feed_profile()).parse(body, "http://blog.example/feed.xml", NOW)
    assert raised.value.reason == reason


def test_hostile_xml_neither_expands_nor_reads_files() -> None:
    listing = FeedListing(feed_profile())
    laughs = listing.parse(LAUGHS, "http://blog.example/feed.xml", NOW)
    assert [e.url for e in laughs.entries] == ["http://blog.example/1"]
    assert laughs.problems["recovered/malformed_feed"] == 1
    xxe = listing.parse(XXE, "http://blog.example/feed.xml", NOW)
    assert "root:" not in repr(xxe.entries) and xxe.entries[0].title == "t"


def test_a_truncated_feed_keeps_what_it_holds() -> None:
    page = FeedListing(feed_profile()).parse(RSS[: RSS.index(b"<item><title>Two")] + b"<item><ti",
                                             "http://blog.example/feed.xml", NOW)
    assert [e.source_id for e in page.entries] == ["urn:1"] and page.problems["recovered/malformed_feed"] == 1


def test_feeds_are_bytes_only() -> None:
    with pytest.raises(TypeError):
        FeedListing(feed_profile()).parse("/etc/passwd", "http://blog.example/feed.xml", NOW)  # type: ignore[arg-type]


# --- properties: any input gives typed entries or a counted error, never a traceback ---------

def assert_typed(page: ListingPage) -> None:
    for entry in page.entries:
        assert isinstance(entry, ListingEntry)
        assert isinstance(entry.source_id, str) and entry.source_id.strip()
        assert entry.url.startswith(("http://", "https://"))
        for name in ("title", "summary", "author", "category", "content_html"):
            assert getattr(entry, name) is None or isinstance(getattr(entry, name), str)
        assert all(isinstance(t, str) for t in entry.tags + entry.covers)
        assert entry.published_at is None or entry.published_at.tzinfo is not None
    assert all(isinstance(k, str) and isinstance(v, int) for k, v in page.problems.items())


HOSTILE_TEXT = st.sampled_from([
    "javascript:alert(1)", "data:text/html,x", "//x.example/article/1", "http://[::1/x", "mailto:a@b", "/article/2",
    "http://x.example/article/3", " ", "&amp;", "\x00", "\ud800", "2018-03-19 10:59", "5分钟后", "昨天 10:30", "0",
    "1625741751000", "1e400", "-1", "NaN",
]) | st.text(max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["id", "url", "title", "permalink", "date", "payload", "data", "code", "type", "tag", "cover", "author",
         "publish_time", "show_time", "content_type", "name"]), inner, max_size=6),
    max_leaves=25,
)
PROPERTY = settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


ENTRY = st.fixed_dictionaries({"id": st.integers() | HOSTILE_TEXT}, optional={
    key: JSON for key in ("url", "permalink", "title", "date", "author", "tag", "cover", "publish_time", "type")
}).flatmap(lambda e: st.fixed_dictionaries({"url": HOSTILE_TEXT, "permalink": HOSTILE_TEXT}).map(lambda u: {**e, **u}))


@PROPERTY
@given(doc=JSON, entries=st.lists(ENTRY, max_size=5), name=st.sampled_from(["qutoutiao", "woshipm"]))
def test_any_json_gives_typed_entries_or_a_listing_error(doc: Any, entries: list[Any], name: str) -> None:
    listing = JsonListing(PROFILES.get(name))
    for body in (json.dumps(doc), json.dumps({"payload": [doc, *entries]}), json.dumps({"data": {"data": entries}})):
        try:
            assert_typed(listing.parse(body, "http://api.example/list", NOW))
        except ListingError:
            pass


ESCAPED = HOSTILE_TEXT.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))
DOCKONE_ROW = st.builds(
    '<div class="aw-item article"><div class="aw-question-content"><h4><a href="{}">{}</a></h4>'
    '<p><a class="aw-user-name">{}</a><span class="text-color-999">x • {}</span></p></div></div>{}'.format,
    ESCAPED, ESCAPED, ESCAPED, ESCAPED, st.sampled_from(["", "</div>", "<h4>", "<!--", "\x00", "</a>", "<p>"]),
)
ZAKER_ROW = st.builds(
    '<div class="content-block"><div class="article-wrap"><a href="{}"><p class="article-title">{}</p></a></div>'
    '<div class="subtitle"><span>m</span><span>{}</span></div></div>{}'.format,
    ESCAPED, ESCAPED, ESCAPED, st.sampled_from(["", "</div>", "<div>", "<![CDATA[", "\x00"]),
)


@PROPERTY
@given(rows=st.lists(DOCKONE_ROW, max_size=8), zaker=st.lists(ZAKER_ROW, max_size=8))
def test_any_html_gives_typed_entries_or_a_listing_error(rows: list[str], zaker: list[str]) -> None:
    for name, html in (("dockone", f'<div class="aw-common-list">{"".join(rows)}</div>'), ("zaker", "".join(zaker))):
        try:
            assert_typed(HtmlListing(PROFILES.get(name)).parse(html, "http://www.myzaker.com/channel/1", NOW))
        except ListingError:
            pass


XML_TEXT = HOSTILE_TEXT.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8", "surrogatepass"))
RSS_ITEM = st.builds(
    b"<item><title>%s</title><link>%s</link><guid>%s</guid><pubDate>%s</pubDate>%s</item>".__mod__,
    st.tuples(XML_TEXT, XML_TEXT, XML_TEXT, XML_TEXT, st.sampled_from([b"", b"<", b"&", b"\xff", b"]]>", b"<x>"])),
)


@PROPERTY
@given(items=st.lists(RSS_ITEM, max_size=6), cut=st.integers(min_value=0, max_value=2000))
def test_any_bytes_give_typed_entries_or_a_listing_error(items: list[bytes], cut: int) -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b"".join(items) + b"</channel></rss>"
    for body in (feed, feed[:cut]):
        try:
            assert_typed(FeedListing(feed_profile()).parse(body, "http://blog.example/feed.xml", NOW))
        except ListingError:
            pass


def test_json_feed_is_read_as_json() -> None:
    from newscrawler.sources.feeds import feed_profile, looks_like_json_feed

    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "next_url": "/feed.json?page=2", "items": [
        {"id": "1", "url": "http://blog.example/1", "title": "x", "content_html": "<p>hi</p>", "tags": ["a"],
         "date_published": "2021-07-08T18:55:51+08:00", "authors": [{"name": "bob"}]},
        {"id": "2", "external_url": "http://elsewhere.example/2", "content_text": "plain"},
    ]}).encode()
    assert looks_like_json_feed(body, "application/feed+json")
    page = JsonListing(feed_profile("blog", "http://blog.example/feed.json", json_feed=True)).parse(
        body, "http://blog.example/feed.json", NOW)
    one, two = page.entries
    assert (one.author, one.tags, one.content_html) == ("bob", ("a",), "<p>hi</p>")
    assert one.published_at == datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)
    assert (two.url, two.content_html) == ("http://elsewhere.example/2", "plain")
    assert page.next_url == "http://blog.example/feed.json?page=2"
