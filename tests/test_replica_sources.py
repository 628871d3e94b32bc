"""The replica's other sources (Dockone, 人人都是产品经理, ZAKER, a feed blog), fetched over HTTP through it as a proxy.

Each route is read with the library the crawler will use (parsel, json, feedparser)
and compared with what the replica says it published (``Site.sources``, ``/__articles``).
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.message import Message
from types import SimpleNamespace
from typing import Any

import feedparser
import pytest
from parsel import Selector

from newscrawler.replica import feed_attacks, server as server_module, woshipm, zaker
from newscrawler.replica.served import BEIJING
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests.processes import replica_process, scrapy

NEXT_LINK = '//ul[contains(@class, "pagination")]//a[normalize-space() = ">"]/@href'
NOW = datetime(2024, 5, 20, 15, 0, 30, tzinfo=BEIJING)  # the fixed clock: one of each ZAKER time text
NIGHT = datetime(2024, 5, 20, 0, 30, 30, tzinfo=BEIJING)  # most rows are from an earlier calendar day
FEED_VERSIONS = {
    "rss091.xml": "rss091u", "rss092.xml": "rss092", "rss10.rdf": "rss10", "rss20.xml": "rss20",
    "rss20-description.xml": "rss20", "atom.xml": "atom10", "atom-summary.xml": "atom10",
}


def fetch(server: ReplicaServer, url: str) -> tuple[int, Message, bytes]:
    """GET ``url`` with the replica as http_proxy, as the crawler does."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": server.url}))
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page(server: ReplicaServer, url: str) -> Selector:
    status, headers, body = fetch(server, url)
    assert status == 200, url
    return Selector(text=body.decode("utf-8"))


def listing_json(server: ReplicaServer, url: str) -> Any:
    status, _, body = fetch(server, url)
    assert status == 200, url
    return json.loads(body)


@pytest.fixture(scope="module")
def site() -> Iterator[ReplicaServer]:
    """Every source sized apart from the defaults, hostile pages on."""
    server = serve_in_thread(0, ReplicaConfig(
        hostile=True, dockone_pages=4, dockone_per_page=6, woshipm_pages=3, woshipm_per_page=5,
        zaker_channels=3, zaker_per_channel=14, feed_entries=11,
    ))
    yield server
    server.shutdown()


def zaker_at(now: datetime) -> ReplicaServer:
    """ZAKER at a fixed clock, its anchor 20 seconds before it."""
    server = serve_in_thread(0, ReplicaConfig(zaker_channels=2, zaker_per_channel=16, zaker_anchor=now - timedelta(seconds=20)))
    server.clock = lambda: now
    return server


@pytest.fixture(scope="module")
def fixed_clock() -> Iterator[ReplicaServer]:
    server = zaker_at(NOW)
    yield server
    server.shutdown()


# --- routing -------------------------------------------------------------------
def test_hosts_share_paths_but_not_pages(site: ReplicaServer) -> None:
    assert page(site, "http://weekly.dockone.io/").css(".aw-common-list")
    assert page(site, "http://dockone.io/").css(".aw-common-list")
    assert page(site, "http://feeds.example.com/").css("link[rel=alternate]")
    assert fetch(site, "http://www.myzaker.com/")[0] == 404
    assert fetch(site, "http://api.1sapp.com/")[0] == 404  # 趣头条's hosts keep their routes: no page at /
    status, headers, body = fetch(site, "http://api.1sapp.com/content/outList?cid=1&page=1&limit=2")
    assert status == 200 and len(json.loads(body)["data"]["data"]) == 2


def test_direct_requests_route_by_host_header(site: ReplicaServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.server_address[1], timeout=10)
    connection.request("GET", "/", headers={"Host": "weekly.dockone.io"})
    assert b"aw-common-list" in connection.getresponse().read()
    connection.request("GET", "/content/outList?cid=1&page=1&limit=1", headers={"Host": f"127.0.0.1:{site.server_address[1]}"})
    assert json.loads(connection.getresponse().read())["data"]["data"]
    connection.close()


def test_hits_count_per_host_and_path_for_the_other_sources(site: ReplicaServer) -> None:
    before = dict(site.hits)
    fetch(site, "http://weekly.dockone.io/article/1001")
    fetch(site, "http://dockone.io/article/1001")
    fetch(site, "http://html2.qktoutiao.com/detail/2021/07/08/594310537.html")
    gained = {k: v - before.get(k, 0) for k, v in site.hits.items() if v != before.get(k, 0)}
    assert gained == {"weekly.dockone.io/article/1001": 1, "dockone.io/article/1001": 1,
                      "/detail/2021/07/08/594310537.html": 1}


# --- dockone (html, next-link paging) --------------------------------------------
def dockone_pages(server: ReplicaServer, url: str = "http://weekly.dockone.io/") -> Iterator[Selector]:
    seen: set[str] = set()
    while url:
        assert url not in seen, "the next links loop"
        seen.add(url)
        selector = page(server, url)
        yield selector
        url = selector.xpath(NEXT_LINK).get("")


def test_dockone_rows_pages_and_fields(site: ReplicaServer) -> None:
    truth = {a.url.split("/")[-1]: a for a in site.site.sources.dockone.articles()}
    pages = list(dockone_pages(site))
    assert len(pages) == 4
    found: list[str] = []
    for selector in pages:
        rows = selector.css(".aw-common-list .article")
        assert len(rows) == 6
        assert len(selector.css(".aw-common-list .aw-item")) > len(rows)  # question rows, left out by the selector
        assert all("/question/" in q.css(".aw-question-content > h4 > a::attr(href)").get()
                   for q in selector.css(".aw-common-list .aw-item:not(.article)"))
        for row in rows:
            link = row.css(".aw-question-content > h4 > a")
            href = link.attrib["href"]
            assert re.fullmatch(r"http://(weekly\.)?dockone\.io/article/\d+", href)
            article = truth[href.rsplit("/", 1)[1]]
            assert href == article.url and link.css("::text").get() == article.title
            avatar = row.css(".aw-user-name")[0]
            assert avatar.css("img") and not "".join(avatar.css("::text").getall()).strip()
            assert row.css("p a.aw-user-name::text").get() == article.author
            text = row.css("span.text-color-999::text").get()
            assert text.startswith("发表了文章 • ")
            shown = datetime.strptime(text.rsplit("•", 1)[1].strip(), "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)
            assert shown == article.published
            found.append(article.native_id)
    assert found == [a.native_id for a in site.site.sources.dockone.articles()]  # newest first, each once
    assert any(url.startswith("http://dockone.io/") for url in (a.url for a in truth.values()))
    last = pages[-1]
    assert last.css(".pagination") and not last.xpath(NEXT_LINK)
    assert not page(site, "http://weekly.dockone.io/sort_type-new__day-0__is_recommend-0__page-5").css(".aw-item")


def test_dockone_article_page(site: ReplicaServer) -> None:
    article = next(a for a in site.site.sources.dockone.articles() if "&" in a.title)
    for host in ("weekly.dockone.io", "dockone.io"):
        selector = page(site, f"http://{host}/article/{article.native_id}")
        body = selector.css(".aw-question-detail .content")
        assert len(body) == 1 and selector.css("h1::text").get() == article.title
        assert body.css("pre code") and body.css("p")
        sources = body.css("img::attr(src)").getall()
        assert any(s.startswith("http://dockone.io/uploads/") for s in sources) and any(s.startswith("/uploads/") for s in sources)
        assert selector.css("script") and selector.css(".aw-side-bar") and selector.css("#comments")
    assert fetch(site, "http://weekly.dockone.io/article/999")[0] == 404


# --- woshipm (json, page numbers) ----------------------------------------------
def test_woshipm_pages_until_an_empty_payload(site: ReplicaServer) -> None:
    base = woshipm.LIST_URL
    assert listing_json(site, base) == listing_json(site, base + "/page/1")
    pages = [listing_json(site, f"{base}/page/{n}")["payload"] for n in range(2, 6)]
    pages.insert(0, listing_json(site, base)["payload"])
    assert [len(p) for p in pages] == [5, 5, 5, 0, 0]  # three pages, then an empty payload
    entries = [e for p in pages for e in p]
    truth = list(site.site.sources.woshipm.articles())
    assert [e["id"] for e in entries] == [int(a.native_id) for a in truth]
    for entry, article in zip(entries, truth):
        assert isinstance(entry["id"], int) and entry["title"] == article.title and entry["permalink"] == article.url
        assert re.fullmatch(r"http://www\.woshipm\.com/[a-z]+/\d+\.html", entry["permalink"])
        assert entry["date"] == article.published.astimezone(BEIJING).strftime("%Y/%m/%d")
        assert {"snipper", "image", "view"} <= set(entry)
        assert entry.get("author", {}).get("name") == article.author
    assert any("author" not in e for e in entries) and any("author" in e for e in entries)


def test_woshipm_article_pages_old_and_new(site: ReplicaServer) -> None:
    kinds = set()
    for article in site.site.sources.woshipm.articles():
        selector = page(site, article.url)
        grap, content = selector.css(".grap"), selector.css(".article--content")
        assert len(grap) + len(content) == 1
        body = grap or content
        kinds.add("grap" if grap else "article--content")
        lazy = body.css("img[data-original]")
        assert lazy and all(i.attrib["src"] == woshipm.PLACEHOLDER and i.attrib["data-original"].startswith("http://image.woshipm.com/")
                            for i in lazy)
    assert kinds == {"grap", "article--content"}


# --- zaker (html, one page per channel, relative times) ----------------------------
def window(text: str, now: datetime) -> tuple[datetime, datetime]:
    """The instants (first, last) a ZAKER time text shown at ``now`` can stand for; an independent oracle."""
    clock = now.astimezone(BEIJING)
    day = clock.replace(hour=0, minute=0, second=0, microsecond=0)

    def whole_day(d: datetime) -> tuple[datetime, datetime]:
        return d, d + timedelta(days=1) - timedelta(microseconds=1)

    if text == "刚刚":
        return clock - timedelta(seconds=60), clock
    if match := re.fullmatch(r"(\d+)分钟前", text):
        return clock - timedelta(minutes=int(match[1]) + 1), clock - timedelta(minutes=int(match[1]))
    if match := re.fullmatch(r"(\d+)小时前", text):
        return clock - timedelta(hours=int(match[1]) + 1), clock - timedelta(hours=int(match[1]))
    if match := re.fullmatch(r"昨天 (\d\d):(\d\d)", text):
        exact = day - timedelta(days=1) + timedelta(hours=int(match[1]), minutes=int(match[2]))
        return exact, exact
    if text == "昨天":
        return whole_day(day - timedelta(days=1))
    if match := re.fullmatch(r"(\d+)天前", text):
        return whole_day(day - timedelta(days=int(match[1])))
    if match := re.fullmatch(r"(\d\d)-(\d\d)", text):
        return whole_day(day.replace(month=int(match[1]), day=int(match[2])))
    match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text)
    assert match, f"not a ZAKER time text: {text!r}"
    return whole_day(day.replace(year=int(match[1]), month=int(match[2]), day=int(match[3])))


def kind(text: str) -> str:
    return re.sub(r"\d+", "N", text)


def zaker_rows(server: ReplicaServer, channel: int) -> list[tuple[str, str, str]]:
    """(link, title, time text) of each ``div.content-block`` of a channel page."""
    return [(row.css(".article-wrap > a[href]::attr(href)").get(), row.css(".article-title::text").get(),
             row.css(".subtitle span:last-child::text").get())
            for row in page(server, zaker.CHANNEL_URL.format(id=channel)).css("div.content-block")]


def resolved_kinds(server: ReplicaServer, now: datetime) -> set[str]:
    """Checks that every row's time text stands for the article's true time; the kinds of text seen."""
    source = server.site.sources.zaker
    assert source.channels == [660, 1]
    kinds = set()
    for channel in source.channels:
        rows = zaker_rows(server, channel)
        assert len(rows) == 16
        for link, title, text in rows:
            native_id = re.fullmatch(r"//www\.myzaker\.com/article/([0-9a-f]{24})", link)[1]
            first, last = window(text, now)
            assert first <= source.true_time(native_id) <= last, (text, source.true_time(native_id))
            assert title == source.article(*source.by_id[native_id]).title
            kinds.add(kind(text))
    return kinds


def test_zaker_times_resolve_to_the_true_times(fixed_clock: ReplicaServer) -> None:
    assert resolved_kinds(fixed_clock, NOW) == {"刚刚", "N分钟前", "N小时前", "昨天 N:N", "昨天", "N天前", "N-N", "N-N-N"}


def test_zaker_times_past_midnight_count_calendar_days() -> None:
    server = zaker_at(NIGHT)
    try:
        assert {"昨天 N:N", "N天前"} <= resolved_kinds(server, NIGHT)
    finally:
        server.shutdown()


def test_zaker_times_follow_the_real_clock() -> None:
    server = serve_in_thread(0, ReplicaConfig(zaker_channels=1, zaker_per_channel=30))
    try:
        before = datetime.now(timezone.utc)
        rows = zaker_rows(server, 660)
        after = datetime.now(timezone.utc)
        for link, _, text in rows:
            true = server.site.sources.zaker.true_time(link.rsplit("/", 1)[1])
            assert window(text, before)[0] <= true <= window(text, after)[1], (text, true)
            assert true.second == 0  # minute precision: "5分钟前" read at the crawl time finds the minute
    finally:
        server.shutdown()


def test_zaker_article_page(fixed_clock: ReplicaServer) -> None:
    article = next(fixed_clock.site.sources.zaker.articles())
    selector = page(fixed_clock, "http:" + zaker_rows(fixed_clock, 660)[0][0])
    body = selector.css("div.article_content div")[0]  # nested divs (image boxes) match too
    assert body.attrib["id"] == "content" and body.css("p")
    assert all(i.attrib["data-original"].lstrip("htp:").startswith("//zkres") for i in body.css("img"))
    assert selector.css("a.article-auther::text").get() == article.author
    assert tuple(selector.css(".lebel-list a::text").getall()) == article.tags
    assert selector.css("span.time::text").get() == "刚刚" and selector.css("h1::text").get() == article.title
    assert fetch(fixed_clock, "http://www.myzaker.com/article/" + "0" * 24)[0] == 404
    assert fetch(fixed_clock, "http://www.myzaker.com/channel/2")[0] == 404  # a real channel, not served at this size


def test_zaker_channels_listed_with_names() -> None:
    assert zaker.CHANNELS[660] == "热点" and zaker.CHANNELS[1] == "国内" and zaker.CHANNELS[13] == "科技"
    assert not set(zaker.CHANNELS) & set(zaker.HOSTILE_CHANNELS)


# --- feeds --------------------------------------------------------------------------
def utc(struct: Any) -> datetime:
    return datetime(*struct[:6], tzinfo=timezone.utc)


@pytest.mark.parametrize("path", sorted(FEED_VERSIONS))
def test_every_feed_dialect(site: ReplicaServer, path: str) -> None:
    status, headers, body = fetch(site, f"http://feeds.example.com/{path}")
    parsed = feedparser.parse(body)
    assert status == 200 and not parsed.bozo and parsed.version == FEED_VERSIONS[path]
    truth = list(site.site.sources.feeds.articles())
    assert [e.link for e in parsed.entries] == [a.url for a in truth]
    assert [e.title for e in parsed.entries] == [a.title for a in truth]
    assert any("&" in e.title and "<" in e.title for e in parsed.entries)
    for entry, article in zip(parsed.entries, truth):
        full = "content" in entry
        assert full == (path in ("rss10.rdf", "rss20.xml", "atom.xml"))
        html_body = entry.content[0].value if full else entry.summary
        assert "<img" in html_body and "<pre>" in html_body
        if path.startswith(("rss20", "atom")):
            assert entry.id == f"tag:feeds.example.com,2021:post-{article.native_id}"
            assert utc(entry.published_parsed) == article.published
        if path == "rss10.rdf":
            assert utc(entry.updated_parsed) == article.published  # dc:date
        if path in ("rss091.xml", "rss092.xml"):
            assert "published_parsed" not in entry and "author" not in entry  # their specs have neither
        else:
            assert entry.author == article.author
        if path != "rss091.xml":
            assert [t.term for t in entry.tags] == list(article.tags)
    assert status == 200 and fetch(site, truth[0].url)[0] == 200


def test_json_feed(site: ReplicaServer) -> None:
    status, headers, body = fetch(site, "http://feeds.example.com/feed.json")
    document = json.loads(body)
    assert headers["Content-Type"].startswith("application/feed+json")
    assert document["version"] == "https://jsonfeed.org/version/1.1" and "next_url" not in document
    truth = list(site.site.sources.feeds.articles())
    assert [i["url"] for i in document["items"]] == [a.url for a in truth]
    for item, article in zip(document["items"], truth):
        assert item["id"] == f"tag:feeds.example.com,2021:post-{article.native_id}"
        assert datetime.fromisoformat(item["date_published"]) == article.published
        assert "<img" in item["content_html"] and item["authors"] == [{"name": article.author}]
        assert item["tags"] == list(article.tags)


def test_feed_article_pages(site: ReplicaServer) -> None:
    for article in site.site.sources.feeds.articles():
        selector = page(site, article.url)
        assert selector.css("h1.post-title::text").get() == article.title
        assert selector.css(".entry-content img") and selector.css("meta[name=author]::attr(content)").get() == article.author
        assert datetime.fromisoformat(selector.css("time::attr(datetime)").get()) == article.published


def test_feed_blog_archive_pages(site: ReplicaServer) -> None:
    """The blog's HTML archive (README "Add a source" writes a profile for it): every post once, newest first."""
    url, listed = "http://feeds.example.com/archives/", []
    while url:
        selector = page(site, url)
        for row in selector.css("article.archive-article"):
            listed.append((row.css("h2 a::attr(href)").get(), row.css("h2 a::text").get(),
                           datetime.fromisoformat(row.css("time::attr(datetime)").get())))
        following = selector.css("a.extend.next::attr(href)").get()
        url = f"http://feeds.example.com{following}" if following else ""
    posts = list(site.site.sources.feeds.articles())
    assert listed == [(a.url.removeprefix("http://feeds.example.com"), a.title, a.published) for a in posts]
    assert fetch(site, "http://feeds.example.com/archives/page/9/")[0] == 404


def test_paged_feeds_follow_next_links() -> None:
    server = serve_in_thread(0, ReplicaConfig(feed_entries=20, feed_per_page=7))
    try:
        truth = [a.url for a in server.site.sources.feeds.articles()]
        for path in ("rss20.xml", "atom.xml", "feed.json"):
            url: str | None = f"http://feeds.example.com/{path}"
            links: list[str] = []
            pages = 0
            while url:
                body = fetch(server, url)[2]
                pages += 1
                if path.endswith(".json"):
                    document = json.loads(body)
                    links += [i["url"] for i in document["items"]]
                    url = document.get("next_url")
                else:
                    parsed = feedparser.parse(body)
                    links += [e.link for e in parsed.entries]
                    url = next((link.href for link in parsed.feed.get("links", []) if link.rel == "next"), None)
            assert (pages, links) == (3, truth), path
        past = feedparser.parse(fetch(server, "http://feeds.example.com/rss091.xml?page=4")[2])
        assert past.version == "rss091u" and past.entries == []
    finally:
        server.shutdown()


# --- hostile pages --------------------------------------------------------------------
HOSTILE_URLS = [
    "http://weekly.dockone.io/hostile/rows", "http://weekly.dockone.io/hostile/empty",
    "http://weekly.dockone.io/hostile/loop", "http://weekly.dockone.io/hostile/next-private",
    *(f"http://www.woshipm.com/__api/v1/hostile/{case}" for case in woshipm.HOSTILE_DOCUMENTS),
    *(zaker.CHANNEL_URL.format(id=c) for c in zaker.HOSTILE_CHANNELS),
    *(f"http://feeds.example.com{path}" for path in feed_attacks.CASES),
]


def test_hostile_pages_only_when_asked(replica: ReplicaServer, site: ReplicaServer) -> None:
    assert {url: fetch(replica, url)[0] for url in HOSTILE_URLS} == {url: 404 for url in HOSTILE_URLS}
    assert {url: fetch(site, url)[0] for url in HOSTILE_URLS} == {url: 200 for url in HOSTILE_URLS}
    described = "\n".join(site.site.describe())
    assert all(url in described for url in HOSTILE_URLS)
    assert "hostile" not in "\n".join(replica.site.describe())


def test_dockone_hostile_rows(site: ReplicaServer) -> None:
    port = site.server_address[1]
    rows = page(site, "http://weekly.dockone.io/hostile/rows").css(".aw-common-list .article")
    links = [row.css(".aw-question-content > h4 > a") for row in rows]
    hrefs = [link.attrib.get("href") if link else None for link in links]
    good = {a.url for a in site.site.sources.dockone.hostile_articles()}
    assert good <= set(hrefs) and None in hrefs and "" not in hrefs and len(rows) == 12
    assert sum(1 for link in links if link and "href" not in link.attrib) == 1
    assert {h.split(":")[0] for h in hrefs if h and h not in good} >= {"javascript", "data"}
    assert f"http://127.0.0.1:{port}/article/1001" in hrefs and "http://10.0.0.8/article/1002" in hrefs
    times = [row.css("span.text-color-999::text").get().rsplit("•", 1)[1].strip() for row in rows]
    assert "未知时间" in times and f"{datetime.now(BEIJING).year + 1}-01-01 10:00" in times
    assert all(fetch(site, url)[0] == 200 for url in good)
    loop = page(site, "http://weekly.dockone.io/hostile/loop")
    assert loop.xpath(NEXT_LINK).get() == "http://weekly.dockone.io/hostile/loop"
    assert page(site, "http://weekly.dockone.io/hostile/rows").xpath(NEXT_LINK).get() == "http://weekly.dockone.io/hostile/loop"
    assert page(site, "http://weekly.dockone.io/hostile/next-private").xpath(NEXT_LINK).get() == f"http://127.0.0.1:{port}/private/next"
    empty = page(site, "http://weekly.dockone.io/hostile/empty")
    assert empty.css(".aw-common-list") and not empty.css(".aw-common-list .article")
    assert "<script>" in page(site, "http://weekly.dockone.io/article/900004").css(".aw-question-detail .content").get()


def test_woshipm_hostile_documents(site: ReplicaServer) -> None:
    base = "http://www.woshipm.com/__api/v1/hostile/"
    payload = listing_json(site, base + "fields")["payload"]
    ids = [e.get("id") for e in payload]
    assert {int(sid) for sid in woshipm.HOSTILE_GOOD} <= {i for i in ids if type(i) is int}
    assert len(payload) == len(woshipm.HOSTILE_GOOD) + len(woshipm.HOSTILE_ENTRIES)
    types = {type(i).__name__ for i in ids}
    assert {"int", "dict", "bool", "float", "NoneType"} <= types
    assert any(isinstance(e["title"], list) for e in payload) and any(isinstance(e.get("date"), dict) for e in payload)
    assert any(e.get("date") == "2018/13/45" for e in payload) and any(e.get("author") is None for e in payload)
    assert f"http://127.0.0.1:{site.server_address[1]}/pmd/9900107.html" in [e["permalink"] for e in payload]
    for sid in woshipm.HOSTILE_GOOD + tuple(e.sid for e in woshipm.HOSTILE_ENTRIES if e.outcome == "stored"):
        assert fetch(site, f"http://www.woshipm.com/pmd/{sid}.html")[0] == 200
    assert listing_json(site, base + "fields/page/2") == {"code": 200, "message": "success", "payload": []}
    assert isinstance(listing_json(site, base + "payload-object")["payload"], dict)
    assert isinstance(listing_json(site, base + "payload-string")["payload"], str)
    with pytest.raises(json.JSONDecodeError):
        listing_json(site, base + "not-json")
    with pytest.raises(UnicodeDecodeError):  # cut inside a character
        listing_json(site, base + "truncated")
    with pytest.raises(RecursionError):
        listing_json(site, base + "deep")
    status, headers, body = fetch(site, base + "wrong-type")
    assert headers["Content-Type"].startswith("text/html") and json.loads(body)["payload"]


def test_zaker_hostile_channels(site: ReplicaServer) -> None:
    source = site.site.sources.zaker
    rows = zaker_rows(site, zaker.HOSTILE_ROWS)
    links = [link for link, _, _ in rows]
    good = {a.url.removeprefix("http:") for a in source.hostile_articles() if a.channel_id == zaker.HOSTILE_ROWS}
    assert good <= set(links) and None in links
    assert {link.split(":")[0] for link in links if link and link not in good} >= {"javascript", "data", "http"}
    assert any(link and link.startswith(f"//127.0.0.1:{site.server_address[1]}/") for link in links)
    texts = {text for _, _, text in rows}
    assert {"5分钟后", "明天 10:30", f"{datetime.now(BEIJING).year + 1}-{datetime.now(BEIJING):%m-%d}"} <= texts
    future = dict((a.url.removeprefix("http:"), t) for a, t in source.future_rows(site.clock()))
    assert {link: text for link, _, text in rows if link in future} == future
    assert page(site, zaker.CHANNEL_URL.format(id=zaker.HOSTILE_EMPTY)).css("div.content-block") == []
    status, headers, body = fetch(site, zaker.CHANNEL_URL.format(id=zaker.HOSTILE_OCTET))
    assert headers["Content-Type"] == "application/octet-stream" and body.count(b'class="content-block"') == 3


def test_hostile_feeds(site: ReplicaServer) -> None:
    good = [a.url for a in site.site.sources.feeds.hostile_articles()]

    def parsed(path: str) -> Any:
        return feedparser.parse(fetch(site, f"http://feeds.example.com/hostile/{path}")[2])

    assert parsed("not-xml.xml").entries == [] and parsed("not-xml.xml").version == ""
    truncated = parsed("truncated.xml")
    assert truncated.bozo and [e.link for e in truncated.entries[:2]] == good[:2]
    for path, declared in (("billion-laughs.xml", b'<!ENTITY lol9 "&lol8;&lol8;'), ("xxe-file.xml", b'SYSTEM "file:///etc/passwd"'),
                           ("xxe-http.xml", f'SYSTEM "http://127.0.0.1:{site.server_address[1]}/private/xxe"'.encode())):
        body = fetch(site, f"http://feeds.example.com/hostile/{path}")[2]
        assert declared in body and body.count(b"<item>") == 4
        assert good == [e.link for e in feedparser.parse(body).entries if e.link in good]
    assert "root:" not in json.dumps(parsed("xxe-file.xml"), default=str)
    assert site.hits.get(feed_attacks.XXE_PATH, 0) == 0  # feedparser did not fetch the external entity
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(site.url + feed_attacks.XXE_PATH, timeout=10) as response:
        assert response.read() == feed_attacks.XXE_SECRET
    scripts = fetch(site, "http://feeds.example.com/hostile/scripts.xml")[2]
    assert b"<script>" in scripts and b"<iframe" in scripts and b"<link>javascript:" in scripts
    assert good == [e.link for e in feedparser.parse(scripts).entries if e.link in good]
    private = [e.link for e in parsed("private-links.xml").entries]
    assert f"http://127.0.0.1:{site.server_address[1]}/private/post.html" in private and "http://10.1.2.3/post.html" in private
    dates = parsed("dates.xml").entries
    assert [e.get("published", "") for e in dates if e.link not in good] == ["Thu, 01 Jan 2099 10:00:00 +0800", "去年夏天", ""]
    status, headers, bomb = fetch(site, "http://feeds.example.com/hostile/gzip-bomb.xml")
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"].startswith("application/rss+xml")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert len(bomb) < 1 << 20 and inflater.decompress(bomb, 1 << 20) == bytes(1 << 20)  # a MiB of zeros, and more
    for path, content_type in (("wrong-type.xml", "text/html"), ("wrong-type.atom", "application/octet-stream")):
        status, headers, body = fetch(site, f"http://feeds.example.com/hostile/{path}")
        assert headers["Content-Type"].startswith(content_type) and [e.link for e in feedparser.parse(body).entries] == good
    status, headers, body = fetch(site, "http://feeds.example.com/hostile/wrong-type.json")
    assert headers["Content-Type"].startswith("text/plain") and [i["url"] for i in json.loads(body)["items"]] == good
    items = json.loads(fetch(site, "http://feeds.example.com/hostile/wrong-types.json")[2])["items"]
    assert {type(i).__name__ for i in items} == {"dict", "str", "NoneType"}
    assert [i["url"] for i in items if isinstance(i, dict) and isinstance(i["id"], str) and i["id"].startswith("tag:")] == good
    assert any(isinstance(i, dict) and isinstance(i["id"], dict) for i in items)


# --- sizes, seeds, truth, delay and the command --------------------------------------
def test_sizes_and_truth_over_http(site: ReplicaServer) -> None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    before = dict(site.hits)
    with direct.open(site.url + "/__articles", timeout=30) as response:
        published = json.load(response)
    assert site.hits == before  # not counted
    counts = {name: len(articles) for name, articles in published["sources"].items()}
    assert counts == {"dockone": 24, "woshipm": 15, "zaker": 42, "feed": 11}
    zaker_truth = {a["id"]: a for a in published["sources"]["zaker"]}
    for native_id, entry in zaker_truth.items():
        assert datetime.fromisoformat(entry["published"]) == site.site.sources.zaker.true_time(native_id)
    assert {a["channel"] for a in zaker_truth.values()} == {"热点", "国内", "国际"}
    assert len(published["hostile"]["zaker"]) == 15 and len(published["hostile"]["dockone"]) == 6


def snapshot(server: ReplicaServer) -> list[bytes]:
    urls = ["http://weekly.dockone.io/", "http://weekly.dockone.io/article/1003", woshipm.LIST_URL + "/page/2",
            "http://www.myzaker.com/channel/660", "http://feeds.example.com/atom.xml", "http://feeds.example.com/feed.json"]
    return [fetch(server, url)[2] for url in urls]


def test_same_seed_same_sites_other_seed_other_sites() -> None:
    servers = [serve_in_thread(0, ReplicaConfig(seed=seed, zaker_anchor=NOW)) for seed in (7, 7, 8)]
    try:
        for server in servers:
            server.clock = lambda: NOW + timedelta(hours=3)
        same, again, other = (snapshot(s) for s in servers)
        assert same == again
        assert all(a != b for a, b in zip(same, other))
    finally:
        for server in servers:
            server.shutdown()


def test_delay_waits_before_each_response(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(server_module, "time", SimpleNamespace(sleep=slept.append))
    server = serve_in_thread(0, ReplicaConfig(delay=0.25))
    try:
        fetch(server, "http://weekly.dockone.io/")
        fetch(server, "http://api.1sapp.com/content/outList?cid=1&page=1&limit=1")
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(server.url + "/__hits", timeout=10).read()
    finally:
        server.shutdown()
    assert slept == [0.25, 0.25]


def test_replica_command_sizes_and_options() -> None:
    with replica_process("--hostile", "--dockone", "2x4", "--woshipm", "1x3", "--zaker", "1x5", "--feed", "2x3",
                         "--zaker-anchor", "2024-05-20T15:00+08:00") as url:
        server = SimpleNamespace(url=url)
        rows = [len(s.css(".aw-common-list .article")) for s in dockone_pages(server)]  # type: ignore[arg-type]
        assert rows == [4, 4]
        assert len(listing_json(server, woshipm.LIST_URL)["payload"]) == 3  # type: ignore[arg-type]
        assert fetch(server, "http://weekly.dockone.io/hostile/rows")[0] == 200  # type: ignore[arg-type]
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url + "/__articles", timeout=30) as response:
            published = json.load(response)["sources"]
        assert datetime.fromisoformat(published["zaker"][0]["published"]) == datetime(2024, 5, 20, 7, 0, tzinfo=timezone.utc)
        assert len(published["feed"]) == 6 and len(published["zaker"]) == 5
    run = scrapy("replica", "--dockone", "3y4")
    assert run.returncode == 2 and "'3y4' is not PAGESxPER_PAGE" in run.stderr

