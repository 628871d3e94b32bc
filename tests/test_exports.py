"""Hexo posts, JSON Feed 1.1, RSS 2.0 and JSON Lines, from the store and from a crawl."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest
import yaml

from newscrawler.cli import main
from newscrawler.exporters.hexo import PostTemplate, export_posts, post_filename
from newscrawler.items import ARTICLE_FIELDS
from newscrawler.replica.server import ReplicaServer
from newscrawler.replica.site import SEED_ID, Site
from newscrawler.storage import Query
from newscrawler.storage.documents import check_storable, contract_fields, to_document
from newscrawler.storage.sqlite import SqliteStore
from newscrawler.settings import CORS_PROXY, MAX_BODY_BYTES
from newscrawler.urls import inert_http_url
from tests import oracle
from tests.articles import ADVERSARIAL, article
from tests.conftest import FIXTURES
from tests.crawling import crawl
from tests.processes import replica_process, scrapy

SEED_POST = FIXTURES / "qutoutiao-hexo-post.md"
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "qutoutiao-hexo-post.md"
CATEGORIES = ["新媒体", "趣头条", "分类"]


@pytest.fixture(scope="module")
def crawled_store(tmp_path_factory: pytest.TempPathFactory, replica: ReplicaServer) -> dict[str, str]:
    """The whole replica crawled once into an embedded store, for every export test."""
    folder = tmp_path_factory.mktemp("store")
    settings = {"MONGO_URI": "", "NEWSCRAWLER_DB": str(folder / "store.sqlite3"),
                "DEADLETTER_DIR": str(folder / "dl")}
    previous = os.environ.get("http_proxy")
    os.environ["http_proxy"] = replica.url
    try:
        result = crawl(settings)
    finally:
        if previous is None:
            del os.environ["http_proxy"]
        else:
            os.environ["http_proxy"] = previous
    assert result.stats["store/new"] > 150
    return settings


def cli_args(settings: dict[str, str]) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def test_fixture_is_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("../shared is not beside this checkout; the fixture copy is what the tests use")
    assert SEED_POST.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_article_exports_byte_for_byte(crawled_store: dict[str, str], tmp_path: Path) -> None:
    assert main(["export", "hexo", "--out", str(tmp_path), *cli_args(crawled_store)]) == 0
    post = tmp_path / f"2021-07-08-qutoutiao-{SEED_ID}.md"
    assert post.read_bytes() == SEED_POST.read_bytes()
    assert len(list(tmp_path.glob("*.md"))) == SqliteStore(crawled_store["NEWSCRAWLER_DB"]).count()


def test_reexport_leaves_files_untouched(crawled_store: dict[str, str], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    main(["export", "hexo", "--out", str(tmp_path), "--channel", "1", *cli_args(crawled_store)])
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("*.md")}
    os.utime(tmp_path, None)
    main(["export", "hexo", "--out", str(tmp_path), "--channel", "1", *cli_args(crawled_store)])
    assert "0 written" in capsys.readouterr().out.splitlines()[-1]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("*.md")} == first


def test_filters_select_posts(crawled_store: dict[str, str], tmp_path: Path) -> None:
    main(["export", "hexo", "--out", str(tmp_path), "--since", "2021-07-08", "--until", "2021-07-09",
          "--limit", "3", *cli_args(crawled_store)])
    names = sorted(p.name for p in tmp_path.glob("*.md"))
    assert len(names) == 3 and all(n.startswith("2021-07-08-qutoutiao-") for n in names)


def front_matter(post: str) -> dict[str, Any]:
    assert post.startswith("\n---\n")
    block, sep, _ = post[len("\n---\n"):].partition("\n---\n")
    assert sep, "front matter not closed"
    return yaml.safe_load(block)


@pytest.mark.parametrize("title", ADVERSARIAL)
def test_front_matter_reads_back(title: str) -> None:
    headimg = f"https://cors.zfour.workers.dev/?http://s/{title}.jpg"
    doc = to_document(article(1, title=title, headimg=headimg))
    post = PostTemplate(CATEGORIES, "趣头条").render(doc)
    meta = front_matter(post)
    assert meta["title"] == title
    # Written inert (percent-encoded: no quote, space or line break a theme's quoting would end at).
    assert meta["headimg"] == inert_http_url(headimg) == meta["thumbnail"]
    assert meta["categories"] == CATEGORIES and meta["comments"] is False and meta["author"] == "趣头条"
    # Hexo's body starts after the first closing "---": the article, and no front matter left in it.
    body = post[len("\n---\n"):].partition("\n---\n")[2]
    assert body.lstrip("\n").startswith("<div>") and doc["content_html"] in body
    assert "thumbnail:" not in body


def test_filename_never_from_title(tmp_path: Path) -> None:
    doc = to_document(article(7, title="../../etc/passwd: 你好", source_id="7/../x"))
    assert post_filename(doc) == "2026-11-21-qutoutiao-7x-37be7c4d2b.md"
    export_posts([doc], tmp_path, {})
    assert [p.name for p in tmp_path.iterdir()] == ["2026-11-21-qutoutiao-7x-37be7c4d2b.md"]


def validate_json_feed(feed: dict[str, Any]) -> None:
    """The JSON Feed 1.1 required members and the types of those we use."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)
        for name in ("url", "title", "content_html", "content_text", "summary", "image", "date_published"):
            assert name not in item or isinstance(item[name], str), name
        if "date_published" in item:
            assert datetime.fromisoformat(item["date_published"]).utcoffset() is not None  # RFC 3339
        assert all(isinstance(t, str) for t in item.get("tags", []))
        assert all(isinstance(a["name"], str) for a in item.get("authors", []))


def test_json_feed_from_store(crawled_store: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "feed.json"
    assert main(["export", "jsonfeed", "--out", str(out), *cli_args(crawled_store)]) == 0
    feed = json.loads(out.read_text(encoding="utf-8"))
    validate_json_feed(feed)
    docs = {d["id"]: d for d in SqliteStore(crawled_store["NEWSCRAWLER_DB"]).query(Query())}
    assert [i["id"] for i in feed["items"]] == list(docs)
    seed = next(i for i in feed["items"] if i["id"] == f"qutoutiao:{SEED_ID}")
    assert seed["date_published"] == "2021-07-08T10:55:51+00:00"
    assert seed["content_html"] == docs[seed["id"]]["content_html"]
    assert seed["image"].startswith("https://cors.zfour.workers.dev/?http://static.1sapp.com/")
    assert seed["tags"] == docs[seed["id"]]["tags"] and seed["authors"] == [{"name": "今日闵行"}]


def test_rss_from_store_reads_back(crawled_store: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "feed.xml"
    assert main(["export", "rss", "--out", str(out), *cli_args(crawled_store)]) == 0
    docs = list(SqliteStore(crawled_store["NEWSCRAWLER_DB"]).query(Query()))
    parsed = feedparser.parse(out.read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    assert not parsed.bozo and parsed.version == "rss20"
    assert len(parsed.entries) == len(docs)
    for entry, doc in zip(parsed.entries, docs):
        assert entry.id == doc["id"] and entry.link == doc["url"] and entry.title == doc["title"]
        assert entry.description == (doc["content_html"] or doc["summary"] or "")
        assert datetime(*entry.published_parsed[:6], tzinfo=timezone.utc) == doc["published_at"].replace(microsecond=0)
        assert [t.term for t in entry.get("tags", [])] == doc["tags"]
    # A plain XML parser hands the body back unchanged too.
    items = ElementTree.parse(out).getroot().findall("./channel/item")
    assert [i.findtext("description") for i in items] == [d["content_html"] or d["summary"] or "" for d in docs]


def test_jsonl_from_store(crawled_store: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    assert main(["export", "jsonl", "--out", str(out), "--channel", "6", *cli_args(crawled_store)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and all(list(r) == list(ARTICLE_FIELDS) and r["channel_id"] == 6 for r in rows)
    assert all(r["content_type"] == "video" for r in rows)


@pytest.mark.parametrize(("name", "fmt"), [("feed.json", "jsonfeed"), ("feed.xml", "rss")])
def test_feeds_from_a_crawl(tmp_path: Path, name: str, fmt: str) -> None:
    out = tmp_path / name
    with replica_process() as url:
        run = scrapy("crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1", "-O", f"{out}:{fmt}",
                     "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                     "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
                     http_proxy=url)
    assert run.returncode == 0, run.stderr[-2000:]
    # A crawl's feed is of its one source: titled from the source's profile.
    if fmt == "jsonfeed":
        feed = json.loads(out.read_text(encoding="utf-8"))
        validate_json_feed(feed)
        assert (feed["title"], feed["home_page_url"]) == ("趣头条", "http://home.qutoutiao.net")
        ids = {i["id"] for i in feed["items"]}
    else:
        parsed = feedparser.parse(out.read_bytes(), sanitize_html=False)
        assert not parsed.bozo
        assert (parsed.feed.title, parsed.feed.link) == ("趣头条", "http://home.qutoutiao.net")
        ids = {e.id for e in parsed.entries}
    assert ids == {f"qutoutiao:{sid}" for sid in oracle.expected(Site(), cids=(1,), pages=1)["stored"]}


def test_items_with_awkward_text_still_make_valid_feeds(tmp_path: Path) -> None:
    from newscrawler.exporters.feedmeta import FeedMeta
    from newscrawler.exporters.jsonfeed import JsonFeedItemExporter
    from newscrawler.exporters.rss import RssItemExporter

    odd = article(1, title="控制\x0b字符 & <b>", content_html="<p>a\x0cb ]]> &amp;</p>", content_type="video")
    video = article(2, content_html="", content_text="", summary=None)
    for cls, name in ((JsonFeedItemExporter, "f.json"), (RssItemExporter, "f.xml")):
        with (tmp_path / name).open("wb") as file:
            exporter = cls(file, FeedMeta("t", "http://h/", "d"))
            exporter.start_exporting()
            exporter.export_item(odd)
            exporter.export_item(video)
            exporter.finish_exporting()
    validate_json_feed(json.loads((tmp_path / "f.json").read_text(encoding="utf-8")))
    parsed = feedparser.parse((tmp_path / "f.xml").read_bytes(), sanitize_html=False)
    assert not parsed.bozo and parsed.entries[0].title == "控制字符 & <b>"


def test_every_crawled_article_passes_replays_check(crawled_store: dict[str, str]) -> None:
    """Bodies the real pipeline made (the seed's among them) come back from a dead letter unchanged."""
    store = SqliteStore(crawled_store["NEWSCRAWLER_DB"])
    try:
        rows = list(store.query(Query()))
    finally:
        store.close()
    assert any(row["id"] == f"qutoutiao:{SEED_ID}" for row in rows)
    for row in rows:
        # with replay's trust: images through the project's CORS_PROXY, bodies within MAX_BODY_BYTES
        check_storable({**contract_fields(row), "content_hash": row["content_hash"]}, CORS_PROXY, MAX_BODY_BYTES)


def test_a_body_only_as_text_reads_as_text_in_every_feed() -> None:
    """Without sanitized HTML, a feed carries the text as text: markup in it never renders."""
    from newscrawler.exporters.atom import render_atom
    from newscrawler.exporters.feedmeta import FeedMeta
    from newscrawler.exporters.rss import render_rss

    hostile = 'x <script>alert(1)</script> <img src=x onerror=alert(2)>'
    item = article(1, content_html="", content_text=hostile, summary=hostile)
    atom = feedparser.parse(render_atom([item], FeedMeta()))
    assert atom.bozo == 0 and atom.entries[0].content[0].type == "text/plain"
    assert atom.entries[0].content[0].value == hostile
    rss = feedparser.parse(render_rss([item], FeedMeta()))
    assert rss.bozo == 0 and rss.entries[0].summary == hostile.replace("<", "&lt;").replace(">", "&gt;")


def test_atom_feeds_have_ids_of_their_own_and_an_author() -> None:
    from newscrawler.exporters.atom import render_atom
    from newscrawler.exporters.feedmeta import feed_meta
    from newscrawler.sources.registry import load_profiles

    profiles = load_profiles().by_name
    name = next(n for n, p in profiles.items() if p.listing.channels)
    channels = list(profiles[name].listing.channels)[:2]
    metas = [feed_meta(profiles), feed_meta(profiles, name)] + [feed_meta(profiles, name, c) for c in channels]
    feeds = [feedparser.parse(render_atom([article(1, author=None)], meta)) for meta in metas]
    assert all(feed.bozo == 0 for feed in feeds)
    assert len({feed.feed.id for feed in feeds}) == len(feeds)  # RFC 4287 4.2.6: each feed its own id
    assert all(feed.feed.author == meta.title for feed, meta in zip(feeds, metas))  # stands for the entries'
