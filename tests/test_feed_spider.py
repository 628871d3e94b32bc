"""``scrapy crawl feed -a url=… -a name=…`` on every dialect the replica serves, with and without ``-a body``."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from newscrawler.errors import ConfigError
from newscrawler.replica.feeds import guid
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests.crawling import crawl, proxy_through

SITE = "http://feeds.example.com"
# dialect -> (the entries' ids: guids where the feed has them, else the links; dates in the feed)
DIALECTS = {
    "/rss091.xml": ("link", False), "/rss092.xml": ("link", False), "/rss10.rdf": ("link", True),
    "/rss20.xml": ("guid", True), "/rss20-description.xml": ("guid", True), "/atom.xml": ("guid", True),
    "/atom-summary.xml": ("guid", True), "/feed.json": ("guid", True),
}


@pytest.fixture(scope="module")
def blog() -> Iterator[ReplicaServer]:
    server = serve_in_thread(0, ReplicaConfig(feed_entries=12))
    yield server
    server.shutdown()


@pytest.fixture
def via_blog(blog: ReplicaServer, monkeypatch: pytest.MonkeyPatch) -> ReplicaServer:
    proxy_through(monkeypatch, blog.url)
    return blog


def truth(server: ReplicaServer) -> list[dict[str, Any]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(server.url + "/__articles", timeout=30) as response:
        return json.loads(response.read())["sources"]["feed"]


def entry_id(article: dict[str, Any], kind: str) -> str:
    return guid(article["id"]) if kind == "guid" else article["url"]


@pytest.mark.parametrize("path", DIALECTS)
def test_each_dialect_without_article_pages(via_blog: ReplicaServer, path: str, tmp_path: Path) -> None:
    kind, dated = DIALECTS[path]
    result = crawl({"NEWSCRAWLER_DB": str(tmp_path / "s.sqlite3"), "DEADLETTER_DIR": str(tmp_path / "dl")},
                   spider="feed", url=SITE + path, name="blog")
    articles = truth(via_blog)
    posts = [p for p in via_blog.hits if p.startswith("feeds.example.com/posts/")]
    assert posts == []  # the feed carries the content: no article page is fetched
    if not dated:  # RSS 0.91/0.92 items carry no date: each is counted, none is stored with an invented one
        assert result.items == [] and result.stats["validate/missing/published_at"] == len(articles)
        return
    items = {item.source_id: item for item in result.items}
    assert set(items) == {entry_id(a, kind) for a in articles}
    feeds = via_blog.site.sources.feeds
    for article in articles:
        item = items[entry_id(article, kind)]
        assert (item.id, item.source, item.url, item.title) == (
            f"blog:{entry_id(article, kind)}", "blog", article["url"], article["title"])
        assert item.published_at == datetime.fromisoformat(article["published"])
        full = feeds.content(feeds.article(int(article["id"])))
        # the entry's content: content:encoded, Atom content, JSON Feed content_html, else the description/summary
        assert "print(&quot;ok&quot;)" in full and 'print("ok")' in item.content_text, path
        # an absolute image and a relative one, resolved against the feed
        assert len(item.image_urls) == 2 and all(u.startswith(f"{SITE}/images/") for u in item.image_urls)
    assert result.stats["blog/listing/pages"] == 1 and result.stats["monitors/result"] == "passed"


@pytest.mark.parametrize("path", ["/rss091.xml", "/rss20-description.xml", "/atom.xml", "/feed.json"])
def test_article_pages_when_asked(via_blog: ReplicaServer, path: str, tmp_path: Path) -> None:
    before = dict(via_blog.hits)
    result = crawl({"NEWSCRAWLER_DB": str(tmp_path / "s.sqlite3"), "DEADLETTER_DIR": str(tmp_path / "dl")},
                   spider="feed", url=SITE + path, name="blog", body=".entry-content")
    articles = truth(via_blog)
    fetched = {p: n - before.get(p, 0) for p, n in via_blog.hits.items() if p.startswith("feeds.example.com/posts/")}
    assert {p for p, n in fetched.items() if n} == {"feeds.example.com/posts/%s.html" % a["id"] for a in articles}
    assert set(fetched.values()) == {1}
    feeds = via_blog.site.sources.feeds
    by_url = {item.url: item for item in result.items}
    assert set(by_url) == {a["url"] for a in articles}  # RSS 0.91 too: the page gives the date and author
    for article in articles:
        item = by_url[article["url"]]
        assert item.published_at == datetime.fromisoformat(article["published"])
        assert item.author == article["author"]
        assert item.content_text.startswith(feeds.summary(feeds.article(int(article["id"])))[:5])  # the page's body
    assert result.stats["blog/detail/parsed"] == len(articles)


def test_paged_feeds_follow_next_links(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """RFC 5005 rel=next (RSS 2.0 and Atom) and JSON Feed's next_url, up to -a pages."""
    server = serve_in_thread(0, ReplicaConfig(feed_entries=25, feed_per_page=10))
    proxy_through(monkeypatch, server.url)
    try:
        for path in ("/rss20.xml", "/atom.xml", "/feed.json"):
            settings = {"NEWSCRAWLER_DB": str(tmp_path / f"{path[1:]}.sqlite3"), "DEADLETTER_DIR": str(tmp_path / "dl")}
            every = crawl(settings, spider="feed", url=SITE + path, name="blog", refresh="1")
            assert len(every.items) == 25 and every.stats["blog/listing/pages"] == 3, path
            assert server.hits[f"feeds.example.com{path}"] == 3  # page 1, ?page=2, ?page=3; no link after the last
            two = crawl(settings, spider="feed", url=SITE + path, name="blog", pages="2", refresh="1")
            assert len(two.items) == 20 and two.stats["blog/listing/pages"] == 2, path
            server.hits.clear()
    finally:
        server.shutdown()


def test_json_feed_is_told_by_the_response(via_blog: ReplicaServer, tmp_path: Path) -> None:
    """The same URL answering JSON: read as JSON Feed, whatever its name says."""
    result = crawl({"NEWSCRAWLER_DB": str(tmp_path / "s.sqlite3"), "DEADLETTER_DIR": str(tmp_path / "dl")},
                   spider="feed", url=SITE + "/feed.json", name="blog")
    assert {item.source_id for item in result.items} == {guid(a["id"]) for a in truth(via_blog)}
    assert all(item.tags and item.author for item in result.items)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "blog"}, "scrapy crawl feed needs -a url: -a url=<feed URL> -a name=<source name>"),
        ({"url": SITE + "/atom.xml"}, "scrapy crawl feed needs -a name"),
        ({}, "scrapy crawl feed needs -a url and -a name"),
        ({"url": "feeds.example.com/atom.xml", "name": "blog"},
         "spider argument url='feeds.example.com/atom.xml': expected the http:// or https:// URL of a feed"),
        ({"url": "file:///etc/passwd", "name": "blog"}, "spider argument url='file:///etc/passwd'"),
        ({"url": SITE + "/atom.xml", "name": "My Blog"}, "spider argument name='My Blog': expected lowercase letters"),
        ({"url": SITE + "/atom.xml", "name": "feed"}, "spider argument name='feed': name the source, not the spider"),
        ({"url": SITE + "/atom.xml", "name": "blog", "body": "div[["}, "spider argument body='div[[': not a valid CSS"),
        ({"url": SITE + "/atom.xml", "name": "blog", "pages": "0"}, "spider argument pages='0'"),
        ({"url": SITE + "/atom.xml", "name": "blog", "cids": "1"},
         "unknown spider argument -a cids: valid ones are url, name, body, pages, refresh"),
    ],
)
def test_bad_feed_arguments_name_the_argument(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        crawl({"ITEM_PIPELINES": {}}, spider="feed", **args)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert "listing." not in str(info.value) and "article." not in str(info.value)  # no profile key


def test_feed_urls_with_braces_are_not_templates(via_blog: ReplicaServer, tmp_path: Path) -> None:
    result = crawl({"NEWSCRAWLER_DB": str(tmp_path / "s.sqlite3"), "DEADLETTER_DIR": str(tmp_path / "dl")},
                   spider="feed", url=SITE + "/atom.xml?x={page}", name="blog")
    assert len(result.items) == len(truth(via_blog))  # fetched as written (the replica ignores the query)
