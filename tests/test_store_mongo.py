"""The MongoDB path against a real wire server: failpoints, authentication, round trips (issue 10)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from newscrawler.replica.server import ReplicaServer
from newscrawler.storage import Query
from tests.articles import T0, article, docs
from tests.crawling import crawl
from tests.processes import ROOT, env
from tests.servers import SecantusServer, fail_command, fail_point_off, secantus_with_user
from tests.stores import crawl_settings, mongo_store, open_backend, run_stage, spooled, stage_for

USER, PASSWORD = "crawler", "s3cret-Pa55word"


@pytest.fixture
def mongo(store_settings: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    settings = crawl_settings("mongodb", store_settings, request)
    yield settings
    with MongoClient(settings["MONGO_URI"]) as client:
        fail_point_off(client)  # never leave a failpoint armed for the next test


@pytest.fixture
def admin(mongo: dict[str, Any]) -> Iterator[MongoClient[Any]]:
    with MongoClient(mongo["MONGO_URI"]) as client:
        yield client


def stored_ids(settings: dict[str, Any]) -> list[str]:
    store = open_backend(settings)
    try:
        return sorted(d["id"] for d in store.query(Query()))
    finally:
        store.close()


# --- failCommand ------------------------------------------------------------------------------

@pytest.mark.parametrize("failure", [
    {"errorCode": 6, "errorLabels": ["RetryableWriteError"]},  # HostUnreachable, retryable
    {"closeConnection": True},                                # the connection drops mid-batch
])
def test_batch_failing_once_is_retried_nothing_lost_nothing_duplicated(
    mongo: dict[str, Any], admin: MongoClient[Any], failure: dict[str, Any]
) -> None:
    fail_command(admin, {"times": 1}, failCommands=["update"], **failure)
    stage = stage_for(mongo, MONGO_BATCH_SIZE=5, STORE_RETRY_BACKOFF=0)
    run_stage(stage, [article(n) for n in range(10)])
    assert stored_ids(mongo) == sorted(f"qutoutiao:{n}" for n in range(10))
    assert stage.stats.get_value("store/new") == 10
    assert not stage.stats.get_value("store/deadlettered")
    with MongoClient(mongo["MONGO_URI"]) as client:
        assert client[mongo["MONGO_DATABASE"]]["articles"].count_documents({}) == 10


def test_batch_failing_every_try_is_spooled_then_replayed(mongo: dict[str, Any], admin: MongoClient[Any]) -> None:
    fail_command(admin, "alwaysOn", failCommands=["update"], errorCode=6, errorLabels=["RetryableWriteError"])
    stage = stage_for(mongo, MONGO_BATCH_SIZE=5, STORE_WRITE_ATTEMPTS=2, STORE_RETRY_BACKOFF=0)
    run_stage(stage, [article(n) for n in range(10)])
    assert stage.stats.get_value("store/deadlettered") == 10 and stored_ids(mongo) == []
    fail_point_off(admin)
    done = subprocess.run(
        [sys.executable, "-m", "newscrawler", "replay", *[a for k, v in mongo.items() for a in ("-s", f"{k}={v}")]],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "10 new" in done.stdout
    assert stored_ids(mongo) == sorted(f"qutoutiao:{n}" for n in range(10))


def test_duplicate_key_on_one_document_loses_none_of_the_others(mongo: dict[str, Any]) -> None:
    with MongoClient(mongo["MONGO_URI"]) as client:
        client[mongo["MONGO_DATABASE"]]["articles"].create_index("url", unique=True)
    items = [article(n) for n in range(6)]
    items[4] = article(4, url=items[1].url)  # another id, the same unique url
    stage = stage_for(mongo, MONGO_BATCH_SIZE=6)
    run_stage(stage, items)
    assert stored_ids(mongo) == sorted(f"qutoutiao:{n}" for n in (0, 1, 2, 3, 5))
    assert stage.stats.get_value("store/rejected/DuplicateKey") == 1
    [line] = spooled(mongo["DEADLETTER_DIR"])
    assert line["id"] == "qutoutiao:4" and "E11000" in line["_error"]


# --- one round trip per batch -----------------------------------------------------------------

def test_one_round_trip_per_batch_with_exact_counts(mongo: dict[str, Any]) -> None:
    store = mongo_store(mongo["MONGO_URI"], mongo["MONGO_DATABASE"])
    try:
        commands = store.commands  # type: ignore[attr-defined]
        commands.commands.clear()
        steps = [
            (docs(*(article(n) for n in range(10))), (10, 0, 0, 0)),
            # counters and crawl time move, content does not: unchanged
            (docs(*(article(n, stats={"read": 99}, crawled_at=T0 + timedelta(hours=1)) for n in range(10))),
             (0, 0, 10, 0)),
            (docs(*(article(n, title="改", crawled_at=T0 + timedelta(hours=2)) for n in range(3)),
                  *(article(n, crawled_at=T0 + timedelta(hours=2)) for n in range(3, 10)), article(10)),
             (1, 3, 7, 0)),
            # copies crawled before the stored ones: stale, whatever their content
            (docs(article(1, title="旧"), article(5)), (0, 0, 0, 2)),
        ]
        for batch, (new, updated, unchanged, stale) in steps:
            before = commands.data()
            result = store.write(batch, T0)
            assert (result.new, result.updated, result.unchanged, result.stale) == (new, updated, unchanged, stale)
            # one round trip, or two when stale copies must be told from a concurrent insert
            assert commands.data() - before == (2 if stale else 1)
        assert commands.commands["find"] == 0
        rows = {r["id"]: r for r in store.query(Query())}
        assert rows["qutoutiao:1"]["title"] == "改" and rows["qutoutiao:5"]["crawled_at"] == T0 + timedelta(hours=2)
    finally:
        store.close()


# --- authentication ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusServer]:
    with secantus_with_user(tmp_path_factory.mktemp("secantus-auth"), USER, PASSWORD) as server:
        yield server


def auth_uri(server: SecantusServer, password: str) -> str:
    return f"mongodb://{USER}:{password}@127.0.0.1:{server.port}/?directConnection=true&authSource=admin"


def test_credentials_store_articles_and_never_leak(
    auth_server: SecantusServer, via_replica: ReplicaServer, store_settings: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = {**store_settings, "MONGO_URI": auth_uri(auth_server, PASSWORD), "MONGO_DATABASE": "authed",
                "MONGO_BATCH_SIZE": 5}
    result = crawl(settings, cids="1", pages="1")
    assert result.items and result.stats["store/new"] == len(result.items)
    assert f"Storing articles in MongoDB at mongodb://***@127.0.0.1:{auth_server.port}/" in caplog.text
    # now every write fails: the dead letters, log and stats still hold no credential
    with MongoClient(auth_uri(auth_server, PASSWORD)) as client:
        fail_command(client, "alwaysOn", failCommands=["update"], errorCode=6, errorLabels=["RetryableWriteError"])
        try:
            failed = crawl({**settings, "STORE_WRITE_ATTEMPTS": 1}, cids="1", pages="1", refresh="1")
        finally:
            fail_point_off(client)
    assert failed.stats["store/deadlettered"] == len(failed.items) > 0
    dead = "".join(p.read_text(encoding="utf-8") for p in Path(store_settings["DEADLETTER_DIR"]).iterdir())
    for text in (caplog.text, json.dumps(failed.stats, default=str), json.dumps(result.stats, default=str), dead):
        assert PASSWORD not in text and f"{USER}:{PASSWORD[:4]}" not in text


def test_wrong_password_is_one_line_at_start(auth_server: SecantusServer, tmp_path: Path) -> None:
    wrong = "not-the-Pa55word"
    for command in (["query"], ["replay", "-s", f"DEADLETTER_DIR={tmp_path}"]):
        done = subprocess.run(
            [sys.executable, "-m", "newscrawler", *command, "-s", f"MONGO_URI={auth_uri(auth_server, wrong)}"],
            cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 1
        [line] = done.stderr.strip().splitlines()
        assert f"127.0.0.1:{auth_server.port}" in line and "authentication failed" in line
        assert wrong not in done.stderr and wrong not in done.stdout


SECRET = "S3cretPw"


@pytest.mark.parametrize("uri", [
    f"mongodb://crawler:S3@{SECRET}@127.0.0.1:1/",  # an unescaped @ in the password
    f"mongodb://crawler:{SECRET}/x@127.0.0.1:1/",  # an unescaped / in the password
    f"mongodb://crawler:{SECRET}@[::1",  # a broken IPv6 literal: pymongo raises ValueError
    f"mongodb://127.0.0.1:1/?tls=true&tlsCertificateKeyFilePassword={SECRET}",
    f"mongodb://127.0.0.1:1/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:{SECRET}",
])
def test_odd_uri_is_one_line_that_never_shows_a_secret(uri: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "newscrawler", "query", "-s", f"MONGO_URI={uri}",
         "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=200", "-s", "MONGO_CONNECT_TIMEOUT_MS=200"],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "MONGO_URI" in line or "MongoDB at mongodb://" in line
    assert SECRET[2:] not in done.stderr and SECRET[2:] not in done.stdout


def test_insert_race_lost_to_an_older_copy_is_asked_again(mongo: dict[str, Any]) -> None:
    """Two writers insert one new id at once; the server takes the older copy first and answers
    the newer one with a duplicate key. That race cannot be timed from a test, so the first bulk
    write is answered as the server would, after the older copy landed: the newer copy must still win."""
    from pymongo.errors import BulkWriteError

    store = mongo_store(mongo["MONGO_URI"], mongo["MONGO_DATABASE"])
    older = docs(article(1, title="旧", crawled_at=T0))[0]
    newer = docs(article(1, title="新", crawled_at=T0 + timedelta(hours=1)))[0]
    real_bulk_write = store.collection.bulk_write
    calls = []

    def racing(operations: Any, **kwargs: Any) -> Any:
        calls.append(len(operations))
        if len(calls) == 1:
            store.collection.insert_one({"_id": older["id"], **older, "first_seen_at": T0, "updated_at": None})
            raise BulkWriteError({"writeErrors": [{"index": 0, "code": 11000, "keyPattern": {"_id": 1},
                                                   "errmsg": "E11000 duplicate key error"}],
                                  "writeConcernErrors": [], "nInserted": 0, "nUpserted": 0, "nMatched": 0,
                                  "nModified": 0, "nRemoved": 0, "upserted": []})
        return real_bulk_write(operations, **kwargs)

    store.collection.bulk_write = racing  # type: ignore[method-assign]
    try:
        result = store.write([newer], T0 + timedelta(hours=1))
        assert (result.updated, result.stale, len(calls)) == (1, 0, 2)
        [row] = store.query(Query())
        assert row["title"] == "新"
    finally:
        store.close()


def test_wrong_password_stops_the_crawl_at_start(auth_server: SecantusServer, tmp_path: Path) -> None:
    from newscrawler.commands.crawl import EXIT_NOT_STARTED
    from tests.processes import scrapy

    wrong = "not-the-Pa55word"
    run = scrapy("crawl", "qutoutiao", "-a", "cids=1", "-s", f"MONGO_URI={auth_uri(auth_server, wrong)}",
                 "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}")
    assert run.returncode == EXIT_NOT_STARTED
    [line] = [line for line in run.stderr.splitlines() if "authentication failed" in line]
    assert "CRITICAL: Crawl not started: MongoDB at mongodb://***@127.0.0.1:" in line
    assert wrong not in run.stderr and wrong not in run.stdout
    assert not (tmp_path / "dl").exists()


def test_indexes_are_created_on_the_server(mongo: dict[str, Any]) -> None:
    store = mongo_store(mongo["MONGO_URI"], mongo["MONGO_DATABASE"])
    try:
        keys = [[tuple(k) for k in index["key"]] for index in store.collection.index_information().values()]
    finally:
        store.close()
    assert [("published_at", -1)] in keys
    assert [("channel_id", 1), ("published_at", -1)] in keys
    assert [("tags", 1)] in keys
