"""``scrapy serve``'s feeds, read by feedparser over real HTTP, from both stores; the RSSHub route
field by field; and a served feed byte for byte the exported one."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from tests.processes import scrapy
from tests.serving import ARTICLES, Response, Served, fill_store, serve_process
from tests.stores import BACKENDS

# Path -> (source, channel) of what it serves.
ROUTES = {
    "/qutoutiao": ("qutoutiao", None),
    "/qutoutiao/1": ("qutoutiao", 1),
    "/qutoutiao/2": ("qutoutiao", 2),
    "/qutoutiao/category/2": ("qutoutiao", 2),
    "/plain": ("plain", None),
}
# How to ask for a format, and what feedparser calls it.
FORMATS = [("", "", "rss20"), ("", "?format=rss", "rss20"), (".rss", "", "rss20"), ("", "?format=atom", "atom10"),
           (".atom", "", "atom10"), ("", "?format=json", "json11"), (".json", "", "json11")]


def expected(source: str, channel: int | None, limit: int = 20) -> list[Any]:
    chosen = [a for a in ARTICLES if a.source == source and (channel is None or a.channel_id == channel)]
    return sorted(chosen, key=lambda a: (-a.published_at.timestamp(), a.id))[:limit]


def read(reply: Response) -> Any:
    """The reply as a feed reader reads it: body and Content-Type. feedparser 6.0 reads no JSON Feed
    (its JSON parser is unreleased), so a JSON Feed is read as JSON into feedparser's shape."""
    if reply.headers["content-type"].startswith("application/feed+json"):
        feed = json.loads(reply.body)
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        entries = [feedparser.FeedParserDict(
            title=item["title"], link=item["url"], content=[feedparser.FeedParserDict(value=item["content_html"])],
            published_parsed=datetime.fromisoformat(item["date_published"]).astimezone(timezone.utc).timetuple(),
            author=item["authors"][0]["name"]) for item in feed["items"]]
        return feedparser.FeedParserDict(bozo=False, version="json11", entries=entries, feed=feed)
    return feedparser.parse(reply.body, response_headers={"content-type": reply.headers["content-type"]})


def body_of(entry: Any) -> str:
    if entry.get("content"):
        return entry.content[0].value
    return entry.description


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    args = fill_store(request.param, tmp_path, request)
    with serve_process(tmp_path, *args) as server:
        yield server


def test_feedparser_reads_every_route_in_every_format(served: Served) -> None:
    for path, (source, channel) in ROUTES.items():
        want = expected(source, channel)
        for extension, query, version in FORMATS:
            url = path + extension + query
            reply = served.get(url)
            assert reply.status == 200, url
            parsed = read(reply)
            assert not parsed.bozo, (url, parsed.get("bozo_exception"))
            assert parsed.version == version, url
            assert len(parsed.entries) == len(want) > 0, url
            for entry, article in zip(parsed.entries, want):
                assert entry.title == article.title, url
                assert entry.link == article.url, url
                published = datetime(*entry.published_parsed[:6], tzinfo=timezone.utc)
                assert published == article.published_at, url
                assert body_of(entry) == article.content_html, url
                assert entry.author == article.author, url


def test_limit_and_since_choose_the_articles(served: Served) -> None:
    parsed = read(served.get("/qutoutiao.json?limit=3"))
    assert [e.title for e in parsed.entries] == [a.title for a in expected("qutoutiao", None, 3)]
    assert len(read(served.get("/qutoutiao?limit=200")).entries) == 25
    since = ARTICLES[4].published_at  # article 5: itself and the four newer ones
    parsed = read(served.get(f"/qutoutiao.atom?since={since.isoformat().replace('+', '%2B')}"))
    assert [e.title for e in parsed.entries] == [f"标题 {n}" for n in range(1, 6)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_rsshub_route_gives_what_rsshub_gave(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """RSSHub's /qutoutiao/category/:cid (lib/routes/qutoutiao/category.ts): a channel titled 趣头条
    linking to the home page, items with title, link, description (the body HTML), pubDate (RFC 1123),
    author and guid."""
    args = fill_store(backend, tmp_path, request)
    with serve_process(tmp_path, *args) as served:
        reply = served.get("/qutoutiao/category/1")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/rss+xml; charset=utf-8"
    channel = etree.fromstring(reply.body).find("channel")
    assert channel.findtext("title") == "趣头条"
    assert channel.findtext("link") == "http://home.qutoutiao.net"
    assert channel.findtext("description") == "趣头条"
    items = channel.findall("item")
    want = expected("qutoutiao", 1)
    assert len(items) == len(want) == 12
    for item, article in zip(items, want):
        assert item.findtext("title") == article.title
        assert item.findtext("link") == article.url
        assert item.findtext("description") == article.content_html
        # RSSHub wrote new Date(show_time * 1000).toUTCString(): "Thu, 26 Nov 2026 15:00:00 GMT".
        assert item.findtext("pubDate") == format_datetime(article.published_at, usegmt=True)
        assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", item.findtext("pubDate"))
        assert item.findtext("author") == article.author
        assert item.find("guid").text == article.id and item.find("guid").get("isPermaLink") == "false"


BUILD_TIME = re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>|<updated>[^<]*</updated>(?=<generator>)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_served_feed_is_the_exported_feed(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args = fill_store(backend, tmp_path, request)
    with serve_process(tmp_path, *args) as served:
        for export_format, served_format in (("rss", "rss"), ("atom", "atom"), ("jsonfeed", "json")):
            for filters, path in ((["--source", "qutoutiao", "--channel", "2"], "/qutoutiao/2"),
                                  (["--source", "plain"], "/plain")):
                out = tmp_path / f"feed.{export_format}"
                run = scrapy("export", export_format, "--out", str(out), "--limit", "20", *filters, *args)
                assert run.returncode == 0, run.stderr
                reply = served.get(f"{path}.{served_format}")
                assert reply.status == 200
                exported = BUILD_TIME.sub(b"", out.read_bytes())
                assert BUILD_TIME.sub(b"", reply.body) == exported
                assert exported.count(b"<item>") + exported.count(b"<entry ") + exported.count(b'{"id"') > 0


def test_every_atom_feed_served_has_an_id_of_its_own(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """RFC 4287: no two feeds share an id, the RSSHub route's and the channel's feed included."""
    args = fill_store("sqlite", tmp_path, request)
    with serve_process(tmp_path, *args) as served:
        paths = ["/qutoutiao", "/qutoutiao/1", "/qutoutiao/2", "/qutoutiao/category/1", "/qutoutiao/category/2",
                 "/plain"]
        ids = []
        for path in paths:
            reply = served.get(f"{path}.atom")
            assert reply.status == 200, path
            feed = feedparser.parse(reply.body)
            assert feed.bozo == 0, path
            ids.append(feed.feed.id)
    assert len(set(ids)) == len(paths), dict(zip(paths, ids))
