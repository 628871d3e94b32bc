"""Parse an article's detail page: the body element and a few page facts."""

from __future__ import annotations

from dataclasses import dataclass

from parsel import Selector


@dataclass(frozen=True)
class DetailPage:
    """What a detail page adds to the listing entry.

    ``content_html`` is the inner HTML of the body element (None when the
    page has none); cleaning it is the pipelines' job.
    """

    content_html: str | None
    title: str | None
    author: str | None
    published_text: str | None
    like_count: str | None


def _first_text(sel: Selector, *queries: str) -> str | None:
    for query in queries:
        value = sel.css(query).get()
        if value and value.strip():
            return value.strip()
    return None


def parse_detail(text: str, body_selector: str) -> DetailPage:
    """Extract the body and page facts from already-decoded HTML.

    ``body_selector`` comes from the QUTOUTIAO_BODY_SELECTOR setting (its one home).

    >>> page = parse_detail('<div class="content"> <p>hi</p></div>', "div.content")
    >>> page.content_html
    ' <p>hi</p>'
    """
    sel = Selector(text=text)
    body = sel.css(body_selector)
    content_html = "".join(body[0].xpath("node()").getall()) if body else None
    return DetailPage(
        content_html=content_html,
        title=_first_text(sel, "h1::text", "meta[property='og:title']::attr(content)", "title::text"),
        author=_first_text(sel, ".info .source::text", "meta[name=author]::attr(content)"),
        published_text=_first_text(
            sel, ".info .time::text", "meta[property='article:published_time']::attr(content)"
        ),
        like_count=_first_text(sel, ".like-count::text"),
    )
