"""No remote-control server, and a crawl with an unwritable HOME runs clean.

Scrapy 2.19 starts an HTTP server that runs Python code sent to it, and writes its job
file under HOME: with an unwritable HOME, every crawl logged an ERROR and a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests.processes import scrapy


@pytest.fixture(scope="module")
def site() -> Iterator[ReplicaServer]:
    server = serve_in_thread(0, ReplicaConfig())
    yield server
    server.shutdown()


# Unwritable for anyone: under a regular file, or a regular file itself; read-only only for a
# user other than root (root writes into a read-only folder), so that case runs only then.
KINDS = ["uncreatable", "a file"] + ([] if os.geteuid() == 0 else ["read-only"])


def unwritable_home(tmp_path: Path, kind: str) -> Path:
    if kind in ("uncreatable", "a file"):
        (tmp_path / "a-file").write_text("")
        return tmp_path / "a-file" / "home" if kind == "uncreatable" else tmp_path / "a-file"
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    return home


@pytest.mark.parametrize("kind", KINDS)
def test_crawl_with_an_unwritable_home_is_clean(kind: str, tmp_path: Path, site: ReplicaServer) -> None:
    home = unwritable_home(tmp_path, kind)
    run = scrapy("crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1",
                 "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
                 HOME=str(home), http_proxy=site.url)
    log = run.stderr
    assert run.returncode == 0, log[-3000:]
    assert "Remote control" not in log and "remote_control" not in log
    assert "Traceback" not in log
    assert "] ERROR:" not in log
    assert "'item_scraped_count': " in log  # it did crawl
    assert (home.read_text() == "") if home.is_file() else (not home.exists() or list(home.iterdir()) == [])  # nothing written
