"""Our exports in the programs that read them: real Hexo (``hexo generate``) and feedparser.

The replica's hostile channel is crawled through the real engine, exported with ``scrapy
export``, and each export is read by its reader: Hexo must run no code and render each body
exactly as sanitized; feed readers must get the sanitized body and the text fields as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest

from newscrawler.pages.body import sanitize
from newscrawler.exporters.hexo import PostTemplate, post_filename
from newscrawler.replica import hostile
from newscrawler.replica.server import serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from newscrawler.sources.registry import load_profiles
from newscrawler.storage import Query
from newscrawler.storage.sqlite import SqliteStore
from newscrawler.urls import inert_http_url
from tests.articles import ADVERSARIAL, PROXY
from tests.conftest import FIXTURES
from tests.crawling import crawl, proxy_through
from tests.hexo_render import CLOSING, OPENING, HexoSite, HexoWorker, expected_shape, post_wrapper, rendered_shape
from tests.processes import scrapy

SEED_POST = FIXTURES / "qutoutiao-hexo-post.md"
QUTOUTIAO = load_profiles().by_name["qutoutiao"]


def body_of(post: str) -> str:
    """The body of a post as the file holds it, between our wrapper's opening and closing."""
    return post.partition("\n<div>" + OPENING)[2].rpartition(CLOSING + "</div>\n")[0]


def assert_safe(element: lxml.html.HtmlElement) -> None:
    """No script, frame or handler; links http(s) only; images only through the CORS proxy."""
    for node in element.iter():
        assert node.tag not in ("script", "iframe", "object", "embed", "style", "form", "svg"), node.tag
        assert not [name for name in node.attrib if name.lower().startswith("on") or name == "style"], node.attrib
    for href in element.xpath(".//a/@href"):
        assert urlsplit(href.strip()).scheme in ("http", "https"), href
    for src in element.xpath(".//img/@src"):
        assert src.startswith(PROXY), src


# --- the seed -------------------------------------------------------------------------------------

def test_seed_post_renders_as_its_body(hexo_modules: Path, tmp_path: Path) -> None:
    site = HexoSite(tmp_path / "site")
    post = SEED_POST.read_text(encoding="utf-8")
    (site.posts / SEED_POST.name).write_text(post, encoding="utf-8")
    done = site.generate()
    assert done.returncode == 0, done.stdout + done.stderr
    [page] = site.pages().values()
    assert rendered_shape(post_wrapper(page.get_element_by_id("post"))) == expected_shape(body_of(post))
    front = page.get_element_by_id("front")
    assert front.get("data-title") == "惠及2亿人的大好事来了！" and front.get("data-author") == "趣头条"
    assert [c.get("data-name") for c in front.find_class("category")] == ["新媒体", "趣头条", "分类"]
    assert front.get("data-headimg") == front.get("data-thumbnail") == (
        "https://cors.zfour.workers.dev/?http://static.1sapp.com/qupost/img/2021/07/08/73e5bc44a5672dabf307650daa9f1f51.jpeg")


# --- a hostile crawl, exported and read ---------------------------------------------------------

@dataclass
class HostileExport:
    docs: dict[str, dict[str, Any]]  # stored articles, by Hexo file name
    site: HexoSite
    generated: Any  # the CompletedProcess of `hexo generate`
    pages: dict[str, lxml.html.HtmlElement]
    feed_xml: bytes
    feed_json: dict[str, Any]


@pytest.fixture(scope="module")
def exported(hexo_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileExport]:
    """The hostile channel crawled through the engine into SQLite, then `scrapy export` hexo,
    jsonfeed and rss as an operator runs them, and the real `hexo generate` over the posts."""
    folder = tmp_path_factory.mktemp("hostile-export")
    server = serve_in_thread(0, ReplicaConfig(hostile=True))
    db = folder / "store.sqlite3"
    try:
        with pytest.MonkeyPatch.context() as patch:
            proxy_through(patch, server.url)
            result = crawl({"MONGO_URI": "", "NEWSCRAWLER_DB": str(db), "DEADLETTER_DIR": str(folder / "dl"),
                            "RETRY_TIMES": 0}, cids=str(hostile.HOSTILE_CHANNEL), pages="1", limit="50")
    finally:
        server.shutdown()
    assert {c.sid for c in hostile.READER_CASES} <= set(result.by_source_id())
    store = SqliteStore(db, create=False)
    docs = {post_filename(doc): doc for doc in store.query(Query())}
    store.close()
    site = HexoSite(folder / "site")
    common = ("-s", f"NEWSCRAWLER_DB={db}", "-s", "MONGO_URI=")
    for args in (("hexo", "--out", str(site.posts)), ("rss", "--out", str(folder / "feed.xml")),
                 ("jsonfeed", "--out", str(folder / "feed.json"))):
        done = scrapy("export", *args, *common)
        assert done.returncode == 0, done.stderr
    generated = site.generate()
    yield HostileExport(docs, site, generated, site.pages(), (folder / "feed.xml").read_bytes(),
                        json.loads((folder / "feed.json").read_text(encoding="utf-8")))


def test_hexo_runs_no_code_and_renders_every_post(exported: HostileExport) -> None:
    assert not list(exported.site.folder.rglob(hostile.CODE_MARKER)), "a template in an article ran"
    out = exported.generated.stdout + exported.generated.stderr
    assert exported.generated.returncode == 0, out
    assert "FATAL" not in out and "ERROR" not in out and "WARN" not in out, out
    assert set(exported.pages) == set(exported.docs) == {p.name for p in exported.site.posts.glob("*.md")}


def test_hexo_pages_hold_exactly_the_sanitized_body(exported: HostileExport) -> None:
    for name, doc in exported.docs.items():
        page = exported.pages[name]
        wrapper = post_wrapper(page.get_element_by_id("post"))
        assert_safe(wrapper)
        assert rendered_shape(wrapper) == expected_shape(doc["content_html"]), name
        text = wrapper.text_content()
        assert all(line in text for line in (doc["content_text"] or "").splitlines()), name
    markdown = exported.pages["2021-07-08-qutoutiao-990403.md"].get_element_by_id("post").text_content()
    assert "[点击领取红包](javascript:alert(document.cookie))" in markdown and hostile.TRACKER in markdown  # as text


def test_hexo_reads_the_front_matter_back(exported: HostileExport) -> None:
    for name, doc in exported.docs.items():
        front = exported.pages[name].get_element_by_id("front")
        assert front.get("data-title") == doc["title"], name
        assert front.get("data-author") == QUTOUTIAO.hexo.author == "趣头条"
        assert [c.get("data-name") for c in front.find_class("category")] == list(QUTOUTIAO.hexo.categories)
        assert front.get("data-headimg") == front.get("data-thumbnail") == (doc.get("headimg") or "")
        assert front.get("data-comments") == "false"
    titles = {doc["title"] for doc in exported.docs.values()}
    assert {"---", ";;;", "```js", "模板 " + hostile.RUN_CODE} <= titles


def test_the_worker_renders_as_hexo_generate_does(exported: HostileExport, hexo_worker: HexoWorker) -> None:
    """The property tests render through one long-lived worker: it must agree with the command."""
    rendered, failed = {}, {}
    for name in exported.docs:
        try:
            rendered[name] = hexo_worker.render(name, (exported.site.posts / name).read_text(encoding="utf-8"))
        except RuntimeError as exc:
            failed[name] = str(exc)
    assert not list(hexo_worker.folder.rglob(hostile.CODE_MARKER)), "a template in an article ran"
    assert failed == {}
    for name, post in rendered.items():
        page = exported.pages[name]
        # Exactly the same HTML, Hexo's own additions (target="_blank") included.
        assert lxml.html.tostring(post_wrapper(post.fragment())) == lxml.html.tostring(
            post_wrapper(page.get_element_by_id("post"))), name
        assert post.front["title"] == page.get_element_by_id("front").get("data-title")


def _feed_body_is_safe(html: str) -> None:
    assert_safe(lxml.html.fragment_fromstring(html, create_parent="div"))


def test_rss_in_feedparser_is_the_sanitized_body_and_plain_text(exported: HostileExport) -> None:
    raw = feedparser.parse(exported.feed_xml, sanitize_html=False, resolve_relative_uris=False)
    cleaned = feedparser.parse(exported.feed_xml)  # as a reader gets it: feedparser's own sanitizer on
    assert not raw.bozo, raw.get("bozo_exception")
    by_id = {doc["id"]: doc for doc in exported.docs.values()}
    assert sorted(e.id for e in raw.entries) == sorted(by_id)
    for entry, reader in zip(raw.entries, cleaned.entries):
        doc = by_id[entry.id]
        assert entry.summary == doc["content_html"] == sanitize(doc["content_html"]), entry.id
        _feed_body_is_safe(entry.summary)
        # feedparser's sanitizer found nothing to remove: the same elements, text, links and
        # images; it only drops attributes it does not know, harmless ones.
        ours, theirs = (lxml.html.fragment_fromstring(h, create_parent="div") for h in (entry.summary, reader.summary))
        assert [(e.tag, e.text, e.tail, e.get("href"), e.get("src")) for e in ours.iter()] == [
            (e.tag, e.text, e.tail, e.get("href"), e.get("src")) for e in theirs.iter()], entry.id
        for mine, read in zip(ours.iter(), theirs.iter()):
            assert set(mine.attrib) - set(read.attrib) <= {"data-size", "referrerpolicy"}, entry.id
        assert entry.title == reader.title == doc["title"]
        assert [t.term for t in entry.get("tags", [])] == [t.term for t in reader.get("tags", [])] == doc["tags"]
    odd = by_id["qutoutiao:990409"]
    assert odd["title"].startswith("]]> </title></description><script>") and odd["tags"] == ["]]>", "</category><x>"]


def test_json_feed_is_the_sanitized_body_and_plain_text(exported: HostileExport) -> None:
    """feedparser 6.0 reads no JSON Feed; the guarantees are checked on the JSON a reader parses."""
    by_id = {doc["id"]: doc for doc in exported.docs.values()}
    items = exported.feed_json["items"]
    assert sorted(i["id"] for i in items) == sorted(by_id)
    for item in items:
        doc = by_id[item["id"]]
        assert item.get("content_html", "") == (doc["content_html"] or "") == sanitize(doc["content_html"] or "")
        _feed_body_is_safe(item.get("content_html", ""))
        assert item["title"] == doc["title"] and item.get("tags", []) == doc["tags"]
        assert [a["name"] for a in item.get("authors", [])] == ([doc["author"]] if doc["author"] else [])
    odd = next(i for i in items if i["id"] == "qutoutiao:990409")
    assert odd["authors"] == [{"name": "</author>]]><b>作者</b>"}]


# --- front matter, value by value -----------------------------------------------------------------

TITLES = [*ADVERSARIAL, "{{ x }}", "{% raw %}", "{# c #}", "---\n---", "\n---\ntitle: forged\n---\n", ";;;", "-----",
          "a\n\nb\n", "\ttab first", "trailing space ", "1e3", "0o17", ".5", "~", "<!-- more -->", "\x85\u2028\u2029",
          "\ufeff\x7f\x9f\ufffe\uffff", "😀" * 3]


@pytest.mark.parametrize("value", TITLES)
def test_every_front_matter_value_reads_back_from_hexo(value: str, hexo_worker: HexoWorker) -> None:
    """Hexo's own front-matter parser (js-yaml, YAML 1.2) gives back each value as written."""
    headimg = f"{PROXY}http://i.example/{value}.jpeg"
    doc = {"title": value, "headimg": headimg, "published_at": datetime(2021, 7, 8, tzinfo=timezone.utc),
           "content_html": "<p>正文</p>"}
    post = hexo_worker.render("2021-07-08-qutoutiao-1.md", PostTemplate([value, "新媒体"], value).render(doc))
    assert (post.front["title"], post.front["author"], post.front["categories"]) == (value, value, [value, "新媒体"])
    # The headimg is written inert (percent-encoded): what Hexo reads is that URL.
    assert post.front["headimg"] == post.front["thumbnail"] == inert_http_url(headimg)
    assert rendered_shape(post_wrapper(post.fragment())) == expected_shape("<p>正文</p>")
