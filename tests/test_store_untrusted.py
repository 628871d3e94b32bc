"""Documents another program wrote into the store: each one the pipelines would not have written
is left out of exports, queries and served feeds, named in the log, and the export exits 1.

A data team's script or a hand edit writes straight to SQLite or MongoDB; what is read back goes
to other people's feed readers and browsers, so it is input like any page (storage.reading).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bson import ObjectId
from pymongo import MongoClient

from newscrawler.cli import main
from newscrawler.storage.documents import to_document
from tests.articles import T0, article
from tests.serving import serve_process
from tests.stores import BACKENDS, make_store, store_cli_args

# (article number, field, value another program wrote, the reason the log gives)
TAMPERED = [
    (1, "title", 123, "bad type in title: expected string"),
    (2, "content_html", '<script>alert(1)</script><p>x</p>', "content_html is not sanitized"),
    (3, "url", "javascript:alert(document.cookie)", "url is not an http(s) URL"),
    (4, "tags", ["民生", {"a": 2}], "bad type in tags[1]: expected string"),
    (5, "image_urls", ["data:image/png;base64,AAAA"], "image_urls[0] is not an http(s) URL"),
    (6, "content_html", '<p><a href="javascript:alert(1)">x</a></p>', "content_html is not sanitized"),
    (7, "source", "../../etc", "bad value in source: expected a source's name"),
    (8, "published_at", "yesterday", "bad date in published_at"),
]
GOOD = (9, 10)
NOTED = 11  # holds a field outside the contract: read, and the field never exported
ALL = range(1, 12)


def tamper(kind: str, tmp_path: Path, request: pytest.FixtureRequest, n: int, field: str, value: Any) -> None:
    """Write ``field`` of article ``n`` as another program would: around the pipelines."""
    if kind == "sqlite":
        with sqlite3.connect(tmp_path / "store.sqlite3") as db:
            (text,) = db.execute("SELECT doc FROM articles WHERE id = ?", (f"qutoutiao:{n}",)).fetchone()
            doc = json.loads(text)
            doc[field] = value
            db.execute("UPDATE articles SET doc = ? WHERE id = ?", (json.dumps(doc), f"qutoutiao:{n}"))
        db.close()
        return
    with MongoClient(request.getfixturevalue("mongo_uri")) as client:
        collection = client[request.getfixturevalue("mongo_db")]["articles"]
        assert collection.update_one({"_id": f"qutoutiao:{n}"}, {"$set": {field: value}}).matched_count == 1


@pytest.fixture(params=BACKENDS)
def store_args(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    kind = request.param
    store = make_store(kind, tmp_path, request)
    store.write([to_document(article(n)) for n in ALL], T0)
    store.close()
    for n, field, value, _ in TAMPERED:
        tamper(kind, tmp_path, request, n, field, value)
    tamper(kind, tmp_path, request, NOTED, "reviewed_by", "data team")
    if kind == "mongodb":  # a document of another shape altogether, under the driver's own id
        with MongoClient(request.getfixturevalue("mongo_uri")) as client:
            client[request.getfixturevalue("mongo_db")]["articles"].insert_one(
                {"_id": ObjectId(), "note": "<script>x</script>", "published_at": T0})
    return store_cli_args(kind, tmp_path, request)


def assert_named(caplog_text: str, unread: tuple[int, ...] = ()) -> None:
    """Each tampered article but the ``unread`` ones (no query of this test selects them) is named."""
    for n, _, _, reason in TAMPERED:
        if n in unread:
            continue
        assert f"Stored article 'qutoutiao:{n}' skipped, it cannot be read: {reason}" in caplog_text
    assert "Traceback" not in caplog_text


def titles_in(kind: str, text: str | bytes) -> list[str]:
    """The titles a reader finds: JSON for JSON Lines and JSON Feed, feedparser for RSS and Atom."""
    if kind == "jsonl":
        return [json.loads(line)["title"] for line in text.splitlines()]
    if kind == "jsonfeed":
        return [item["title"] for item in json.loads(text)["items"]]
    parsed = feedparser.parse(text)
    assert not parsed.bozo, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


EXPECTED = sorted(f"qutoutiao:{n}" for n in (*GOOD, NOTED))
TITLES = sorted(f"标题 {n}" for n in (*GOOD, NOTED))


@pytest.mark.parametrize("kind", ["rss", "atom", "jsonfeed", "jsonl"])
def test_export_leaves_them_out_names_them_and_exits_1(store_args: list[str], kind: str, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"out.{kind}"
    with caplog.at_level(logging.WARNING):
        assert main(["export", kind, "--out", str(out), *store_args]) == 1
    assert "stored articles left out, unreadable (named in the log)" in capsys.readouterr().out
    assert_named(caplog.text)
    text = out.read_text(encoding="utf-8")
    for marker in ("<script", "javascript:", "data:image", "../../etc", "reviewed_by", "data team"):
        assert marker not in text
    assert sorted(titles_in(kind, text)) == TITLES


def test_hexo_export_writes_only_the_readable(store_args: list[str], tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "posts"
    with caplog.at_level(logging.WARNING):
        assert main(["export", "hexo", "--out", str(out), *store_args]) == 1
    assert_named(caplog.text)
    assert sorted(p.name.rsplit("-", 1)[-1] for p in out.iterdir()) == sorted(f"{n}.md" for n in (*GOOD, NOTED))


def test_query_prints_only_the_readable_and_exits_1(store_args: list[str], caplog: pytest.LogCaptureFixture,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with caplog.at_level(logging.WARNING):
        assert main(["query", *store_args]) == 1
    captured = capsys.readouterr()
    assert sorted(json.loads(line)["id"] for line in captured.out.splitlines()) == EXPECTED
    assert "reviewed_by" not in captured.out
    left_out = len(TAMPERED) + ("MONGO_URI=" not in store_args)  # and MongoDB's document of another shape
    assert f"{left_out} stored articles left out, unreadable (named in the log)" in captured.err
    assert_named(caplog.text)


def test_query_of_an_untouched_store_exits_0(request: pytest.FixtureRequest, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    store = make_store("sqlite", tmp_path, request)
    store.write([to_document(article(n)) for n in ALL], T0)
    store.close()
    assert main(["query", *store_cli_args("sqlite", tmp_path, request)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(ALL)


def test_served_feeds_and_pages_leave_them_out(store_args: list[str], tmp_path: Path) -> None:
    with serve_process(tmp_path, *store_args) as served:
        for path, kind in (("/qutoutiao?limit=50", "rss"), ("/qutoutiao.atom?limit=50", "atom"),
                           ("/qutoutiao.json?limit=50", "jsonfeed")):
            reply = served.get(path)
            assert reply.status == 200, (path, reply.body[:300])
            for marker in (b"<script", b"javascript:", b"data:image", b"../../etc", b"reviewed_by"):
                assert marker not in reply.body, (path, marker)
            assert sorted(titles_in(kind, reply.body)) == TITLES
        # The RSSHub route: the odd articles are in channel 2, 9 and 11 of them readable.
        assert sorted(titles_in("rss", served.get("/qutoutiao/category/2").body)) == ["标题 11", "标题 9"]
        for path in ("/", "/healthz"):
            assert served.get(path).status == 200
    # A feed of one source asks MongoDB for that source's documents only: article 7 is never read
    # there (SQLite selects by the row's own source column and reads it).
    assert_named(served.log.read_text(encoding="utf-8"), unread=(7,) if "MONGO_URI=" not in store_args else ())
