"""``scrapy crawl`` in a process of its own, against ``python -m newscrawler replica``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from newscrawler import settings
from newscrawler.replica.site import SEED_ID, SEED_TITLE, Site
from tests.processes import replica_process, scrapy

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]


@pytest.fixture(scope="module")
def replica_url() -> Iterator[str]:
    with replica_process() as url:
        yield url


@pytest.mark.parametrize("name", ["articles.jsonl", "articles.json"])
def test_feed_export_utf8_iso_dates(replica_url: str, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    run = scrapy(
        "crawl", "qutoutiao", "-a", "cids=1", "-a", "pages=1", "-O", str(out), *FAST,
        "-s", f"NEWSCRAWLER_DB={tmp_path / 'db.sqlite3'}", "-s", f"DEADLETTER_DIR={tmp_path / 'dl'}",
        http_proxy=replica_url,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert SEED_TITLE in text and "\\u" not in text
    rows = [json.loads(line) for line in text.splitlines()] if name.endswith("jsonl") else json.loads(text)
    assert {r["source_id"] for r in rows} == Site().expected(cids=(1,), pages=1)["stored"]
    seed = next(r for r in rows if r["source_id"] == SEED_ID)
    assert seed["published_at"] == "2021-07-08T10:55:51+00:00"
    assert datetime.fromisoformat(seed["crawled_at"]).tzinfo is not None


def test_polite_defaults_overridable() -> None:
    assert "newscrawler" in settings.USER_AGENT and "+http" in settings.USER_AGENT
    assert settings.ROBOTSTXT_OBEY is True
    assert settings.AUTOTHROTTLE_ENABLED is True
    assert settings.DOWNLOAD_DELAY > 0 and settings.CONCURRENT_REQUESTS_PER_DOMAIN <= 8
    assert settings.RETRY_TIMES >= 2 and 500 in settings.RETRY_HTTP_CODES
    run = scrapy("settings", "--get", "DOWNLOAD_DELAY", "-s", "DOWNLOAD_DELAY=3")
    assert run.stdout.strip() == "3"
