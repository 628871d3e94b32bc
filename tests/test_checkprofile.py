"""``scrapy checkprofile``: a profile tried on pages saved from the replica, offline."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from newscrawler.sources.registry import BUNDLED_DIR
from tests.processes import scrapy

PAGES = {
    "dockone.html": "http://weekly.dockone.io/",
    "dockone-article.html": "http://weekly.dockone.io/article/1044",
    "woshipm.json": "http://www.woshipm.com/__api/v1/stream-list",
    "zaker.html": "http://www.myzaker.com/channel/660",
    "atom.xml": "http://feeds.example.com/atom.xml",
}
NOW = "2026-11-30T15:00:00+08:00"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ReplicaServer]]:
    """Pages saved from the replica, as a user saves them from a browser; and the replica, to count its hits."""
    server = serve_in_thread(0, ReplicaConfig())
    folder = tmp_path_factory.mktemp("saved")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": server.url}))
    zaker = next(iter(server.site.sources.zaker.articles()))
    woshipm = next(iter(server.site.sources.woshipm.articles()))  # an entry of its first listing page
    urls = {**PAGES, "zaker-article.html": zaker.url, "woshipm-article.html": woshipm.url}
    for name, url in urls.items():
        (folder / name).write_bytes(opener.open(url, timeout=30).read())
    yield folder, server
    server.shutdown()


def check(*args: str, server: ReplicaServer) -> tuple[int, str]:
    """The command as a user runs it, with every request it might make routed to the replica (to be counted)."""
    before = dict(server.hits)
    run = scrapy("checkprofile", *args, http_proxy=server.url)
    assert server.hits == before, "checkprofile fetched something"
    assert "Traceback" not in run.stderr, run.stderr
    return run.returncode, run.stdout


def test_a_good_profile_on_its_pages(saved: tuple[Path, ReplicaServer]) -> None:
    folder, server = saved
    first = server.site.sources.dockone.article(server.site.sources.dockone.native_id(0))
    status, out = check("dockone", str(folder / "dockone.html"), str(folder / "dockone-article.html"), server=server)
    assert status == 0, out
    assert "15 entries, 0 skipped by listing.skip, 0 without a usable id or url" in out
    assert f"     1  url           {first.url}\n        id            {first.native_id}\n" in out  # the table
    assert f"        title         {first.title}\n" in out
    assert "next page: http://weekly.dockone.io/sort_type-new__day-0__is_recommend-0__page-2" in out
    assert "body (.aw-question-detail .content): " in out and "Rules that matched nothing" not in out


@pytest.mark.parametrize(("name", "listing", "article"), [
    ("woshipm", "woshipm.json", "woshipm-article.html"),
    ("zaker", "zaker.html", "zaker-article.html"),
])
def test_every_bundled_kind(saved: tuple[Path, ReplicaServer], name: str, listing: str, article: str) -> None:
    folder, server = saved
    status, out = check(name, str(folder / listing), str(folder / article), "--now", NOW, server=server)
    assert status == 0, out
    assert "published_at" in out and "body (" in out


def test_a_feed_profile_file(saved: tuple[Path, ReplicaServer], tmp_path: Path) -> None:
    folder, server = saved
    profile = tmp_path / "blog.yaml"
    profile.write_text("name: blog\nlisting: {kind: feed, url: 'http://feeds.example.com/atom.xml', fields: {}}\n"
                       "hexo: {categories: [博客], author: 示例博客}\n", encoding="utf-8")
    status, out = check(str(profile), str(folder / "atom.xml"), server=server)
    assert status == 0, out
    assert "20 entries" in out and "content_html  <p>" in out and "tag:feeds.example.com,2021:post-20" in out


def test_rules_that_matched_nothing(saved: tuple[Path, ReplicaServer], tmp_path: Path) -> None:
    folder, server = saved
    broken = (BUNDLED_DIR / "zaker.yaml").read_text(encoding="utf-8").replace(
        ".article-title::text", ".article-titel::text").replace("span:first-child", "em")
    profile = tmp_path / "zaker.yaml"
    profile.write_text(broken, encoding="utf-8")
    status, out = check(str(profile), str(folder / "zaker.html"), "--now", NOW, server=server)
    assert status == 1, out  # title is required, and neither the listing nor a page rule gives it
    assert "Rules that matched nothing:\n  listing.fields.title: .article-titel::text\n" in out
    assert "  listing.fields.author: .subtitle em::text\n" in out
    assert "Required for every article, found nowhere: title" in out


def test_an_article_page_without_the_body(saved: tuple[Path, ReplicaServer]) -> None:
    folder, server = saved
    status, out = check("woshipm", str(folder / "woshipm.json"), str(folder / "dockone-article.html"), server=server)
    assert status == 1 and "body: matched nothing (.article--content, .grap)" in out


def test_a_listing_of_another_kind(saved: tuple[Path, ReplicaServer]) -> None:
    folder, server = saved
    status, out = check("woshipm", str(folder / "dockone.html"), server=server)
    assert status == 1 and "not a usable listing (malformed_json)" in out


@pytest.mark.parametrize(("text", "message"), [
    ("name: zaker\n", "zaker.yaml: (top level): 'listing' is required"),
    ("name: zaker\nlisting: {kind: html, url: 'http://x.example/', entries: 'li', fields: {id: 'a[', url: 'a'}}\n"
     "hexo: {categories: [x], author: x}\n", "zaker.yaml: listing.fields.id: 'a[': not a valid CSS selector"),
])
def test_a_bad_profile_is_its_one_message(saved: tuple[Path, ReplicaServer], tmp_path: Path, text: str,
                                          message: str) -> None:
    folder, server = saved
    profile = tmp_path / "zaker.yaml"
    profile.write_text(text, encoding="utf-8")
    status, out = check(str(profile), str(folder / "zaker.html"), server=server)
    assert status == 2 and message in out and len(out.strip().splitlines()) == 1


def test_unknown_names_and_missing_files(saved: tuple[Path, ReplicaServer]) -> None:
    folder, server = saved
    status, out = check("nosuch", str(folder / "zaker.html"), server=server)
    assert status == 2 and "no source profile named 'nosuch' (known: dockone, qutoutiao, woshipm, zaker)" in out
    status, out = check("zaker", str(folder / "missing.html"), server=server)
    assert status == 2 and "missing.html: cannot be read (No such file or directory)" in out
