"""Several sources in one store: ``query``/``export`` by ``--source`` and ``--channel`` on both stores,
feeds cut per source and channel, each Hexo post with its own source's front matter.

The store holds the four bundled sources, a source from SOURCES_DIR whose channel ids are words
(one of them the word "1"), and a source with no profile (``scrapy crawl feed -a name=myfeed``).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest

from newscrawler.cli import main
from newscrawler.storage.base import expected_total
from newscrawler.exporters.feedmeta import FeedMeta
from newscrawler.exporters.hexo import PostTemplate, post_filename
from newscrawler.exporters.jsonfeed import render_jsonfeed
from newscrawler.exporters.rss import render_rss
from newscrawler.sources.registry import load_profiles
from newscrawler.storage import Query
from newscrawler.storage.documents import to_document
from newscrawler.storage.sqlite import SqliteStore
from tests.hexo_render import HexoWorker
from tests.processes import ROOT, env
from tests.sources_sample import ARTICLES, ROWS, T0, stored_article, write_sources_dir
from tests.stores import BACKENDS, make_store, store_cli_args

def ids(*rows: int) -> list[str]:
    """Article ids by ROWS index, newest first (as the store answers)."""
    return [ARTICLES[n].id for n in sorted(rows)]


@pytest.fixture
def sources_dir(tmp_path: Path) -> Path:
    return write_sources_dir(tmp_path / "sources")


@pytest.fixture(params=BACKENDS)
def many_sources(request: pytest.FixtureRequest, tmp_path: Path, sources_dir: Path) -> list[str]:
    """A store with every source of ROWS; the ``-s`` options of a command that reads it."""
    store = make_store(request.param, tmp_path, request)
    assert store.write([to_document(a) for a in ARTICLES], T0).new == len(ARTICLES)
    store.close()
    return [*store_cli_args(request.param, tmp_path, request), "-s", f"SOURCES_DIR={sources_dir}"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


FILTERS = [
    ([], ids(*range(len(ROWS)))),
    (["--source", "qutoutiao"], ids(0, 1, 2)),
    (["--source", "zaker", "--channel", "1"], ids(3)),
    (["--source", "qutoutiao", "--channel", "1"], ids(0, 1)),
    (["--channel", "1"], ids(0, 1, 3)),  # the number 1, in every source: not the word "1"
    (["--source", "wordy", "--channel", "1"], ids(8)),  # wordy's profile has the word "1"
    (["--source", "wordy", "--channel", "tech"], ids(9, 10)),
    (["--channel", "tech"], ids(9, 10)),
    (["--source", "wordy"], ids(8, 9, 10)),
    (["--source", "dockone"], ids(5, 6)),
    (["--source", "dockone", "--channel", "1"], []),
    (["--source", "myfeed"], ids(11)),
    (["--source", "nosuchsource"], []),
    (["--source", "zaker", "--channel", "660", "--tag", "民生"], []),
    (["--tag", "民生"], ids(0, 2, 3, 8)),
    (["--source", "qutoutiao", "--since", (T0 - timedelta(hours=1)).isoformat()], ids(0, 1)),
    (["--channel", "1", "--limit", "2"], ids(0, 1)),
]


@pytest.mark.parametrize(("filters", "expected"), FILTERS)
def test_query_and_export_by_source_and_channel(many_sources: list[str], filters: list[str], expected: list[str],
                                                capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = [json.loads(line) for line in run(capsys, "query", *filters, *many_sources).splitlines()]
    assert [r["id"] for r in rows] == expected
    for row in rows:  # the channel id keeps its type, and its name
        article = next(a for a in ARTICLES if a.id == row["id"])
        assert (row["source"], row["channel_id"], row["channel"]) == (article.source, article.channel_id,
                                                                      article.channel)
    out = tmp_path / "out.jsonl"
    run(capsys, "export", "jsonl", "--out", str(out), *filters, *many_sources)
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == expected


@pytest.mark.parametrize(("kind", "channel", "stored_as"), [("sqlite", 1, "integer"), ("sqlite", "1", "text")])
def test_sqlite_keeps_the_number_and_the_word_apart(kind: str, channel: int | str, stored_as: str,
                                                   tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The column has no type affinity: what a plain sqlite3 query sees is the id's own type."""
    store = make_store(kind, tmp_path, request)
    store.write([to_document(stored_article(0, "wordy", "w", channel, None, []))], T0)
    store.close()
    with sqlite3.connect(tmp_path / "store.sqlite3") as db:
        assert db.execute("SELECT typeof(channel_id) FROM articles").fetchone() == (stored_as,)
        assert db.execute("SELECT count(*) FROM articles WHERE channel_id = ?", (channel,)).fetchone() == (1,)
        other = "1" if channel == 1 else 1
        assert db.execute("SELECT count(*) FROM articles WHERE channel_id = ?", (other,)).fetchone() == (0,)


@pytest.mark.parametrize(("query", "total"), [(Query(), len(ARTICLES)), (Query(limit=3), 3), (Query(source="zaker"), None),
                                              (Query(channel="tech"), None), (Query(tag="民生", limit=2), None)])
def test_the_progress_bar_knows_its_end_only_without_filters(query: Query, total: int | None, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    try:
        store.write([to_document(a) for a in ARTICLES], T0)
        assert expected_total(store, query) == total
    finally:
        store.close()


# --- feeds per source and channel ----------------------------------------------------------------------

FEEDS = [
    (["--source", "zaker", "--channel", "1"], "ZAKER · 国内", "http://www.myzaker.com/", ids(3)),
    (["--source", "qutoutiao"], "趣头条", "http://home.qutoutiao.net", ids(0, 1, 2)),
    (["--source", "wordy", "--channel", "tech"], "Wordy News · 科技", "https://wordy.example/", ids(9, 10)),
    (["--source", "myfeed"], "myfeed", None, ids(11)),  # no profile: the source's name
    (["--channel", "1"], "newscrawler", None, ids(0, 1, 3)),  # several sources: a neutral title
    ([], "newscrawler", None, ids(*range(len(ROWS)))),
]


@pytest.mark.parametrize(("filters", "title", "home", "expected"), FEEDS)
def test_feeds_per_source_and_channel(many_sources: list[str], filters: list[str], title: str, home: str | None,
                                      expected: list[str], capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    rss, jsonfeed = tmp_path / "feed.xml", tmp_path / "feed.json"
    run(capsys, "export", "rss", "--out", str(rss), *filters, *many_sources)
    run(capsys, "export", "jsonfeed", "--out", str(jsonfeed), *filters, *many_sources)
    parsed = feedparser.parse(rss.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert (parsed.feed.title, parsed.feed.get("link") or None) == (title, home)
    assert [e.id for e in parsed.entries] == expected
    assert [e.title for e in parsed.entries] == [a.title for i in expected for a in ARTICLES if a.id == i]
    feed = json.loads(jsonfeed.read_text(encoding="utf-8"))
    assert (feed["title"], feed.get("home_page_url")) == (title, home)
    assert [item["id"] for item in feed["items"]] == expected


def test_a_feed_renders_the_same_from_the_store_and_from_articles(many_sources: list[str], tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """One renderer per format: what ``export`` writes is render_*(articles, meta), byte for byte."""
    out = tmp_path / "feed.json"
    run(capsys, "export", "jsonfeed", "--out", str(out), "--source", "zaker", *many_sources)
    zaker = [a for a in ARTICLES if a.source == "zaker"]
    meta = FeedMeta("ZAKER", "http://www.myzaker.com/", "ZAKER: articles collected by newscrawler")
    assert out.read_bytes() == render_jsonfeed(zaker, meta)
    out = tmp_path / "feed.xml"
    run(capsys, "export", "rss", "--out", str(out), "--source", "zaker", *many_sources)
    built = feedparser.parse(out.read_bytes()).feed.updated_parsed
    assert out.read_bytes() == render_rss(zaker, meta, datetime(*built[:6], tzinfo=timezone.utc))


# --- Hexo front matter per source -------------------------------------------------------------------------

PROFILES = load_profiles().by_name
# Issue 18's table: the front matter the Hexo generator of the seed post gave each source.
FRONT = {
    "qutoutiao": (["新媒体", "趣头条", "分类"], "趣头条", "rfc1123"),
    "zaker": (["新媒体", "ZAKER", "channel"], "ZAKER", "rfc1123"),
    "dockone": (["编程", "Dockone", "周报"], "Dockone", "local"),
    "woshipm": (["新媒体", "人人都是产品经理", "最新文章"], "人人都是产品经理", "rfc1123"),
}
# 2018-03-19 10:59 in Beijing, the Dockone row of issue 18.
PUBLISHED = datetime(2018, 3, 19, 2, 59, tzinfo=timezone.utc)


def hexo_date(published: datetime, style: str, zone: str) -> str:
    """The date as Hexo's front-matter parser hands it over: RFC 1123 text stays text; ``local``
    (``2018-03-19 10:59:00``) is a Date of that wall-clock time in Hexo's own zone (the machine's,
    for the Node process as for this one), which the worker gives back in UTC."""
    if style == "rfc1123":
        return published.strftime("%a, %d %b %Y %H:%M:%S GMT")
    wall = published.astimezone(ZoneInfo(zone)).replace(tzinfo=None)  # naive: read in the machine's zone
    return wall.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_the_bundled_profiles_hold_issue_18s_front_matter() -> None:
    assert {name: (list(p.hexo.categories), p.hexo.author, p.hexo.date_style) for name, p in PROFILES.items()} == FRONT


@pytest.mark.parametrize("source", sorted(FRONT))
def test_each_source_front_matter_as_hexo_reads_it(source: str, hexo_worker: HexoWorker) -> None:
    categories, author, style = FRONT[source]
    doc = {"title": "标题", "headimg": "", "published_at": PUBLISHED, "content_html": "<p>正文</p>"}
    text = PostTemplate.of(source, PROFILES[source]).render(doc)
    post = hexo_worker.render(f"2018-03-19-{source}-1.md", text)
    assert (post.front["categories"], post.front["author"]) == (categories, author)
    assert post.front["date"] == hexo_date(PUBLISHED, style, PROFILES[source].timezone)
    # As issue 18 writes them: the seed's RFC 1123, or Beijing's wall clock.
    written = "Mon, 19 Mar 2018 02:59:00 GMT" if style == "rfc1123" else "2018-03-19 10:59:00"
    assert f"\ndate: {written}\n" in text


def test_exported_posts_carry_their_own_sources_front_matter(many_sources: list[str], sources_dir: Path,
                                                             tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             hexo_worker: HexoWorker) -> None:
    """``scrapy export hexo`` over a store of many sources: each post, read by Hexo, is its source's."""
    out = tmp_path / "posts"
    run(capsys, "export", "hexo", "--out", str(out), *many_sources)
    wordy = load_profiles(sources_dir).by_name["wordy"]
    fronts = {**FRONT, "wordy": (list(wordy.hexo.categories), wordy.hexo.author, "local"),
              "myfeed": (["myfeed"], "myfeed", "rfc1123")}  # no profile: filed under its name
    by_name = {post_filename(to_document(a)): a for a in ARTICLES}
    assert sorted(p.name for p in out.glob("*.md")) == sorted(by_name)
    for name, article in by_name.items():
        post = hexo_worker.render(name, (out / name).read_text(encoding="utf-8"))
        categories, author, style = fronts[article.source]
        zone = (wordy if article.source == "wordy" else PROFILES.get(article.source, wordy)).timezone
        assert (post.front["categories"], post.front["author"], post.front["title"]) == (categories, author,
                                                                                          article.title)
        assert post.front["date"] == hexo_date(article.published_at, style, zone)


# --- indexes --------------------------------------------------------------------------------------------

PLANS = [
    (Query(), "articles_published_at"),
    (Query(source="zaker"), "articles_source_published_at"),
    (Query(source="zaker", channel=1), "articles_source_channel_published_at"),
    (Query(channel=1), "articles_channel_published_at"),
]


@pytest.mark.parametrize(("query", "index"), PLANS)
def test_sqlite_queries_use_the_indexes(query: Query, index: str, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    try:
        store.write([to_document(a) for a in ARTICLES], T0)
        statements: list[str] = []
        store.reader.set_trace_callback(statements.append)  # the statement, its values filled in
        list(store.query(query))
        [select] = [s for s in statements if s.startswith("SELECT id, doc")]
        plan = [row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {select}")]
    finally:
        store.close()
    assert any(f"USING INDEX {index}" in step for step in plan), plan


@pytest.mark.parametrize(("query", "keys"), [
    ({"source": "zaker"}, {"source": 1, "published_at": -1}),
    ({"source": "zaker", "channel_id": 1}, {"source": 1, "channel_id": 1, "published_at": -1}),
    ({"channel_id": 1}, {"channel_id": 1, "published_at": -1}),
    ({"tags": "民生"}, {"tags": 1}),
])
def test_mongodb_queries_use_the_indexes(query: dict[str, Any], keys: dict[str, int], tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:
    store = make_store("mongodb", tmp_path, request)
    try:
        store.write([to_document(a) for a in ARTICLES], T0)
        plan = store.collection.find(query).sort("published_at", -1).explain()["queryPlanner"]["winningPlan"]
        stages = [plan]
        while "inputStage" in stages[-1]:
            stages.append(stages[-1]["inputStage"])
        assert any(s.get("stage") == "IXSCAN" and s.get("keyPattern") == keys for s in stages), plan
    finally:
        store.close()


# --- removed settings --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "replacement"), [
    ("HEXO_CATEGORIES", "each source profile's hexo.categories"),
    ("HEXO_AUTHOR", "each source profile's hexo.author"),
    ("FEED_TITLE", "the source profile's title"),
    ("FEED_HOME_URL", "the source profile's home_url"),
    ("FEED_DESCRIPTION", "a description made from the feed's title"),
])
@pytest.mark.parametrize("command", [["export", "hexo", "--out", "{out}"], ["export", "rss", "--out", "{out}/f.xml"],
                                     ["crawl", "qutoutiao", "-O", "{out}/f.xml:rss"]])
def test_a_removed_setting_is_one_line_naming_its_replacement(name: str, replacement: str, command: list[str],
                                                              tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "newscrawler", *[a.format(out=out) for a in command], "-s", f"{name}=x",
         "-s", f"NEWSCRAWLER_DB={tmp_path / 'store.sqlite3'}", "-s", "MONGO_URI=",
         "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}"],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    message = f"{name} is no longer read: use {replacement}"
    assert len([line for line in done.stderr.splitlines() if message in line]) == 1, done.stderr[-2000:]
    assert not out.exists() and not (tmp_path / "store.sqlite3").exists()
