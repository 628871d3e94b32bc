"""Declared charsets are read as a browser reads them (newscrawler/middlewares/charsets.py).

A charset that is no web encoding (a Python codec such as idna, rot13, base64, utf-32)
gives way to the page's <meta>, then UTF-8, then detection; the text comes out whole.
"""

from __future__ import annotations

import encodings.aliases
import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler
from w3lib.encoding import resolve_encoding

from newscrawler.middlewares.charsets import CharsetMiddleware
from newscrawler.webencodings import WEB_ENCODINGS

TITLE = "惠及2亿人的大好事来了！"
TEXT = ("国务院办公厅日前印发《关于支持多渠道灵活就业的意见》，其中提到，灵活就业人员可以在就业地"
        "参加社会保险，各地要取消灵活就业人员参加企业职工基本养老保险的户籍限制。")


def page(meta: str | None) -> str:
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return (f"<html><head>{head}<title>{TITLE}</title></head>"
            f"<body><div class='content'><p>{TEXT}</p></div></body></html>")


# How a body is written, and what reads it when the charset declared before it is unusable.
BODIES = {
    "UTF-8, <meta> UTF-8": (page("utf-8").encode("utf-8"), "its <meta> charset"),
    "UTF-8, no <meta>": (page(None).encode("utf-8"), "valid UTF-8"),
    "UTF-8, <meta> idna": (page("idna").encode("utf-8"), "valid UTF-8"),
    "GBK, <meta> GBK": (page("gbk").encode("gbk"), "its <meta> charset"),
    "GB2312, <meta> GB2312": (page("gb2312").encode("gb2312"), "its <meta> charset"),
    "GBK, no <meta>": (page(None).encode("gbk"), "detected"),
    "GBK, <meta> rot13": (page("rot13").encode("gbk"), "detected"),
}
# Labels Python has a codec for and browsers do not; then labels no codec has (Scrapy
# skips those already, as browsers do).
UNUSABLE = ["idna", "IDNA", "punycode", "rot13", "rot_13", "uu_codec", "base64", "hex", "zlib", "bz2", "quopri",
            "utf-32", "utf_32_le", "unicode-escape", "raw_unicode_escape", "hz", "iso-2022-kr", "cp437", "mac-greek"]
UNKNOWN = ["x-bogus", "utf-7", "x-user-defined", ""]


def through_middleware(response: Response) -> tuple[Response, int]:
    crawler = get_crawler(settings_dict={})
    out = CharsetMiddleware.from_crawler(crawler).process_response(response.request, response)
    return out, crawler.stats.get_value("charset/unusable", 0)


def html(body: bytes, charset: str | None) -> HtmlResponse:
    content_type = f"text/html; charset={charset}" if charset is not None else "text/html"
    return HtmlResponse("http://html2.qktoutiao.com/detail/1.html", body=body, headers={"Content-Type": content_type})


@pytest.mark.parametrize("body", BODIES, ids=list(BODIES))
@pytest.mark.parametrize("declared", UNUSABLE + UNKNOWN + [None])
def test_declared_charset_table(declared: str | None, body: str, caplog: pytest.LogCaptureFixture) -> None:
    data, source = BODIES[body]
    with caplog.at_level(logging.WARNING, logger="newscrawler.middlewares.charsets"):
        response, unusable = through_middleware(html(data, declared))
    text = response.text  # never raises
    assert TITLE in text and TEXT in text, (declared, body, response.encoding)
    # Counted and logged, with the URL and what read the page, when the header or the
    # <meta> named a codec no browser reads.
    header_bad = declared in UNUSABLE
    meta_bad = declared not in UNUSABLE and body.endswith(("idna", "rot13"))
    assert unusable == int(header_bad or meta_bad)
    if unusable:
        [line] = [r.getMessage() for r in caplog.records]
        assert line.startswith("http://html2.qktoutiao.com/detail/1.html declares charset ")
        assert line.endswith(f"({source})"), line


@pytest.mark.parametrize("declared, body", [("utf-8", "UTF-8, <meta> idna"), ("GBK", "GBK, <meta> rot13"),
                                            ("gb2312", "GB2312, <meta> GB2312"), (None, "GBK, <meta> GBK")])
def test_web_encodings_are_left_alone(declared: str | None, body: str) -> None:
    original = html(BODIES[body][0], declared)
    response, unusable = through_middleware(original)
    assert response is original and unusable == 0
    assert TEXT in response.text


def test_listing_json_with_an_unusable_charset() -> None:
    listing = json.dumps({"code": 0, "data": {"data": [{"id": "1", "title": TITLE}]}}, ensure_ascii=False).encode()
    response = TextResponse("http://api.1sapp.com/content/outList?cid=1", body=listing,
                            headers={"Content-Type": "application/json; charset=idna"})
    fixed, unusable = through_middleware(response)
    assert json.loads(fixed.text)["data"]["data"][0]["title"] == TITLE and unusable == 1


def test_non_text_responses_pass() -> None:
    response = Response("http://static.1sapp.com/a.png", body=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert through_middleware(response) == (response, 0)


# Every label Python knows, declared on a UTF-8 page whose <meta> says UTF-8.
LABELS = sorted(set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values()))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LABELS), st.sampled_from(["utf-8", None]))
def test_any_python_codec_label_never_loses_the_page(label: str, meta: str | None) -> None:
    response, _ = through_middleware(html(page(meta).encode("utf-8"), label))
    text = response.text
    if resolve_encoding(label) not in WEB_ENCODINGS:
        assert TEXT in text, (label, response.encoding)  # a browser ignores the label, and so do we



@pytest.mark.parametrize("header", [None, "idna", "x-bogus"])
@pytest.mark.parametrize("meta", ["utf-16", "UTF-16LE", "utf-16be"])
def test_a_meta_naming_utf16_is_read_as_utf8(header: str | None, meta: str) -> None:
    """HTML's prescan: a <meta> can only be read in an ASCII-compatible page, so UTF-16 there means UTF-8."""
    response, counted = through_middleware(html(page(meta).encode("utf-8"), header))
    assert TEXT in response.text and TITLE in response.text
    assert counted == 1


def test_a_real_utf16_page_keeps_its_bom() -> None:
    body = page(None).encode("utf-16")  # with its byte order mark
    response, counted = through_middleware(html(body, None))
    assert TEXT in response.text and counted == 0
