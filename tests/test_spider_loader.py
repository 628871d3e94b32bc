"""Every profile is a spider: ``scrapy list`` and ``scrapy crawl`` know the bundled profiles and SOURCES_DIR's."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newscrawler.errors import ConfigError
from newscrawler.sources.registry import BUNDLED_DIR
from newscrawler.spiders.feed import FeedSpider
from newscrawler.spiders.loader import SourceSpiderLoader
from newscrawler.spiders.source import SourceSpider
from tests.crawling import crawl
from tests.processes import scrapy

BUNDLED = ["dockone", "feed", "qutoutiao", "woshipm", "zaker"]
BROKEN = 'name: broken\nlisting: {kind: xml, url: "http://x.example/", fields: {id: id, url: url}}\nhexo: {categories: [x], author: x}\n'
BLOG = """name: blog
listing:
  kind: feed
  url: http://feeds.example.com/atom.xml
  fields: {}
hexo: {categories: [博客], author: 示例博客}
"""


def sources_dir(folder: Path, **files: str) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def test_bundled_profiles_and_the_feed_spider(tmp_path: Path) -> None:
    loader = SourceSpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["newscrawler.spiders"],
                                                        "SOURCES_DIR": str(tmp_path / "none")}))
    assert sorted(loader.list()) == BUNDLED
    spider = loader.load("zaker")
    assert issubclass(spider, SourceSpider) and spider.name == "zaker" and spider.profile.name == "zaker"
    assert loader.load("feed") is FeedSpider
    with pytest.raises(KeyError):
        loader.load("nosuch")


def test_scrapy_list_shows_sources_dir_and_reports_a_bad_file(tmp_path: Path) -> None:
    folder = sources_dir(tmp_path / "sources", blog=BLOG, broken=BROKEN, dockone="name: dockone\nlisting: 5\n",
                         feed="name: feed\n")  # no profile takes the feed spider's name
    run = scrapy("list", SOURCES_DIR=str(folder))
    assert run.returncode == 0, run.stderr
    # the blog is added; a bad file is left out (a bad dockone.yaml hides the bundled one: it meant to replace it)
    assert run.stdout.split() == ["blog", "feed", "qutoutiao", "woshipm", "zaker"]
    assert f"Source profile left out: {folder / 'broken.yaml'}: listing.kind: 'xml': expected one of json, html, feed" \
        in run.stderr
    assert f"Source profile left out: {folder / 'dockone.yaml'}: " in run.stderr
    assert f"Source profile left out: {folder / 'feed.yaml'}: " in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("name", ["broken", "dockone"])
def test_crawling_a_bad_profile_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    folder = sources_dir(tmp_path / "sources", broken=BROKEN, dockone="name: dockone\nlisting: 5\n")
    run = scrapy("crawl", name, "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", SOURCES_DIR=str(folder))
    assert run.returncode == 2, run.stderr[-2000:]
    line = [line for line in run.stderr.splitlines() if "Crawl not started: " in line]
    assert len(line) == 1 and f"Crawl not started: {folder / f'{name}.yaml'}: " in line[0]
    assert "Traceback" not in run.stderr


def test_the_other_profiles_still_crawl(tmp_path: Path, via_replica: object, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    folder = sources_dir(tmp_path / "sources", blog=BLOG, broken=BROKEN, feed="name: feed\n")
    result = crawl({"SOURCES_DIR": str(folder), "ITEM_PIPELINES": {}}, spider="blog")
    assert len(result.items) == 20 and {item.source for item in result.items} == {"blog"}
    assert result.stats["blog/listing/pages"] == 1
    with pytest.raises(ConfigError, match="broken.yaml: listing.kind: 'xml'"):
        crawl({"SOURCES_DIR": str(folder), "ITEM_PIPELINES": {}}, spider="broken")
    feed = crawl({"SOURCES_DIR": str(folder), "ITEM_PIPELINES": {}}, spider="feed",
                 url="http://feeds.example.com/atom.xml", name="news")
    assert len(feed.items) == 20  # a bad feed.yaml never stands in for the feed spider


def test_a_sources_dir_profile_replaces_a_bundled_one(tmp_path: Path, via_replica: object) -> None:
    text = (BUNDLED_DIR / "woshipm.yaml").read_text(encoding="utf-8").replace("max_pages: 10", "max_pages: 1")
    folder = sources_dir(tmp_path / "sources", woshipm=text)
    result = crawl({"SOURCES_DIR": str(folder), "ITEM_PIPELINES": {}}, spider="woshipm")
    assert result.stats["woshipm/listing/pages"] == 1  # the replacement's paging, not the bundled one's


def test_an_unreadable_sources_dir_leaves_the_bundled_profiles(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "file").write_text("not a folder")
    caplog.set_level(logging.WARNING)
    loader = SourceSpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["newscrawler.spiders"],
                                                        "SOURCES_DIR": str(tmp_path / "file")}))
    assert sorted(loader.list()) == BUNDLED


ESCAPE_HATCH = """name: archive
listing:
  kind: html
  url: http://feeds.example.com/archives/
  paging: {kind: next, next: "a.extend.next::attr(href)"}
  entries: article.archive-article
  fields:
    url: "h2 a::attr(href)"
    id: {url_pattern: '/posts/(\\d+)'}
    title: "h2 a::text"
    published_at: {css: "time::attr(datetime)", format: rfc3339}
  page_object: %s
article:
  body: .entry-content
  page_object: %s
hexo: {categories: [x], author: x}
"""


def test_page_objects_of_your_own(tmp_path: Path, via_replica: object) -> None:
    """The escape hatch: a profile names the classes that read its listing and its article pages."""
    text = ESCAPE_HATCH % ("tests.pageobjects.MarkedListing", "tests.pageobjects:MarkedArticlePage")
    folder = sources_dir(tmp_path / "sources", archive=text)
    result = crawl({"SOURCES_DIR": str(folder), "ITEM_PIPELINES": {}}, spider="archive")
    assert len(result.items) == 20
    assert all(i.title.startswith("[listing] ") and i.author == "[article page]" for i in result.items)


@pytest.mark.parametrize(("listing", "message"), [
    ("tests.pageobjects.Missing", "listing.page_object: 'tests.pageobjects.Missing': cannot be imported (NameError"),
    ("tests.nosuchmodule.Reader", "listing.page_object: 'tests.nosuchmodule.Reader': cannot be imported "
                                  "(ModuleNotFoundError"),
    ("tests.pageobjects.NOT_CALLABLE", "listing.page_object: 'tests.pageobjects.NOT_CALLABLE': is not a class or function"),
])
def test_a_page_object_that_cannot_be_used_stops_the_crawl(tmp_path: Path, listing: str, message: str) -> None:
    folder = sources_dir(tmp_path / "sources", archive=ESCAPE_HATCH % (listing, "tests.pageobjects.MarkedArticlePage"))
    with pytest.raises(ConfigError) as info:
        crawl({"SOURCES_DIR": str(folder), "ITEM_PIPELINES": {}}, spider="archive")
    assert message in str(info.value) and "\n" not in str(info.value)
