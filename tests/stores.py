"""The backends the shared store suite runs against: SQLite and a real MongoDB wire server."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.write_concern import WriteConcern
from scrapy.utils.test import get_crawler

from newscrawler.pipelines.store import StorePipeline
from newscrawler.storage.mongo import MongoStore
from newscrawler.storage.sqlite import SqliteStore
from tests.crawling import project_settings_dict

BACKENDS = ["sqlite", "mongodb"]


class CommandCounter(monitoring.CommandListener):
    """Commands the driver sent, by name: each one is a round trip to the server."""

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def data(self) -> int:
        """Round trips that read or write articles (not the driver's own handshakes)."""
        return sum(n for name, n in self.commands.items() if name in ("find", "update", "insert", "getMore",
                                                                          "aggregate", "count", "delete"))


def mongo_store(uri: str, database: str, concern: WriteConcern | None = None) -> MongoStore:
    """A store on the test server counting its round trips; the client's write concern unless ``concern``."""
    counter = CommandCounter()
    client: MongoClient[Any] = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000,
                                           event_listeners=[counter])
    store = MongoStore(client, database, "articles", "the test server", concern=concern)
    store.commands = counter  # type: ignore[attr-defined]
    return store


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> MongoStore | SqliteStore:
    if kind == "sqlite":
        return SqliteStore(tmp_path / "store.sqlite3")
    return mongo_store(request.getfixturevalue("mongo_uri"), request.getfixturevalue("mongo_db"))


def store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    store = make_store(request.param, tmp_path, request)
    yield store
    store.close()


def store_cli_args(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> list[str]:
    """``-s`` options that point a command at the store ``make_store`` made."""
    if kind == "sqlite":
        return ["-s", f"NEWSCRAWLER_DB={tmp_path / 'store.sqlite3'}", "-s", "MONGO_URI="]
    return ["-s", f"MONGO_URI={request.getfixturevalue('mongo_uri')}",
            "-s", f"MONGO_DATABASE={request.getfixturevalue('mongo_db')}"]


def crawl_settings(kind: str, store_settings: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that send a crawl (or the store stage) to the backend ``kind``."""
    if kind == "sqlite":
        return dict(store_settings)
    return {**store_settings, "MONGO_URI": request.getfixturevalue("mongo_uri"),
            "MONGO_DATABASE": request.getfixturevalue("mongo_db")}


def open_backend(settings: dict[str, Any]) -> MongoStore | SqliteStore:
    """A second handle on the store ``settings`` select, to look at what a crawl wrote."""
    if settings.get("MONGO_URI"):
        return mongo_store(settings["MONGO_URI"], settings["MONGO_DATABASE"])
    return SqliteStore(settings["NEWSCRAWLER_DB"])


def stage_for(settings: dict[str, Any], **extra: Any) -> StorePipeline:
    """The store stage alone, built from the project's settings plus ``settings``, outside a crawl."""
    crawler = get_crawler(settings_dict=project_settings_dict(**{**settings, "STORE_FLUSH_INTERVAL": 0, **extra}))
    return StorePipeline.from_crawler(crawler)


def run_stage(stage: StorePipeline, items: list[Any], store: Any = None) -> None:
    """Open the stage, feed it ``items`` and close it, in an asyncio loop of its own."""
    async def run() -> None:
        stage.open_spider()
        if store is not None:
            stage.store.close()
            stage.store = store
        for item in items:
            await stage.process_item(item)
        await stage.close_spider()

    asyncio.run(run())


def spooled(directory: str | Path) -> list[dict[str, Any]]:
    """Every dead letter under ``directory``, oldest file first."""
    return [json.loads(line) for f in sorted(Path(directory).glob("deadletter-*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]
