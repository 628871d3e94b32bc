"""``scrapy serve`` as an operator runs it: a separate process on a free port, talked to over real HTTP."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newscrawler.storage.mongo import MongoStore
from newscrawler.storage.sqlite import SqliteStore
from tests.articles import T0, article, docs
from tests.processes import ROOT, env
from tests.stores import mongo_store


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    log: Path  # the server's stderr: its log and access log
    pid: int = 0

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, headers=headers or {})
            reply = connection.getresponse()
            return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> Response:
        return self.request(path, headers=headers)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@contextmanager
def serve_process(tmp_path: Path, *settings: str) -> Iterator[Served]:
    """``python -m newscrawler serve --port 0`` with ``-s`` settings; yields where it listens."""
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "newscrawler", "serve", "--port", "0", *settings],
                                   cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"serve did not start: {line!r} {log.read_text(errors='replace')[-2000:]}"
        yield Served(match.group(0), log, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


# What the served stores hold: two channels of one profiled source, and a source without a profile.
ARTICLES = [article(n) for n in range(1, 26)] + [
    article(100 + n, id=f"plain:{n}", source="plain", source_id=str(n), channel_id=None, channel=None,
            title=f"plain {n}")
    for n in range(3)
]


def fill_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> list[str]:
    """Write ARTICLES into a store of ``kind``; the ``-s`` options that point a command at it."""
    store: Any
    if kind == "sqlite":
        store = SqliteStore(tmp_path / "store.sqlite3")
        args = ["-s", f"NEWSCRAWLER_DB={tmp_path / 'store.sqlite3'}", "-s", "MONGO_URI="]
    else:
        uri, database = request.getfixturevalue("mongo_uri"), request.getfixturevalue("mongo_db")
        store = mongo_store(uri, database)
        args = ["-s", f"MONGO_URI={uri}", "-s", f"MONGO_DATABASE={database}"]
    try:
        assert store.write(docs(*ARTICLES), T0).new == len(ARTICLES)
    finally:
        store.close()
    return args


def write_more(kind: str, tmp_path: Path, request: pytest.FixtureRequest, *more: Any) -> None:
    store: SqliteStore | MongoStore
    if kind == "sqlite":
        store = SqliteStore(tmp_path / "store.sqlite3")
    else:
        store = mongo_store(request.getfixturevalue("mongo_uri"), request.getfixturevalue("mongo_db"))
    try:
        store.write(docs(*more), T0)
    finally:
        store.close()
