"""The 趣头条 article page, read by its profile's ``article`` section, and building the raw article."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from scrapy.responsetypes import responsetypes

from newscrawler.pages.article import build_article
from newscrawler.pages.detail import ArticlePageReader, DetailPage
from newscrawler.pages.entries import ListingPage
from newscrawler.pages.json_listing import JsonListing
from newscrawler.sources.profile import profile_from_data
from newscrawler.sources.registry import load_profiles
from tests.conftest import FIXTURES
from tests.crawling import make_spider

PROFILE = load_profiles().get("qutoutiao")
NOW = datetime(2021, 7, 10, 4, tzinfo=timezone.utc)  # 12:00 Beijing time


def parse_detail(text: str, url: str = "http://html2.qktoutiao.com/detail/1.html") -> DetailPage:
    return ArticlePageReader(PROFILE).parse(text, url, NOW)


def parse_listing(body: str | bytes) -> ListingPage:
    return JsonListing(PROFILE).parse(body, "http://api.1sapp.com/content/outList?cid=6&tn=1&page=1&limit=10", NOW)

PAGE = """<html><head><meta charset="utf-8"><title>t</title></head><body>
<div class="info"><span class="source">今日闵行</span><span class="time">昨天 18:55</span></div>
<div class="content">   \n<p>正文</p><p><img data-src="http://s/a.jpeg" data-size="1,2"></p>  \n</div>
<span class="like-count">12</span><div class="share-box">x</div></body></html>"""


def test_detail_page_fields() -> None:
    page = parse_detail(PAGE)
    assert page.content_html == '   \n<p>正文</p><p><img data-src="http://s/a.jpeg" data-size="1,2"></p>  \n'
    assert page.author == "今日闵行"
    assert page.published_at == datetime(2021, 7, 9, 10, 55, tzinfo=timezone.utc)  # 昨天 18:55, Beijing
    assert page.like == "12"
    assert page.content_html.options.lazy_images == PROFILE.article.lazy_images  # for the body stage


def test_page_without_body_element() -> None:
    assert parse_detail("<html><body><p>gone</p></body></html>").content_html is None


def page_profile(article: dict[str, object]) -> object:
    return profile_from_data({
        "name": "site", "listing": {"kind": "html", "url": "http://site.example/", "entries": "li",
                                    "fields": {"id": "a::text", "url": "a::attr(href)"}},
        "article": article, "hexo": {"categories": ["x"], "author": "x"},
    }, "site.yaml")


ARTICLE_PAGE = """<html><head><title>页标题</title><meta property="og:title" content="OG 标题">
<meta name="keywords" content="a,b"></head><body><h2 class="t">  标题  </h2><p class="by">作者：张三</p>
<span class="when">2018-03-19 10:59</span><span class="when2">发布于 2018/03/20</span><span class="when3">5分钟后</span>
<ul class="tags"><li>容器</li><li> </li><li>网络</li></ul><div class="old"><p>旧</p></div><div class="new"><p>新</p></div>
<span class="likes">12</span><p class="slow">aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!</p></body></html>"""


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        # body: the first query that matches, in the profile's order; CSS or xpath:
        ({"body": [".missing", ".new", ".old"]}, {"content_html": "<p>新</p>"}),
        ({"body": "xpath://div[@class='old']"}, {"content_html": "<p>旧</p>"}),
        ({"body": "xpath://div/p/text()"}, {"content_html": None}),  # text, not an element: no body
        # text facts: first non-blank match; attributes; a pattern's group
        ({"body": ".new", "fields": {"title": ["h1::text", "h2.t::text"]}}, {"title": "  标题  "}),
        ({"body": ".new", "fields": {"title": "meta[property='og:title']::attr(content)"}}, {"title": "OG 标题"}),
        ({"body": ".new", "fields": {"author": {"css": "p.by::text", "pattern": "作者：(.+)"}}}, {"author": "张三"}),
        ({"body": ".new", "fields": {"summary": {"xpath": "//meta[@name='keywords']/@content"}}}, {"summary": "a,b"}),
        ({"body": ".new", "fields": {"like": ".likes::text"}}, {"like": "12"}),
        ({"body": ".new", "fields": {"tags": ".tags li::text"}}, {"tags": ("容器", "网络")}),
        # dates: text in the profile's zone, a strptime pattern, a pattern's group, the future refused
        ({"body": ".new", "fields": {"published_at": ".when::text"}},
         {"published_at": datetime(2018, 3, 19, 2, 59, tzinfo=timezone.utc)}),
        ({"body": ".new", "fields": {"published_at": {"css": ".when2::text", "pattern": r"(\d{4}/\d\d/\d\d)",
                                                      "format": "%Y/%m/%d"}}},
         {"published_at": datetime(2018, 3, 19, 16, 0, tzinfo=timezone.utc)}),
        ({"body": ".new", "fields": {"published_at": [".when3::text", ".when::text"]}},
         {"published_at": datetime(2018, 3, 19, 2, 59, tzinfo=timezone.utc), "problems": {"coerced/published_at/future": 1}}),
        ({"body": ".new", "fields": {"published_at": {"css": ".when::text", "format": "%d.%m.%Y"}}},
         {"published_at": None, "problems": {"coerced/published_at/unreadable": 1}}),
        # a pattern that backtracks for ever on 40 letters and a "!": no match once its time is up, the next rule
        ({"body": ".new", "fields": {"author": [{"css": "p.slow::text", "pattern": r"^(\w|\w\w)*$"},
                                                {"css": "p.by::text", "pattern": "作者：(.+)"}]}},
         {"author": "张三", "problems": {"pattern_timeout/author": 1}}),
        ({"body": ".new", "fields": {"published_at": {"xpath": "//p[@class='slow']", "pattern": r"^(\w|\w\w)*$"}}},
         {"published_at": None, "problems": {"pattern_timeout/published_at": 1}}),
    ],
)
def test_article_page_rules(rules: dict[str, object], expected: dict[str, object]) -> None:
    page = ArticlePageReader(page_profile(rules)).parse(ARTICLE_PAGE, "http://site.example/1.html", NOW)  # type: ignore[arg-type]
    for name, value in expected.items():
        assert getattr(page, name) == value, name
    if "problems" not in expected:
        assert page.problems == {}


def test_body_options_travel_with_the_body() -> None:
    profile = page_profile({"body": ".new", "lazy_images": ["data-original"], "drop": [".ad"]})
    body = ArticlePageReader(profile).parse(ARTICLE_PAGE, "http://site.example/1.html", NOW).content_html  # type: ignore[arg-type]
    assert (body.options.lazy_images, body.options.drop) == (("data-original",), (".ad",))


@pytest.mark.parametrize(
    ("charset", "header"),
    [("gbk", "text/html; charset=GBK"), ("gb2312", "text/html"), ("gb18030", "text/html; charset=gb18030")],
)
def test_spider_reads_a_page_in_its_declared_charset(charset: str, header: str) -> None:
    """Declared in the header or only in the page's <meta>: the article comes out in Chinese."""
    url = "http://html2.qktoutiao.com/detail/2021/07/08/1.html"
    body = PAGE.replace('charset="utf-8"', f'charset="{charset}"').encode(charset)
    headers = {"Content-Type": header}
    response = responsetypes.from_args(headers=headers, url=url, body=body)(url, headers=headers, body=body)
    entry = parse_listing(json.dumps({"data": {"data": [{"id": "1", "url": url, "title": "标题"}]}})).entries[0]
    [article] = make_spider().parse_article(response, entry=entry, channel=1)
    assert article.author == "今日闵行"  # the listing names none: read from the page
    assert "<p>正文</p>" in article.content_html


def test_build_article_from_real_entry() -> None:
    entry = parse_listing((FIXTURES / "qutoutiao-list-cid6-2016.json").read_bytes()).entries[0]
    crawled = datetime(2026, 1, 1, tzinfo=timezone.utc)
    article = build_article(entry, 6, parse_detail(PAGE), PROFILE, crawled)
    assert (article.id, article.source) == ("qutoutiao:221604", "qutoutiao")
    assert article.source_id == "221604"
    assert article.url == "http://html.shehuitu.com/detail/2016/11/15/221604.html?content_id=221604"
    assert article.content_type == "video"
    assert article.category_id == 6 and article.category == "娱乐"  # the profile's channel 6
    assert (article.channel_id, article.channel) == (6, "娱乐")
    # publish_time "1479212162436" (ms), typed where the listing is parsed
    assert article.published_at == datetime(2016, 11, 15, 12, 16, 2, 436000, tzinfo=timezone.utc)
    assert article.author == "今日闵行"  # listing source is empty; the page names it
    assert article.stats["read"] == "358" and article.stats["like"] == "12"


def test_build_article_falls_back_to_page_date() -> None:
    entry = parse_listing('{"data": {"data": [{"id": "9", "url": "http://h/9.html", "publish_time": "", "show_time": 0}]}}').entries[0]
    article = build_article(entry, 1, parse_detail(PAGE), PROFILE, NOW)
    assert article.published_at == datetime(2021, 7, 9, 10, 55, tzinfo=timezone.utc)  # 昨天 18:55 in Beijing


@pytest.mark.parametrize(
    ("category", "category_id", "name"),
    [("6", 6, "娱乐"), (" 255 ", 255, "推荐"), ("13", 13, "体育"), ("999", 999, None), ("财经", None, "财经"),
     ("", None, None), (None, None, None)],
)
def test_category_from_the_entry(category: str | None, category_id: int | None, name: str | None) -> None:
    doc = {"data": {"data": [{"id": "9", "url": "http://h/9.html", "type": category}]}}
    entry = parse_listing(json.dumps(doc)).entries[0]
    article = build_article(entry, 1, None, PROFILE, NOW)
    assert (article.category_id, article.category) == (category_id, name)
    assert (article.channel_id, article.channel) == (1, "热点")


@pytest.mark.parametrize(
    ("head", "base", "bad_base"),
    [
        ('<base href="http://cdn.cn/x/">', "http://cdn.cn/x/", None),
        ('<base href="../up/">', "http://final.cn/up/", None),  # relative to the page
        ("", "http://final.cn/a/page.html", None),
        ('<base target="_blank">', "http://final.cn/a/page.html", None),  # no href: no base
        # unusable: the page URL is the base, and the page says which base it refused
        ('<base href="http://[x">', "http://final.cn/a/page.html", "http://[x"),
        ('<base href="http://[1.2.3]/">', "http://final.cn/a/page.html", "http://[1.2.3]/"),
        ('<base href="http://cdn.cn:99999/">', "http://final.cn/a/page.html", "http://cdn.cn:99999/"),
        ('<base href="javascript:alert(1)//">', "http://final.cn/a/page.html", "javascript:alert(1)//"),
        ('<base href="http://cdn.cn/&#14;x/">', "http://final.cn/a/page.html", "http://cdn.cn/\x0ex/"),
        # only the first base counts, as in a browser
        ('<base href="http://[x"><base href="http://cdn.cn/">', "http://final.cn/a/page.html", "http://[x"),
    ],
)
def test_page_base(head: str, base: str, bad_base: str | None) -> None:
    page = parse_detail(f"<html><head>{head}</head><body><div class='content'><p>x</p></div></body></html>",
                        "http://final.cn/a/page.html")
    assert (page.content_html.base_url, page.bad_base) == (base, bad_base)
