"""Same crawl, same answers: MongoDB and SQLite give byte-identical ``query`` output and exports,
for the crawled 趣头条 articles and articles of every other kind of source beside them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from newscrawler.cli import main
from newscrawler.replica.server import ReplicaServer
from newscrawler.storage.documents import to_document
from tests.crawling import crawl
from tests.sources_sample import ARTICLES, T0, write_sources_dir
from tests.stores import crawl_settings, open_backend, run_stage, stage_for

FILTERS = [[], ["--channel", "2"], ["--tag", "民生"], ["--since", "2016-01-01", "--until", "2030-01-01"],
           ["--limit", "7"], ["--source", "qutoutiao"], ["--source", "zaker"], ["--source", "zaker", "--channel", "1"],
           ["--channel", "1"], ["--source", "wordy", "--channel", "1"], ["--channel", "tech"],
           ["--source", "dockone", "--tag", "Kubernetes"], ["--source", "myfeed"]]
# Feeds of one source or channel (titled from the profile) beside the whole store's.
FEED_CUTS = [[], ["--source", "zaker", "--channel", "1"], ["--source", "wordy"], ["--source", "myfeed"]]


def settings_args(settings: dict[str, Any]) -> list[str]:
    names = ("MONGO_URI", "MONGO_DATABASE", "NEWSCRAWLER_DB", "SOURCES_DIR")
    return [a for name in names if name in settings for a in ("-s", f"{name}={settings[name]}")]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_mongodb_and_sqlite_answer_alike(via_replica: ReplicaServer, tmp_path: Path, request: pytest.FixtureRequest,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    base = {"NEWSCRAWLER_DB": str(tmp_path / "store.sqlite3"), "DEADLETTER_DIR": str(tmp_path / "dl"),
            "MONGO_URI": "", "SOURCES_DIR": str(write_sources_dir(tmp_path / "sources"))}
    mongo = crawl_settings("mongodb", base, request)
    result = crawl(mongo)  # the crawl stores into MongoDB through the store stage...
    assert result.stats["store/new"] == len(result.items) > 100
    stage = stage_for(base, MONGO_BATCH_SIZE=100)
    run_stage(stage, result.items)  # ...and the same items go through the stage into SQLite
    assert stage.stats.get_value("store/new") == len(result.items)
    for settings in (base, mongo):  # and the other sources' articles, into both
        store = open_backend(settings)
        assert store.write([to_document(a) for a in ARTICLES], T0).new == len(ARTICLES)
        store.close()

    # Boundaries on stored dates: --since is inclusive and --until exclusive in both stores.
    dates = sorted(item.published_at for item in result.items)
    edges = [["--since", dates[len(dates) // 3].isoformat(), "--until", dates[2 * len(dates) // 3].isoformat()]]
    outputs: dict[str, dict[str, bytes]] = {}
    for name, settings in (("sqlite", base), ("mongodb", mongo)):
        args = settings_args(settings)
        found: dict[str, bytes] = {}
        for filters in FILTERS + edges:
            found[f"query {filters}"] = run_cli(capsys, "query", *filters, *args).encode()
        exports = [(kind, out, cut) for kind, out in (("jsonfeed", "feed.json"), ("rss", "feed.xml"))
                   for cut in FEED_CUTS] + [("jsonl", "a.jsonl", []), ("hexo", "hexo", [])]
        for kind, out, cut in exports:
            target = tmp_path / name / "-".join([*cut, out])
            run_cli(capsys, "export", kind, "--out", str(target), *cut, *args)
            files = sorted(target.iterdir()) if target.is_dir() else [target]
            for file in files:
                data = file.read_bytes()
                if kind == "rss":  # the one field that is the export's own clock, not the data
                    data = re.sub(rb"<lastBuildDate>[^<]*</lastBuildDate>", b"", data)
                found[f"{kind} {cut} {file.name}"] = data
        outputs[name] = found
    assert len(outputs["sqlite"]) == len(outputs["mongodb"]) > len(result.items)
    assert outputs["sqlite"].keys() == outputs["mongodb"].keys()
    for key, data in outputs["sqlite"].items():
        assert data == outputs["mongodb"][key], key
    assert outputs["sqlite"]["query []"].count(b"\n") == len(result.items) + len(ARTICLES)
    assert outputs["sqlite"]["query ['--source', 'wordy', '--channel', '1']"].count(b"\n") == 1
    zaker = (tmp_path / "sqlite" / "--source-zaker---channel-1-feed.xml").read_bytes()
    assert "<title>ZAKER · 国内</title>".encode() in zaker and zaker.count(b"<item>") == 1
