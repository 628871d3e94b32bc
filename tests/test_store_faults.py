"""Storage under faults (issue 9), each case on SQLite and on the MongoDB wire server."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from newscrawler.storage.batching import Batcher
from newscrawler.storage.deadletter import DeadLetter
from newscrawler.storage import Query
from newscrawler.storage.documents import to_document, to_json
from newscrawler.storage.replay import Trust, replay
from newscrawler.storage.sqlite import SqliteStore
from tests.articles import PROXY, T0, article, docs
from tests.faults import without_file_override
from tests.processes import ROOT, env
from tests.stores import BACKENDS, crawl_settings, make_store, open_backend, run_stage, spooled, stage_for, store_cli_args

MONGO_DOWN = "mongodb://127.0.0.1:1/?directConnection=true"
POISON = "坏\udc80"  # a lone surrogate: no UTF-8 encoder takes it


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, store_settings: dict[str, Any]) -> dict[str, Any]:
    """Settings of the store stage for one backend."""
    return crawl_settings(request.param, store_settings, request)


@pytest.mark.parametrize("field", ["summary", "author"])  # outside the content hash
def test_poisoned_document_costs_only_itself(backend: dict[str, Any], field: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    stage = stage_for(backend, MONGO_BATCH_SIZE=6)
    items = [article(n, **({field: POISON} if n == 3 else {})) for n in range(6)]
    run_stage(stage, items)
    stored = open_backend(backend)
    assert sorted(stored.known_ids([f"qutoutiao:{n}" for n in range(6)])) == [
        f"qutoutiao:{n}" for n in (0, 1, 2, 4, 5)]
    stored.close()
    stats = stage.stats.get_stats()
    assert stats["store/new"] == 5 and stats["store/rejected/UnicodeEncodeError"] == 1
    assert "store/lost" not in stats and "store/deadlettered" not in stats
    [line] = spooled(backend["DEADLETTER_DIR"])
    assert line["id"] == "qutoutiao:3" and line[field] == POISON  # kept exactly, as a JSON escape
    assert "UnicodeEncodeError" in line["_error"]
    assert "never retrieved" not in caplog.text


def test_a_bug_in_the_write_path_is_loud_not_a_rejected_document(
    backend: dict[str, Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails for no reason of the document's content (a bug: here a date that is text
    in SQLite, an upsert that cannot be built in MongoDB) is no bad document: logged with its
    traceback, counted as a bug (exit status 3), and its batch spooled, never store/rejected."""
    if backend.get("MONGO_URI"):
        from newscrawler.storage import mongo

        build = mongo.upsert

        def planted(doc: dict[str, Any], now: Any) -> Any:
            if doc["id"] == "qutoutiao:3":
                raise KeyError("planted")
            return build(doc, now)

        monkeypatch.setattr(mongo, "upsert", planted)
        items = [article(n) for n in range(6)]
    else:  # what the normalize stage turns into a date, reaching the store as text
        items = [article(n, **({"published_at": "2026-11-27"} if n == 3 else {})) for n in range(6)]
    stage = stage_for(backend, MONGO_BATCH_SIZE=6, STORE_WRITE_ATTEMPTS=1)
    run_stage(stage, items)
    stats = stage.stats.get_stats()
    assert not [key for key in stats if key.startswith("store/rejected")], stats
    assert stats["pipeline_exceptions/count"] == 1
    assert [key for key in stats if key.startswith("pipeline_exceptions/") and not key.endswith("count")] == [
        "pipeline_exceptions/KeyError" if backend.get("MONGO_URI") else "pipeline_exceptions/AttributeError"]
    assert [r for r in caplog.records if r.exc_info and "Unexpected failure writing 6 articles" in r.getMessage()]
    assert sorted(line["id"] for line in spooled(backend["DEADLETTER_DIR"])) == [f"qutoutiao:{n}" for n in range(6)]
    assert "store/lost" not in stats


@pytest.mark.parametrize("error", [OverflowError("planted: date arithmetic"),
                                   UnicodeEncodeError("utf-8", "planted", 0, 1, "planted")],
                         ids=["OverflowError", "UnicodeEncodeError"])
def test_an_encoding_error_outside_the_drivers_encoder_is_a_bug(
    backend: dict[str, Any], error: Exception, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The errors a driver raises for a document it cannot encode, raised by our own code before the
    driver sees the document (building MongoDB's upsert, SQLite's JSON), are bugs, not bad documents."""
    if backend.get("MONGO_URI"):
        from newscrawler.storage import mongo as module

        name = "upsert"
    else:
        from newscrawler.storage import sqlite as module

        name = "to_json"
    real = getattr(module, name)

    def planted(doc: dict[str, Any], *args: Any) -> Any:
        if doc["id"] == "qutoutiao:3":
            raise error
        return real(doc, *args)

    monkeypatch.setattr(module, name, planted)
    stage = stage_for(backend, MONGO_BATCH_SIZE=6, STORE_WRITE_ATTEMPTS=1)
    run_stage(stage, [article(n) for n in range(6)])
    stats = stage.stats.get_stats()
    assert not [key for key in stats if key.startswith("store/rejected")], stats
    assert stats["pipeline_exceptions/count"] == 1 and stats[f"pipeline_exceptions/{type(error).__name__}"] == 1
    assert [r for r in caplog.records if r.exc_info and "Unexpected failure writing 6 articles" in r.getMessage()]
    assert sorted(line["id"] for line in spooled(backend["DEADLETTER_DIR"])) == [f"qutoutiao:{n}" for n in range(6)]


def test_store_down_still_spools_the_whole_batch(store_settings: dict[str, Any]) -> None:
    settings = {**store_settings, "MONGO_URI": MONGO_DOWN, "MONGO_SERVER_SELECTION_TIMEOUT_MS": 200,
                "STORE_WRITE_ATTEMPTS": 1}
    stage = stage_for(settings, MONGO_BATCH_SIZE=4)
    run_stage(stage, [article(n) for n in range(4)])
    assert stage.stats.get_value("store/deadlettered") == 4
    assert [d["id"] for d in spooled(store_settings["DEADLETTER_DIR"])] == [f"qutoutiao:{n}" for n in range(4)]


def test_background_flush_failures_are_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    stats = get_crawler().stats
    written: list[list[dict[str, Any]]] = []

    async def failing_write(batch: list[dict[str, Any]]) -> None:
        written.append(batch)
        raise RuntimeError("bug in the write path")

    async def run() -> Batcher:
        batcher = Batcher(100, failing_write, stats)
        await batcher.add({"id": "a"})
        batcher.flush_soon()
        assert len(batcher.tasks) == 1  # a reference is kept while it runs
        await batcher.drain()
        return batcher

    batcher = asyncio.run(run())
    assert not batcher.tasks and written == [[{"id": "a"}]]
    assert stats.get_value("store/flush_errors/RuntimeError") == 1
    assert "background flush of the store stage failed" in caplog.text


# --- newest wins ------------------------------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    store = make_store(request.param, tmp_path, request)
    yield store
    store.close()


def test_stale_copy_never_replaces_a_newer_one(store: Any, tmp_path: Path) -> None:
    first = article(1, content_html="<p>第1版正文</p>", crawled_at=T0)
    second = article(1, content_html="<p>第2版正文</p>", crawled_at=T0 + timedelta(hours=1))
    DeadLetter(tmp_path / "dl").append(docs(first))  # spooled by the older crawl
    store.write(docs(second), T0 + timedelta(hours=1))

    report = replay(store, tmp_path / "dl")
    assert (report.written.stale, report.written.updated, report.ok) == (1, 0, True)
    [row] = store.query(Query())
    assert row["content_html"] == "<p>第2版正文</p>"
    assert row["crawled_at"] == T0 + timedelta(hours=1) and row["updated_at"] is None
    # and the newer copy still replaces the older one
    third = article(1, content_html="<p>第3版正文</p>", crawled_at=T0 + timedelta(hours=2))
    assert store.write(docs(third), T0 + timedelta(hours=2)).updated == 1


def test_concurrent_writers_newest_wins(store: Any, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Two crawls write the same ids at once, the older one a moment later: the newer copy stays."""
    other = make_store("sqlite" if isinstance(store, SqliteStore) else "mongodb", tmp_path, request)
    try:
        for round_ in range(8):
            ids = [100 * round_ + n for n in range(5)]
            newer = docs(*(article(n, title=f"新 {n}", crawled_at=T0 + timedelta(hours=1)) for n in ids))
            older = docs(*(article(n, title=f"旧 {n}", crawled_at=T0) for n in ids))
            barrier = threading.Barrier(2)
            results: dict[str, Any] = {}

            def write(name: str, target: Any, batch: list[dict[str, Any]]) -> None:
                barrier.wait()
                results[name] = target.write(batch, T0)

            threads = [threading.Thread(target=write, args=("newer", store, newer)),
                       threading.Thread(target=write, args=("older", other, older))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            titles = {r["id"]: r["title"] for r in store.query(Query())}
            assert all(titles[f"qutoutiao:{n}"] == f"新 {n}" for n in ids)
            assert results["newer"].stored == results["older"].stored == 5
    finally:
        other.close()


# --- replay -----------------------------------------------------------------------------------

GOOD = [to_document(article(n)) for n in (1, 2, 3)]


def poisoned(**fields: Any) -> str:
    """A dead letter of article 9 as the spooler writes it, with ``fields`` hand-edited in."""
    return to_json({**to_document(article(9)), **fields})


BAD_LINES = {
    "[1, 2, 3]": "not a JSON object (a list)",
    "{}": "missing id",
    '{"id": "qutoutiao:9"}': "missing content_hash",
    '{"id": "qutoutiao:9", "content_hash": "h", "crawled_at": "yesterday"}': "bad date in crawled_at: 'yesterday'",
    '{"id": "qutoutiao:9", "titl': "not JSON",
    "[" * 100_000 + "]" * 100_000: "not JSON (nested too deeply)",
    '{"id": "qutoutiao:9", "content_hash": "h", "published_at": "9999-12-31T23:00:00-14:00"}':
        "bad date in published_at: '9999-12-31T23:00:00-14:00' is out of range in UTC",
    '{"id": "qutoutiao:9", "content_hash": "h", "crawled_at": "0001-01-01T00:00:00+14:00"}':
        "bad date in crawled_at: '0001-01-01T00:00:00+14:00' is out of range in UTC",
    # Poisoned by hand or by another writer: types outside the item contract (items.ARTICLE_TYPES)...
    poisoned(title=["a", "list"]): "bad type in title: expected string",
    poisoned(url=12): "bad type in url: expected string",
    poisoned(content_html=None): "bad type in content_html: expected string",
    poisoned(tags=["ok", 7]): "bad type in tags[1]: expected string",
    poisoned(stats={"read": "many"}): "bad type in stats.read: expected integer or null",
    poisoned(channel_id=True): "bad type in channel_id: expected integer or string or null",
    poisoned(content_type="script"): "bad value in content_type: expected one of 'article', 'video'",
    to_json({k: v for k, v in to_document(article(9)).items() if k != "title"}): "missing title",
    poisoned(_id={"$gt": ""}): "unknown field _id",
    # ...markup the sanitizer would not let through, and URLs a reader's browser would run.
    poisoned(content_html="<p>x</p><img src=x onerror=alert(1)>"): "content_html is not sanitized",
    poisoned(content_html="<script>alert(1)</script><p>x</p>"): "content_html is not sanitized",
    poisoned(content_html='<a href="javascript:alert(1)">x</a>'): "content_html is not sanitized",
    poisoned(url="javascript:alert(1)"): "url is not an http(s) URL",
    poisoned(headimg="javascript:alert(1)"): "headimg is not an http(s) URL",
    poisoned(cover_images=["http://s/1.jpg", "data:image/svg+xml,<svg onload=alert(1)>"]):
        "cover_images[1] is not an http(s) URL",
    poisoned(image_urls=["//s/1.jpg"]): "image_urls[0] is not an http(s) URL",
    # ...an image a reader's browser would load from the site (or a tracker), not through the proxy...
    poisoned(content_html='<p>x</p><img src="http://tracker.example/p.png">'):
        "content_html has an image not through the proxy",
    poisoned(cover_images=[f"{PROXY}http://s/1.jpg", "http://s/2.jpg"]): "cover_images[1] is not through the proxy",
    poisoned(headimg="http://s/1.jpg"): "headimg is not through the proxy",
    # ...and ids and sources the pipelines never write (a source names Hexo posts).
    poisoned(source="x/../../tmp/pwned", id="x/../../tmp/pwned:9"): "bad value in source: expected a source's name",
    poisoned(id="qutoutiao:1"): "id is not article_id(source, source_id)",
}


@pytest.mark.parametrize("kind", BACKENDS)
def test_replay_survives_any_folder_content(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    folder = tmp_path / "deadletter"
    folder.mkdir()
    mixed = folder / "deadletter-1-mixed.jsonl"
    lines = [to_json(GOOD[0]), *BAD_LINES, to_json(GOOD[1])]
    mixed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    unreadable = folder / "deadletter-2-unreadable.jsonl"
    unreadable.write_text(to_json(to_document(article(7))) + "\n", encoding="utf-8")
    unreadable.chmod(0)
    (folder / "deadletter-3-a-directory.jsonl").mkdir()
    device = folder / "deadletter-3-device.jsonl"
    device.symlink_to("/dev/zero")  # endless, no newline: reading it would never end
    last = folder / "deadletter-4-good.jsonl"
    last.write_text(to_json(GOOD[2]) + "\n", encoding="utf-8")
    make_store(kind, tmp_path, request).close()  # the database exists; the folder is the test

    done = subprocess.run(
        [*without_file_override(), sys.executable, "-m", "newscrawler", "replay",
         *store_cli_args(kind, tmp_path, request), "-s", f"DEADLETTER_DIR={folder}"],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("replayed 2 files into ") and "3 new" in done.stdout
    log_line = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")  # Scrapy's log format
    errors = [line for line in done.stderr.splitlines() if not log_line.match(line)]
    assert errors[0].startswith(f"set aside {len(BAD_LINES)} lines in ")
    assert any(f"{unreadable}: kept, cannot be read: permission denied" in line for line in errors)
    assert any("deadletter-3-a-directory.jsonl: kept, cannot be read: is a directory" in line for line in errors)
    assert any(f"{device}: kept, not a regular file" in line for line in errors)
    assert "Traceback" not in done.stderr
    stored = make_store(kind, tmp_path, request)
    assert stored.known_ids([d["id"] for d in GOOD] + ["qutoutiao:7", "qutoutiao:9"]) == {d["id"] for d in GOOD}
    stored.close()
    assert not mixed.exists() and not last.exists() and unreadable.exists() and device.is_symlink()
    [rejected] = folder.glob("rejected-*.jsonl")
    aside = [json.loads(line) for line in rejected.read_text(encoding="utf-8").splitlines()]
    assert [(a["line"], a["reason"], a["text"]) for a in aside] == [
        (number, reason, text) for number, (text, reason) in enumerate(BAD_LINES.items(), 2)]

def test_replay_sets_aside_a_body_over_max_body_bytes(tmp_path: Path) -> None:
    """What the body stage drops (MAX_BODY_BYTES) replay does not store either; images proxied pass."""
    folder = tmp_path / "deadletter"
    big = to_document(article(2, content_html="<p>" + "长" * 400 + "</p>", content_text="长" * 400))
    proxied = to_document(article(3, content_html=f'<p><img src="{PROXY}http://s/3.jpg"></p>',
                                  cover_images=[f"{PROXY}http://s/c.jpg"], headimg=f"{PROXY}http://s/3.jpg"))
    DeadLetter(folder).append([GOOD[0], big, proxied])
    store = SqliteStore(tmp_path / "store.sqlite3")
    try:
        report = replay(store, folder, trust=Trust(PROXY, 2000))
        assert store.known_ids(["qutoutiao:1", "qutoutiao:2", "qutoutiao:3"]) == {"qutoutiao:1", "qutoutiao:3"}
    finally:
        store.close()
    # <p></p>, 400 characters of 3 bytes in the HTML and in the text, and the image URL
    assert report.set_aside == {"body too large: 2421 bytes > MAX_BODY_BYTES 2000": 1}


@pytest.mark.parametrize("kind", BACKENDS)
def test_replay_sets_aside_markup_the_sanitizer_would_remove(kind: str, tmp_path: Path,
                                                             request: pytest.FixtureRequest) -> None:
    """A poisoned dead letter never reaches the store, hence never the posts readers open."""
    folder = tmp_path / "deadletter"
    folder.mkdir()
    attack = poisoned(content_html='<p>正文</p><img src=x onerror=alert(1)>')
    (folder / "deadletter-1-x.jsonl").write_text(f"{to_json(GOOD[0])}\n{attack}\n", encoding="utf-8")
    make_store(kind, tmp_path, request).close()
    args = [*store_cli_args(kind, tmp_path, request), "-s", f"DEADLETTER_DIR={folder}"]

    done = subprocess.run([*without_file_override(), sys.executable, "-m", "newscrawler", "replay", *args],
                          cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "1 new" in done.stdout
    assert "set aside 1 lines in " in done.stderr and ": 1 content_html is not sanitized" in done.stderr
    [rejected] = folder.glob("rejected-*.jsonl")
    [aside] = [json.loads(line) for line in rejected.read_text(encoding="utf-8").splitlines()]
    assert (aside["line"], aside["reason"], aside["text"]) == (2, "content_html is not sanitized", attack)

    posts = tmp_path / "posts"
    exported = subprocess.run([*without_file_override(), sys.executable, "-m", "newscrawler", "export", "hexo",
                               "--out", str(posts), *args], cwd=ROOT, env=env(), capture_output=True, text=True,
                              timeout=120)
    assert exported.returncode == 0, exported.stderr
    [post] = posts.glob("*.md")
    assert "正文 1" in post.read_text(encoding="utf-8")
    assert "onerror" not in post.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", BACKENDS)
def test_replay_does_not_store_the_spoolers_error_note(kind: str, tmp_path: Path,
                                                        request: pytest.FixtureRequest) -> None:
    """A document the store rejected is spooled with ``_error`` saying why; that note is not article data."""
    folder = tmp_path / "deadletter"
    folder.mkdir()
    (folder / "deadletter-1-x.jsonl").write_text(to_json({**GOOD[0], "_error": "WriteError: boom"}) + "\n",
                                                 encoding="utf-8")
    store = make_store(kind, tmp_path, request)
    try:
        report = replay(store, folder)
        [row] = list(store.query(Query()))
    finally:
        store.close()
    assert (report.written.new, report.ok) == (1, True)
    assert "_error" not in row and row["id"] == GOOD[0]["id"]


def test_replay_of_a_file_another_replay_removed_meanwhile(tmp_path: Path) -> None:
    """Two replays at once (cron and an operator): the second finds its file gone after storing it."""
    folder = tmp_path / "dl"
    DeadLetter(folder).append(docs(article(1)))
    store = SqliteStore(tmp_path / "store.sqlite3")
    write = store.write

    def write_then_other_replay_removes(batch: list[dict[str, Any]], now: Any) -> Any:
        result = write(batch, now)
        [taken] = folder.glob("deadletter-*.jsonl")  # this replay's claim of the file
        taken.unlink()  # the other replay took it over, stored the same lines and removed it
        return result

    store.write = write_then_other_replay_removes  # type: ignore[method-assign]
    try:
        report = replay(store, folder)
    finally:
        store.close()
    assert (report.files_done, report.written.new, report.ok) == (1, 1, True)


def test_replay_leaves_a_file_another_running_replay_holds(tmp_path: Path) -> None:
    """A file another replay has claimed (renamed ``.replaying-<pid>``, locked) while it waits on a
    slow store is not taken from under it: that replay gives it back its name when it keeps it."""
    from newscrawler.storage.deadletter import claim, release

    folder = tmp_path / "dl"
    path = DeadLetter(folder).append(docs(article(1)))
    claimed, lock = claim(path)  # the other replay, still running
    store = SqliteStore(tmp_path / "store.sqlite3")
    try:
        report = replay(store, folder)
        assert (report.files_done, report.written.new, report.problems) == (0, 0, [])
        assert claimed.exists()
        release(claimed, path)  # the other one keeps it (its store failed), under its own name
    finally:
        os.close(lock)
    assert [p.name for p in folder.glob("deadletter-*")] == [path.name]
    try:
        assert replay(store, folder).written.new == 1  # the next replay takes it
    finally:
        store.close()


# --- losses and real causes -------------------------------------------------------------------

class FullDisk:
    """A stand-in for a store on a full disk (tmpfs cannot be mounted here)."""

    description = "SQLite on a full disk"

    def write(self, docs: list[dict[str, Any]], now: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    def known_ids(self, ids: list[str]) -> set[str]:
        raise sqlite3.OperationalError("database or disk is full")

    def close(self) -> None:
        pass


@pytest.mark.parametrize("kind", BACKENDS)
def test_article_neither_stored_nor_spooled_is_lost_loudly(
    kind: str, store_settings: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings = {**store_settings, "DEADLETTER_DIR": str(blocker / "deadletter"), "STORE_WRITE_ATTEMPTS": 1}
    store = None
    if kind == "mongodb":
        settings.update(MONGO_URI=MONGO_DOWN, MONGO_SERVER_SELECTION_TIMEOUT_MS=200)
    else:
        store = FullDisk()
    stage = stage_for(settings, MONGO_BATCH_SIZE=3)
    run_stage(stage, [article(n) for n in range(3)], store=store)
    assert stage.stats.get_value("store/lost") == 3
    critical = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    assert [line.split()[6].rstrip(",") for line in critical] == [f"qutoutiao:{n}" for n in range(3)]
    assert all("a parent is not a directory" in line for line in critical)
    if kind == "sqlite":
        assert all("database or disk is full" in line for line in critical)


def test_full_disk_names_the_cause_not_the_rollback(store_settings: dict[str, Any],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """SQLite's own full-disk error, made real by capping the database's page count."""
    store = SqliteStore(store_settings["NEWSCRAWLER_DB"])
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    big = [article(n, content_html="<p>" + "长" * 20000 + "</p>") for n in range(5)]
    stage = stage_for(store_settings, MONGO_BATCH_SIZE=5, STORE_WRITE_ATTEMPTS=1)
    run_stage(stage, big, store=store)
    assert stage.stats.get_value("store/deadlettered") == 5
    spooled_line = next(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "database or disk is full" in spooled_line and "kept in" in spooled_line
    # the failed ROLLBACK that follows a full disk may be logged for debugging, never as the cause
    assert not any("cannot rollback" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def test_mongodb_full_disk_spools_naming_the_cause(store_settings: dict[str, Any], request: pytest.FixtureRequest,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    from tests.servers import fail_command, fail_point_off

    settings = crawl_settings("mongodb", store_settings, request)
    stage = stage_for(settings, MONGO_BATCH_SIZE=3, STORE_WRITE_ATTEMPTS=1)
    with open_backend(settings).client as client:
        fail_command(client, "alwaysOn", failCommands=["update"], errorCode=14031)  # OutOfDiskSpace
        try:
            run_stage(stage, [article(n) for n in range(3)])
        finally:
            fail_point_off(client)
    assert stage.stats.get_value("store/deadlettered") == 3
    spooled_line = next(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "OutOfDiskSpace" in spooled_line and "kept in" in spooled_line


def cli(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "newscrawler", *args], cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=120)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_garbage_database_is_one_line_naming_path_and_cause(tmp_path: Path) -> None:
    db = tmp_path / "garbage.sqlite3"
    db.write_bytes(b"this is not SQLite at all " * 200)
    for command in (["query"], ["replay", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}"]):
        done = cli(*command, "-s", f"NEWSCRAWLER_DB={db}", "-s", "MONGO_URI=")
        assert done.returncode == 1
        line = one_error_line(done)
        assert str(db) in line and "not a database" in line


def test_read_only_database_is_one_line_naming_path_and_cause(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "store.sqlite3"
    SqliteStore(db).close()
    for leftover in folder.glob("store.sqlite3-*"):
        leftover.unlink()
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        done = cli("replay", "-s", f"NEWSCRAWLER_DB={db}", "-s", "MONGO_URI=",
                   "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}", prefix=without_file_override())
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1
    line = one_error_line(done)
    assert str(db) in line and ("read-only" in line or "cannot open" in line)


def test_missing_database_is_never_created_by_readers(tmp_path: Path) -> None:
    db = tmp_path / "no-such-dir" / "typo.sqlite3"
    for command in (["query"], ["export", "jsonl", "--out", str(tmp_path / "out.jsonl")]):
        done = cli(*command, "-s", f"NEWSCRAWLER_DB={db}", "-s", "MONGO_URI=")
        assert done.returncode == 1
        line = one_error_line(done)
        assert str(db) in line and "no such database file" in line
    assert not db.parent.exists()


def test_corrupted_page_ends_query_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    store = SqliteStore(db)
    store.write(docs(*(article(n, content_html="<p>" + "正文" * 800 + "</p>") for n in range(300))), T0)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(db.read_bytes())
    page = 4096
    middle = len(data) // page // 2 * page
    data[middle : middle + page] = b"\xff" * page  # one page of the table, overwritten
    db.write_bytes(bytes(data))
    done = cli("query", "-s", f"NEWSCRAWLER_DB={db}", "-s", "MONGO_URI=")
    assert done.returncode == 1
    line = one_error_line(done)
    assert str(db) in line and ("corrupted" in line or "not a database" in line)
    assert "Traceback" not in done.stderr


def test_unreachable_mongodb_query_is_one_line() -> None:
    done = cli("query", "-s", f"MONGO_URI={MONGO_DOWN}", "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=200")
    assert done.returncode == 1
    assert "127.0.0.1:1" in one_error_line(done)


# --- known ids --------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "count"), [("sqlite", 250_001), ("mongodb", 20_001)])
def test_known_ids_of_a_huge_listing(kind: str, count: int, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = make_store(kind, tmp_path, request)
    try:
        store.write(docs(article(1), article(2)), T0)
        ids = [f"qutoutiao:{n}" for n in range(count)]
        assert store.known_ids(ids) == {"qutoutiao:1", "qutoutiao:2"}
    finally:
        store.close()


def test_database_from_before_newest_wins_gains_crawled_at(tmp_path: Path) -> None:
    """A database written before the ``crawled_at`` column existed is upgraded in place at open."""
    db = tmp_path / "old.sqlite3"
    old = docs(article(1, crawled_at=T0 + timedelta(hours=1)))[0]
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, source TEXT NOT NULL, channel_id INTEGER, "
                     "published_at TEXT, content_hash TEXT NOT NULL, first_seen_at TEXT NOT NULL, "
                     "updated_at TEXT, doc TEXT NOT NULL)")
        conn.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                     (old["id"], old["source"], old["channel_id"], "2026-11-27T15:00:00Z", old["content_hash"],
                      T0.isoformat(), to_json(old)))
    store = SqliteStore(db)
    try:
        stale = docs(article(1, title="旧", crawled_at=T0))
        assert store.write(stale, T0).stale == 1
        assert [r["title"] for r in store.query(Query())] == [old["title"]]
    finally:
        store.close()


# --- output targets ---------------------------------------------------------------------------

@pytest.fixture
def one_article_db(tmp_path: Path) -> Path:
    db = tmp_path / "store.sqlite3"
    store = SqliteStore(db)
    store.write(docs(article(1)), T0)
    store.close()
    return db


UNWRITABLE = [("read-only/out", "permission denied"), ("a-file/out", "not a directory")]


@pytest.mark.parametrize(("command", "target", "named"), [
    *((command, *case) for command in (["query"], ["export", "rss"], ["export", "jsonl"], ["export", "hexo"])
      for case in UNWRITABLE),
    *((command, "a-folder", "is a directory") for command in (["query"], ["export", "rss"], ["export", "jsonl"])),
])
def test_unwritable_out_is_one_line_naming_it(command: list[str], target: str, named: str, tmp_path: Path,
                                              one_article_db: Path) -> None:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "read-only").mkdir(mode=0o555)
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    out = tmp_path / target
    done = cli(*command, "--out", str(out), "-s", f"NEWSCRAWLER_DB={one_article_db}", "-s", "MONGO_URI=",
               prefix=without_file_override())
    assert done.returncode == 1
    line = one_error_line(done)
    assert line.startswith("error: ") and named in line and str(tmp_path / target.split("/")[0]) in line
    assert not list(tmp_path.glob("**/*.tmp"))


def test_out_to_a_fifo_writes_through_it(tmp_path: Path, one_article_db: Path) -> None:
    """A FIFO (like /dev/stdout or /dev/full) is written to, never replaced by a regular file."""
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with fifo.open("rb") as reader:
            received.append(reader.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    done = cli("query", "--out", str(fifo), "-s", f"NEWSCRAWLER_DB={one_article_db}", "-s", "MONGO_URI=")
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    reader.join(10)
    [line] = received[0].decode("utf-8").splitlines()
    assert json.loads(line)["id"] == "qutoutiao:1"


def test_dead_letter_file_never_keeps_half_a_batch(tmp_path: Path) -> None:
    """A disk that fills partway through a batch (here: the file-size limit, the kernel's partial
    write without root) leaves no cut line: what the stage counts as lost is exactly what is not
    in the file, and the next batch appended after space frees up reads back whole."""
    script = f"""
import json, resource, signal, sys
from pathlib import Path
from newscrawler.storage.deadletter import DeadLetter
from newscrawler.storage.documents import to_document
from tests.articles import article
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
spool = DeadLetter(Path({str(tmp_path)!r}))
spool.append([to_document(article(1))])
resource.setrlimit(resource.RLIMIT_FSIZE, (spool.path.stat().st_size + 4000, hard))
try:
    spool.append([to_document(article(n, content_html="<p>" + "长" * 500 + "</p>")) for n in range(2, 12)])
except OSError as exc:
    print("refused:", exc.errno)
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space again
spool.append([to_document(article(20))])
print(json.dumps([json.loads(line)["id"] for line in spool.path.read_text(encoding="utf-8").splitlines()]))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    refused, ids = done.stdout.splitlines()
    assert refused == "refused: 27"  # EFBIG
    assert json.loads(ids) == ["qutoutiao:1", "qutoutiao:20"]


def test_lines_spooled_while_replay_runs_are_kept(tmp_path: Path) -> None:
    """A crawl still spooling (its outage window) while an operator replays its file: lines it
    appends during the replay are neither lost with the replayed file nor half-read."""
    folder = tmp_path / "dl"
    crawl_spool = DeadLetter(folder)
    crawl_spool.append(docs(article(1), article(2)))
    store = SqliteStore(tmp_path / "store.sqlite3")
    write = store.write

    def write_while_the_crawl_spools(batch: list[dict[str, Any]], now: Any) -> Any:
        crawl_spool.append(docs(article(3)))  # the crawl's next spooled batch lands meanwhile
        return write(batch, now)

    store.write = write_while_the_crawl_spools  # type: ignore[method-assign]
    try:
        first = replay(store, folder)
        store.write = write  # type: ignore[method-assign]
        second = replay(store, folder)
        stored = store.known_ids([f"qutoutiao:{n}" for n in (1, 2, 3)])
    finally:
        store.close()
    assert (first.written.new, first.ok) == (2, True)
    assert (second.written.new, second.ok) == (1, True)
    assert stored == {"qutoutiao:1", "qutoutiao:2", "qutoutiao:3"}
    assert not list(folder.glob("deadletter-*"))
