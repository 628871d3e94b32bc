"""An article page, read by its profile's ``article`` section: the body element and the page's facts.

The body is the first element any ``article.body`` query matches; the facts (title, summary,
author, published_at, tags, like) come from ``article.fields`` by the rules every listing field
follows (``pages/entries.py``): a value of the wrong kind is counted, never raised. A date the
page writes as text is read here, in the profile's time zone, against the crawl time.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

import lxml.html
from lxml.etree import ParserError, XPath
from scrapy.http import TextResponse

from newscrawler.pages.body import BodyOptions, ParsedBody, fatal_errors, html_parser
from newscrawler.pages.entries import FieldReader, ListingEntry, lookup_in, text_field
from newscrawler.sources.profile import SourceProfile
from newscrawler.text import needs_scrub, scrub
from newscrawler.urls import is_http_url, join_url

# Only the page's own <head> may set the base: a <base> inside the body is the author's.
# As in a browser, the first <base> with an href is the one.
HEAD_BASE = XPath("/html/head/base[@href][1]/@href")
TEXT_FACTS = ("title", "summary", "author", "like")


@dataclass(frozen=True)
class DetailPage:
    """What an article page adds to its listing entry.

    ``content_html`` is the inner HTML of the body element (None when the page has none); as a
    ``ParsedBody`` it carries the parsed element and the source's cleaning options too, so
    cleaning it is the pipelines' job without a second parse.
    """

    content_html: ParsedBody | None
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    tags: tuple[str, ...] = ()
    like: str | None = None
    bad_base: str | None = None  # the page's <base href> when unusable: its URL was the base instead
    # "coerced/<field>" and "coerced/published_at/<why>": facts of the wrong kind, left out.
    problems: Counter[str] = field(default_factory=Counter)


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


def known_facts(entry: ListingEntry) -> frozenset[str]:
    """The page facts its listing entry already gives: the page's are not read (a date costs a parse)."""
    given = {"title": entry.title, "summary": entry.summary, "author": entry.author, "tags": entry.tags,
             "published_at": entry.published_at, "like": entry.counts.get("like")}
    return frozenset(name for name, value in given.items() if value)


def body_options(profile: SourceProfile) -> BodyOptions:
    """The profile's cleaning options, carried by each body to the body stage."""
    return BodyOptions(lazy_images=profile.article.lazy_images, drop=profile.article.drop)


class ArticlePageReader:
    """One profile's article pages; built once per crawl.

    >>> from datetime import timezone
    >>> from newscrawler.sources.profile import profile_from_data
    >>> reader = ArticlePageReader(profile_from_data({"name": "news", "listing": {
    ...     "kind": "feed", "url": "http://news.example/feed.xml", "fields": {}},
    ...     "article": {"fetch": True, "body": [".content", ".grap"], "fields": {"title": "h1::text"}},
    ...     "hexo": {"categories": ["news"], "author": "news"}}, "news.yaml"))
    >>> page = reader.parse('<h1>标题</h1><div class="grap"><p>正文</p></div>', "http://news.example/1.html",
    ...                     datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> page.content_html, page.title
    ('<p>正文</p>', '标题')
    """

    def __init__(self, profile: SourceProfile) -> None:
        self.bodies = profile.article.body
        self.facts = FieldReader(profile.article.fields, profile.timezone, html=True)
        self.options = body_options(profile)

    def parse_response(self, response: TextResponse, now: datetime, known: Collection[str] = ()) -> DetailPage:
        """One article page, decoded by its declared charset (the spider refuses pages that are not text)."""
        return self.parse(response.text, response.url, now, known)

    def parse(self, text: str, url: str, now: datetime, known: Collection[str] = ()) -> DetailPage:
        """The body and facts of already-decoded HTML, in one parse; ``url`` is the final response URL.

        Facts named in ``known`` (the listing gave them: ``known_facts``) are left unread.
        """
        parser = html_parser()
        text = scrub(text)  # controls and lone surrogates: lxml keeps the first from bytes but refuses them in edits
        try:
            root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
        except ParserError:  # an empty document
            return DetailPage(None)
        error = fatal_errors(parser)
        base, bad_base = base_url(root, url)
        body = self.body(root)
        # A copy of the body alone: the item then holds its body, not the whole page, until cleaned.
        content = ParsedBody(copy.deepcopy(body), base, error, "&#" in text, self.options) if body is not None else None
        lookup, problems = lookup_in(root), Counter[str]()
        facts = {name: self.facts.value(name, lookup, url, problems, text_field) for name in TEXT_FACTS
                 if name not in known}
        return DetailPage(
            content_html=content,
            title=facts.get("title"),
            summary=facts.get("summary"),
            author=facts.get("author"),
            published_at=self.facts.date(lookup, url, now, problems) if "published_at" not in known else None,
            tags=tuple(self.facts.values("tags", lookup, url, problems)) if "tags" not in known else (),
            like=facts.get("like"),
            bad_base=bad_base,
            problems=problems,
        )

    def body(self, root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
        """The first element a body query matches (queries in the profile's order)."""
        for query in self.bodies:
            for match in query.search(root):
                if isinstance(match, lxml.html.HtmlElement):
                    return match
        return None
