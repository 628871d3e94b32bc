"""Detail page parsing and building the raw article."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from scrapy.responsetypes import responsetypes

from newscrawler import settings
from newscrawler.pages.article import build_article
from newscrawler.pages.detail import parse_detail
from newscrawler.pages.listing import parse_listing
from tests.conftest import FIXTURES
from tests.crawling import make_spider

BODY = settings.QUTOUTIAO_BODY_SELECTOR

PAGE = """<html><head><meta charset="utf-8"><title>t</title></head><body>
<div class="info"><span class="source">今日闵行</span><span class="time">昨天 18:55</span></div>
<div class="content">   \n<p>正文</p><p><img data-src="http://s/a.jpeg" data-size="1,2"></p>  \n</div>
<span class="like-count">12</span><div class="share-box">x</div></body></html>"""


def test_detail_page_fields() -> None:
    page = parse_detail(PAGE, BODY)
    assert page.content_html == '   \n<p>正文</p><p><img data-src="http://s/a.jpeg" data-size="1,2"></p>  \n'
    assert page.author == "今日闵行"
    assert page.published_text == "昨天 18:55"
    assert page.like_count == "12"


def test_page_without_body_element() -> None:
    assert parse_detail("<html><body><p>gone</p></body></html>", BODY).content_html is None


def test_custom_body_selector() -> None:
    assert parse_detail('<article id="a"><p>x</p></article>', "article#a").content_html == "<p>x</p>"


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
    [article] = make_spider().parse_article(response, entry=entry, cid=1)
    assert article.author == "今日闵行"  # the listing names none: read from the page
    assert "<p>正文</p>" in article.content_html


def test_build_article_from_real_entry() -> None:
    entry = parse_listing((FIXTURES / "qutoutiao-list-cid6-2016.json").read_bytes()).entries[0]
    crawled = datetime(2026, 1, 1, tzinfo=timezone.utc)
    article = build_article(entry, 6, parse_detail(PAGE, BODY), crawled)
    assert article.id == "qutoutiao:221604"
    assert article.source_id == "221604"
    assert article.url == "http://html.shehuitu.com/detail/2016/11/15/221604.html?content_id=221604"
    assert article.content_type == "video"
    assert article.category_id == 6 and article.category == "娱乐"  # named here, its one home
    assert article.channel_id == 6
    # publish_time "1479212162436" (ms), typed where the listing is parsed
    assert article.published_at == datetime(2016, 11, 15, 12, 16, 2, 436000, tzinfo=timezone.utc)
    assert article.author == "今日闵行"  # listing source is empty; the page names it
    assert article.stats["read"] == "358" and article.stats["like"] == "12"


def test_build_article_falls_back_to_page_date() -> None:
    entry = parse_listing('{"data": {"data": [{"id": "9", "url": "http://h/9.html", "publish_time": "", "show_time": 0}]}}').entries[0]
    article = build_article(entry, 1, parse_detail(PAGE, BODY), datetime.now(timezone.utc))
    assert article.published_at == "昨天 18:55"


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
                        BODY, "http://final.cn/a/page.html")
    assert (page.content_html.base_url, page.bad_base) == (base, bad_base)
