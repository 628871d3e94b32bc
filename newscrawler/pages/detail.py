"""Parse an article's detail page once: the body element and a few page facts."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache

import lxml.html
from cssselect import HTMLTranslator
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, XPath

from newscrawler.pages.body import ParsedBody, fatal_errors, html_parser, inner_html
from newscrawler.text import needs_scrub, scrub
from newscrawler.urls import is_http_url, join_url


def _text_xpath(css: str) -> str:
    return HTMLTranslator().css_to_xpath(css) + "/text()"


# Each fact: the places a page may give it, best first, compiled once.
FACTS: dict[str, tuple[XPath, ...]] = {
    "title": (XPath(_text_xpath("h1")), XPath("//meta[@property='og:title']/@content"), XPath(_text_xpath("title"))),
    "author": (XPath(_text_xpath(".info .source")), XPath("//meta[@name='author']/@content")),
    "published_text": (
        XPath(_text_xpath(".info .time")), XPath("//meta[@property='article:published_time']/@content"),
    ),
    "like_count": (XPath(_text_xpath(".like-count")),),
}
# Only the page's own <head> may set the base: a <base> inside the body is the author's.
# As in a browser, the first <base> with an href is the one.
HEAD_BASE = XPath("/html/head/base[@href][1]/@href")


@lru_cache(maxsize=8)
def body_selector(css: str) -> CSSSelector:
    """The body selector, compiled once per crawl."""
    return CSSSelector(css)


@dataclass(frozen=True)
class DetailPage:
    """What a detail page adds to the listing entry.

    ``content_html`` is the inner HTML of the body element (None when the
    page has none); as a ``ParsedBody`` it carries the parsed element too,
    so cleaning it is the pipelines' job without a second parse.
    """

    content_html: str | None
    title: str | None
    author: str | None
    published_text: str | None
    like_count: str | None
    bad_base: str | None = None  # the page's <base href> when unusable: its URL was the base instead


def _first_text(root: lxml.html.HtmlElement, queries: tuple[XPath, ...]) -> str | None:
    for query in queries:
        for value in query(root):
            if value.strip():
                return str(value).strip()
    return None


def base_url(root: lxml.html.HtmlElement, url: str) -> tuple[str, str | None]:
    """The base of the body's relative URLs, and the page's own base when it was refused.

    The page's ``<head><base href>`` when it is an http(s) URL (relative to ``url``, the final
    response URL), else ``url``: a base that does not parse, holds a control character or
    names another scheme costs the page its base, never its body.
    """
    hrefs = HEAD_BASE(root)
    if not hrefs:
        return url, None
    href = str(hrefs[0])
    candidate = None if needs_scrub(href) else join_url(url, href.strip())
    if candidate is not None and is_http_url(candidate):
        return candidate, None
    return url, href


def parse_detail(text: str, body_css: str, url: str = "") -> DetailPage:
    """Extract the body and page facts from already-decoded HTML, in one parse.

    ``body_css`` comes from the QUTOUTIAO_BODY_SELECTOR setting (its one home); ``url`` is
    the final response URL, the base of the body's relative URLs.

    >>> page = parse_detail('<div class="content"> <p>hi</p></div>', "div.content")
    >>> page.content_html
    ' <p>hi</p>'
    """
    parser = html_parser()
    text = scrub(text)  # controls and lone surrogates: lxml keeps the first from bytes but refuses them in edits
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except ParserError:  # an empty document
        return DetailPage(None, None, None, None, None)
    error = fatal_errors(parser)
    bodies = body_selector(body_css)(root)
    base, bad_base = base_url(root, url)
    # A copy of the body alone: the item then holds its body, not the whole page, until cleaned.
    content = ParsedBody(copy.deepcopy(bodies[0]), base, error, "&#" in text) if bodies else None
    return DetailPage(
        content_html=content,
        title=_first_text(root, FACTS["title"]),
        author=_first_text(root, FACTS["author"]),
        published_text=_first_text(root, FACTS["published_text"]),
        like_count=_first_text(root, FACTS["like_count"]),
        bad_base=bad_base,
    )
