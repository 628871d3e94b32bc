"""Unexpected errors are loud, known bad input is quiet: real ``scrapy crawl`` processes.

A bug (any exception the code does not expect) is logged once with its traceback, counted by
Scrapy's own stats (``spider_exceptions/<Class>`` for a callback, ``pipeline_exceptions/<Class>``
for an item pipeline), costs its article, and makes the crawl exit 3. The hostile replica, known
bad input only, never takes that path.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawler.commands.crawl import EXIT_LOST, EXIT_OK, EXIT_UNHEALTHY
from newscrawler.replica import hostile
from newscrawler.replica.server import ReplicaServer, serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from tests import oracle
from tests.processes import ROOT, env, scrapy

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]


def store_args(folder: Path) -> list[str]:
    return ["-s", "MONGO_URI=", "-s", f"NEWSCRAWLER_DB={folder / 'store.sqlite3'}",
            "-s", f"DEADLETTER_DIR={folder / 'deadletter'}"]


def stored_ids(folder: Path) -> set[str]:
    with sqlite3.connect(folder / "store.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT json_extract(doc, '$.source_id') FROM articles")}


@pytest.mark.parametrize(
    ("stage", "stat", "logged"),
    [
        ("callback", "spider_exceptions/RuntimeError", "Spider error processing <GET http://"),
        ("body", "pipeline_exceptions/RuntimeError", "Error processing http://"),
        # Reaches the detail errback: not a failure the errback knows, so a bug all the same.
        ("middleware", "spider_exceptions/KeyError", "Spider error processing <GET http://"),
    ],
)
def test_a_bug_is_logged_counted_and_exits_3(replica: ReplicaServer, tmp_path: Path, stage: str, stat: str,
                                             logged: str) -> None:
    expected = oracle.expected(replica.site, cids=(1,), pages=1)["stored"]
    victim = sorted(expected)[0]
    run = subprocess.run(
        [sys.executable, "-m", "tests.planted_bug", stage, victim, "crawl", "qutoutiao", "-a", "cids=1",
         "-a", "pages=1", *FAST, *store_args(tmp_path)],
        cwd=ROOT, env=env(http_proxy=replica.url), capture_output=True, text=True, timeout=240,
    )
    log = run.stderr
    assert run.returncode == EXIT_LOST, log[-3000:]
    assert log.count("Traceback (most recent call last)") == 1  # once, with the bug's own message
    error = "KeyError: '" if stage == "middleware" else "RuntimeError: "
    assert f"{error}a planted bug in the {stage} stage, on {victim}" in log
    [line] = [line for line in log.splitlines() if logged in line]
    article = replica.site.articles[victim]
    assert f"{article.host}{article.path}" in line and " ERROR: " in line  # names the page
    assert f"'{stat}': 1" in log
    assert "Exit status 3: 1 unexpected error (a bug; its traceback is above)" in log
    assert "No unexpected error (spider_exceptions, pipeline_exceptions)... FAIL" in log
    assert stored_ids(tmp_path) == expected - {victim}  # the crawl went on; the bug cost its article only


@pytest.mark.parametrize("ratios", [
    [], ["-s", "MONITOR_MAX_DETAIL_ERROR_RATIO=1", "-s", "MONITOR_MAX_DROPPED_RATIO=1"],
], ids=["default", "ratios_lifted"])
def test_the_hostile_replica_never_reaches_the_bug_path(tmp_path: Path, ratios: list[str]) -> None:
    """Every hostile page is known bad input: counted and logged where it enters, never a bug."""
    server = serve_in_thread(0, ReplicaConfig(hostile=True))
    try:
        run = scrapy("crawl", "qutoutiao", "-a", f"cids={hostile.HOSTILE_CHANNEL}", "-a", "pages=1",
                     "-a", "limit=60", *FAST, *store_args(tmp_path), "-s", "RETRY_TIMES=0", *ratios,
                     http_proxy=server.url)
    finally:
        server.shutdown()
    log = run.stderr
    if ratios:
        # With the ratio monitors allowing this channel's losses (a fifth of its pages), the crawl is healthy.
        assert run.returncode == EXIT_OK, log[-3000:]
        assert "Exit status 0: healthy" in log
    else:
        # Unhealthy (a fifth of its pages fail, a monitor says so), never "lost to a bug".
        assert run.returncode == EXIT_UNHEALTHY, log[-3000:]
    assert "Traceback" not in log
    assert "spider_exceptions/" not in log and "pipeline_exceptions/" not in log
    assert "No unexpected error (spider_exceptions, pipeline_exceptions)... OK" in log
    assert "'body/dropped/bad_url': 3" in log and "'body/too_large': 1" in log
    # Bodies that do not decompress as their Content-Encoding says (hostile.UNDECODABLE): each named.
    undecodable = [case.sid for case in hostile.CASES if case.page in hostile.UNDECODABLE]
    assert f"'qutoutiao/detail/error/undecodable': {len(undecodable)}" in log
    for sid in undecodable:
        assert f"Detail page failed (undecodable): http://html2.qktoutiao.com/detail/hostile/{sid}.html?" in log
