"""A profile written only from the README: its "Add a source" example, dropped into SOURCES_DIR, crawls its site."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests.crawling import crawl, proxy_through
from tests.processes import ROOT, scrapy


def add_a_source() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Add a source\n", 1)[1].split("\n## ", 1)[0]


def example_profile() -> str:
    """The section's first YAML block, as a newcomer copies it."""
    return re.search(r"```yaml\n(.*?)```", add_a_source(), re.DOTALL).group(1)


@pytest.fixture(scope="module")
def blog() -> Iterator[ReplicaServer]:
    server = serve_in_thread(0, ReplicaConfig())  # the blog the README saves pages of: 20 posts, two archive pages
    yield server
    server.shutdown()


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    name = re.search(r"^name: (\w+)$", example_profile(), re.MULTILINE).group(1)
    (folder / f"{name}.yaml").write_text(example_profile(), encoding="utf-8")
    return folder


def test_the_readme_profile_crawls_the_site_it_describes(blog: ReplicaServer, sources: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    proxy_through(monkeypatch, blog.url)
    result = crawl({"SOURCES_DIR": str(sources), "NEWSCRAWLER_DB": str(tmp_path / "s.sqlite3"),
                    "DEADLETTER_DIR": str(tmp_path / "dl")}, spider="blog")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(blog.url + "/__articles", timeout=30) as response:
        truth = json.loads(response.read())["sources"]["feed"]
    items = result.by_source_id()
    assert len(result.items) == len(items) == len(truth) == 20  # every post, once
    for post in truth:
        item = items[post["id"]]
        assert (item.id, item.url, item.title, item.author) == (f"blog:{post['id']}", post["url"], post["title"],
                                                                post["author"])
        assert item.published_at == datetime.fromisoformat(post["published"]) and item.tags == post["tags"]
        assert item.content_html and len(item.image_urls) == 2
    assert result.stats["blog/listing/pages"] == 2  # by the next link, to the last page
    assert result.stats["monitors/result"] == "passed" and result.stats["store/new"] == 20


def test_the_readme_checkprofile_output_is_what_it_prints(blog: ReplicaServer, sources: Path, tmp_path: Path) -> None:
    """The section's sample run of `scrapy checkprofile`: each line it shows is in the real output."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": blog.url}))
    for url, name in (("http://feeds.example.com/archives/", "archives.html"),
                      ("http://feeds.example.com/posts/20.html", "post.html")):
        (tmp_path / name).write_bytes(opener.open(url, timeout=30).read())
    # run where the newcomer works: the saved pages and sources/ in one folder (no scrapy.cfg there)
    run = scrapy("checkprofile", "sources/blog.yaml", "archives.html", "post.html", cwd=tmp_path,
                 SCRAPY_SETTINGS_MODULE="newscrawler.settings")
    assert run.returncode == 0, run.stdout + run.stderr
    sample = re.search(r"\$ scrapy checkprofile sources/blog.yaml archives.html post.html\n(.*?)```", add_a_source(),
                       re.DOTALL).group(1)
    for line in sample.splitlines():
        shown = line.split("…")[0].rstrip()
        if shown.strip():
            assert shown in run.stdout, line
