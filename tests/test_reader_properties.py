"""Properties of our exports in their readers: any text in any field stays that text.

Hexo: a post is rendered by real Hexo (one Node worker for the whole session, through Hexo's own
front-matter parser and post pipeline) and must give back every front-matter value as written
and exactly the sanitized body: no extra element, link or image, no template run. Feeds: what
feedparser (RSS) or a JSON parser (JSON Feed) hands back is the stored text and body.
"""

from __future__ import annotations

import html
import io
import json
from datetime import datetime, timezone
from typing import Any

import feedparser
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from newscrawler.pages.body import sanitize
from newscrawler.exporters.hexo import PostTemplate
from newscrawler.exporters.jsonfeed import JsonFeedItemExporter
from newscrawler.exporters.rss import RssItemExporter
from newscrawler.pipelines.normalize import clean_tags, clean_text
from newscrawler.replica import hostile
from newscrawler.text import scrub, xml_text
from newscrawler.urls import inert_http_url
from tests.articles import PROXY
from tests.hexo_render import HexoWorker, expected_shape, post_wrapper, rendered_shape

# derandomize: CI sees the same examples every run (explore more with --hypothesis-seed=N locally).
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
PUBLISHED = datetime(2021, 7, 8, 10, 55, 51, tzinfo=timezone.utc)

# What Nunjucks, marked, Hexo's filters, YAML and XML act on, mixed into any text.
SYNTAX = st.sampled_from([
    "{{", "}}", "{%", "%}", "{#", "#}", "{% raw %}", "{% endraw %}", "{{ 7*7 }}", hostile.RUN_CODE,
    "\n", "\n\n", " \n \n", "\t", "\u2028", "\x85", "```", "~~~", "`", "    ", "# ", "* ", "1. ", "> ", "|", "---",
    ";;;", "[a](javascript:alert(1))", f"![]({hostile.TRACKER})", "<http://a.example/>", "[r]: http://r/",
    "<!-- more -->", "<!--code\ufffc0-->", "\ufffc", "<hexoPostRenderCodeBlock>", "href='http://e.example/'",
    " onmouseover='alert(1)'", "=", "'", '"', "&", "&amp;", "&#123;", "<", ">", "</div>", "<div>", "]]>",
    "</title>", ": ", "- ", "? ", "!", "%", "@", "*a", "&a", "\\", "yes", "null", "1e3", "0o17", ".5", "~",
    "\ufeff", "\x7f", "\x9f", "\ufffe", "😀", "标题",
])
texts = st.lists(SYNTAX | st.text(max_size=6), max_size=8).map("".join).map(scrub)


def words(text: str) -> str:
    """``text`` as a stored title or tag holds it (one line, no outer spaces), never empty."""
    return clean_text(text) or "x"


def body_html(text: str, link: str, attribute: str, alt: str, code: str) -> str:
    """An article body with ``text`` in a paragraph, a link's text and attribute values, an
    image's alt and a ``<pre>``, sanitized as the body pipeline stores it."""
    value = html.escape(attribute)
    # Free text before the URL in each tag: a tag rewriter may take what is in the first for the second.
    return sanitize(
        f"<p>{html.escape(text)}</p><p><a title=\"{value}\" href=\"http://h.example/p?q={value}\">"
        f"{html.escape(link)}</a><img alt=\"{html.escape(alt)}\" src=\"{PROXY}http://i.example/a.png?{value}\">"
        f"</p><pre>{html.escape(code)}</pre>"
    )


@PROPERTY
@given(title=texts, author=texts, categories=st.lists(texts, max_size=3), text=texts, link=texts,
       attribute=texts, alt=texts, code=texts)
def test_any_text_in_any_field_stays_text_in_hexo(hexo_worker: HexoWorker, title: str, author: str,
                                                  categories: list[str], text: str, link: str,
                                                  attribute: str, alt: str, code: str) -> None:
    body = body_html(text, link, attribute, alt, code)
    headimg = f"{PROXY}http://i.example/{attribute}.jpeg"
    doc = {"title": title, "headimg": headimg, "published_at": PUBLISHED, "content_html": body}
    post = hexo_worker.render("2021-07-08-qutoutiao-1.md", PostTemplate(categories, author).render(doc))
    assert post.front["title"] == title
    assert post.front["author"] == author
    assert post.front["categories"] == (categories or None)
    # written inert: percent-encoded, or left out when the text leaves no http(s) URL
    assert post.front["headimg"] == post.front["thumbnail"] == (inert_http_url(headimg) or "")
    assert post.front["comments"] is False
    assert rendered_shape(post_wrapper(post.fragment())) == expected_shape(body)
    assert not list(hexo_worker.folder.rglob(hostile.CODE_MARKER))


def feedparser_rewrites(text: str) -> bool:
    """feedparser "repairs" text it takes for double-encoded UTF-8: an all-Latin-1 value whose
    Latin-1 bytes are valid UTF-8 ('Â¡' comes back as '¡'). Such a value is read back changed
    whatever the feed says; no escape avoids it (feedparser acts after decoding references)."""
    try:
        return text.encode("latin-1").decode("utf-8") != text
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False


def feed_item(title: str, tags: list[str], author: str, body: str) -> dict[str, Any]:
    return {"id": "qutoutiao:1", "url": "http://h.example/1.html", "title": title, "tags": tags,
            "author": author, "content_html": body, "published_at": PUBLISHED}


@PROPERTY
@given(title=texts, tags=st.lists(texts, max_size=3), author=texts, text=texts, attribute=texts)
def test_any_text_stays_text_in_feed_readers(title: str, tags: list[str], author: str, text: str,
                                             attribute: str) -> None:
    title, author, tags = words(title), words(author), clean_tags(tags)
    assume(not any(feedparser_rewrites(xml_text(t)) for t in [title, text, attribute, *tags]))
    body = body_html(text, text, attribute, text, text)
    item = feed_item(title, tags, author, body)

    rss = io.BytesIO()
    exporter = RssItemExporter(rss)
    exporter.start_exporting()
    exporter.export_item(item)
    exporter.finish_exporting()
    feed = feedparser.parse(rss.getvalue(), sanitize_html=False, resolve_relative_uris=False)
    assert not feed.bozo, feed.get("bozo_exception")
    [entry] = feed.entries
    # What XML can carry of each value; feedparser trims the ends of text elements.
    assert entry.title == xml_text(title).strip()
    assert [t.term for t in entry.get("tags", [])] == [xml_text(t).strip() for t in tags if xml_text(t)]
    assert entry.summary == xml_text(body)

    jsonfeed = io.BytesIO()
    exporter = JsonFeedItemExporter(jsonfeed)
    exporter.start_exporting()
    exporter.export_item(item)
    exporter.finish_exporting()
    [read] = json.loads(jsonfeed.getvalue().decode("utf-8"))["items"]
    assert (read["title"], read.get("tags", []), read["authors"], read.get("content_html", "")) == (
        title, tags, [{"name": author}], body)


@pytest.mark.parametrize("title", [
    "a\ud800b", "a\udfffb", "a\x00\x08\x0b\x1fb", "a\x80\x85\x9fb", "a\ufffe\uffffb", "]]></title></item><item>x",
    "</description><script>alert(1)</script>", "<![CDATA[x]]>", "&amp; &lt;b&gt;",
])
def test_rss_carries_titles_and_tags_as_text(title: str) -> None:
    """What XML cannot carry is left out, the rest reaches feedparser as the same text, never markup."""
    rss = io.BytesIO()
    exporter = RssItemExporter(rss)
    exporter.start_exporting()
    exporter.export_item(feed_item(title, [title, "标签"], "作者", "<p>正文</p>"))
    exporter.finish_exporting()
    feed = feedparser.parse(rss.getvalue())
    assert not feed.bozo, feed.get("bozo_exception")
    [entry] = feed.entries
    kept = "".join(c for c in title if c not in "\x00\x08\x0b\x1f\x80\x85\x9f\ufffe\uffff" and not "\ud800" <= c <= "\udfff")
    assert entry.title == kept and [t.term for t in entry.tags] == [kept, "标签"]
    assert entry.summary == "<p>正文</p>"
