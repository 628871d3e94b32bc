"""``scrapy replay`` streams its files (memory bounded by a batch) and one poisoned line costs
only itself, on both stores (issue 17)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newscrawler.storage.documents import to_document, to_json, to_json_line
from newscrawler.storage.sqlite import SqliteStore
from tests.articles import article
from tests.processes import ROOT, env
from tests.stores import BACKENDS, make_store, store_cli_args

# 120 MiB of dead letters in lines of ~100 KB, replayed in batches of 100 (~10 MB).
LINE_BYTES, FILE_MIB, BATCH = 100_000, 120, 100
PEAK_RSS_MIB = 250  # a resource bound, not a timing: reading the whole file at once takes far more


# Runs ``scrapy replay`` in a child forked from this small process and reports that child's peak
# RSS. Measured on the test's own child instead, the figure would start at pytest's RSS: Linux
# counts the memory of the process that forked or vforked a child until it execs.
MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "scrapy", "replay", *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(f"peak RSS KiB: {usage.ru_maxrss}", file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def replay_process(args: list[str]) -> tuple[subprocess.CompletedProcess[str], int]:
    """``scrapy replay`` and its peak RSS in MiB, measured by the kernel for that process alone."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=600)
    peak = int(done.stderr.rsplit("peak RSS KiB: ", 1)[1].split()[0])
    return done, peak // 1024


def test_replay_of_a_large_file_is_bounded_by_a_batch(tmp_path: Path) -> None:
    folder = tmp_path / "deadletter"
    folder.mkdir()
    body = "<p>" + "新闻 news " * (LINE_BYTES // 11) + "</p>"
    template = to_json(to_document(article(0, content_html=body)))
    lines = FILE_MIB * 2**20 // len(template.encode())
    with (folder / "deadletter-1-large.jsonl").open("w", encoding="utf-8") as file:
        for n in range(lines):
            file.write(template.replace('"qutoutiao:0"', f'"qutoutiao:{n}"', 1)
                       .replace('"source_id": "0"', f'"source_id": "{n}"', 1) + "\n")
    size = (folder / "deadletter-1-large.jsonl").stat().st_size

    done, peak = replay_process(["-s", f"NEWSCRAWLER_DB={tmp_path / 'store.sqlite3'}", "-s", "MONGO_URI=",
                                 "-s", f"DEADLETTER_DIR={folder}", "-s", f"STORE_BATCH_SIZE={BATCH}"])
    print(f"replayed {size / 2**20:.0f} MiB ({lines} lines of {len(template.encode()) // 1000} KB) in batches of "
          f"{BATCH}: peak RSS {peak} MiB")
    assert done.returncode == 0 and f"{lines} new" in done.stdout, done.stdout
    assert peak < PEAK_RSS_MIB
    assert not list(folder.glob("deadletter-*"))
    store = SqliteStore(tmp_path / "store.sqlite3")
    try:
        assert store.count() == lines
    finally:
        store.close()


# Few huge lines: articles of ~7 MiB (a body under MAX_BODY_BYTES, its text as large).
HUGE_PART = 7 * 2**20 // 2


def replay_huge_lines(folder: Path, lines: int) -> tuple[int, float]:
    """``scrapy replay`` of one file of ``lines`` huge articles: its peak RSS (MiB) and the file's size (MiB)."""
    dead = folder / "deadletter"
    dead.mkdir(parents=True)
    path = dead / "deadletter-1-huge.jsonl"
    body = "news " * (HUGE_PART // 5)
    with path.open("w", encoding="utf-8") as file:
        for n in range(lines):
            file.write(to_json(to_document(article(n, content_html=f"<p>{body}</p>", content_text=body))) + "\n")
    size_mib = path.stat().st_size / 2**20
    report = folder / "peak"
    done = subprocess.run([sys.executable, "-m", "tests.peakrss", str(report), sys.executable, "-m", "scrapy",
                           "replay", "-s", f"NEWSCRAWLER_DB={folder / 'store.sqlite3'}", "-s", "MONGO_URI=",
                           "-s", f"DEADLETTER_DIR={dead}"], cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0 and f"{lines} new" in done.stdout, done.stderr[-2000:]
    return int(report.read_text()) // 1024, size_mib


def test_replay_of_few_huge_lines_is_bounded_by_bytes(tmp_path: Path) -> None:
    """A batch is flushed once its lines hold BATCH_CHARACTERS, whatever STORE_BATCH_SIZE (100) says:
    four times the lines cost no more memory; held a batch of 100 lines at a time, they would
    (each line is ~7 MiB)."""
    small, small_size = replay_huge_lines(tmp_path / "small", 8)
    large, large_size = replay_huge_lines(tmp_path / "large", 32)
    print(f"replayed {small_size:.0f} MiB in 8 lines: peak RSS {small} MiB; "
          f"{large_size:.0f} MiB in 32 lines: peak RSS {large} MiB")
    assert large < small + 32  # less than 5 more lines' worth: the file is never held


def poisoned(**fields: Any) -> str:
    """The dead letter of article 9 with ``fields`` edited in, as the spooler writes it (JSON escapes)."""
    return to_json_line({**to_document(article(9)), **fields})


# Values the stores' encoders refuse (UTF-8 for SQLite text and BSON strings, 64-bit integers).
POISONS = {
    "content_html": (poisoned(content_html="<p>坏\udc80</p>"),
                     "bad text in content_html: not UTF-8 (a lone surrogate)"),
    "tag": (poisoned(tags=["ok", "\ud800"]), "bad text in tags[1]: not UTF-8 (a lone surrogate)"),
    "stats key": (poisoned(stats={"read\udfff": 1}), "bad text in stats (a key): not UTF-8 (a lone surrogate)"),
    "huge int": (poisoned(stats={"read": 2**70}), "bad value in stats.read: beyond a 64-bit integer"),
    "channel": (poisoned(channel_id=2**63), "bad value in channel_id: beyond a 64-bit integer"),
    # Dates the normalize stage never keeps (a year before 1000 also sorted after 2026 as SQLite text).
    "year 999": (poisoned(published_at="0999-01-01T00:00:00+00:00"),
                 "published_at 0999-01-01T00:00:00+00:00 is outside 1990 .. crawled_at + 2 days"),
    "future": (poisoned(published_at="2030-01-01T00:00:00+00:00"),
               "published_at 2030-01-01T00:00:00+00:00 is outside 1990 .. crawled_at + 2 days"),
    # A copy crawled "later" than any crawl can be would win over every later crawl (newest wins),
    # and carry a publication time that heads every feed.
    "crawled in 9000": (poisoned(crawled_at="9000-01-01T00:00:00+00:00", published_at="8999-12-31T00:00:00+00:00"),
                        "crawled_at 9000-01-01T00:00:00+00:00 is outside 1990 .. now + 2 days"),
    "crawled at the end of time": (poisoned(crawled_at="9999-12-31T00:00:00+00:00"),
                                   "crawled_at 9999-12-31T00:00:00+00:00 is outside 1990 .. now + 2 days"),
}


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("poison", POISONS)
def test_one_poisoned_line_costs_only_itself(kind: str, poison: str, tmp_path: Path,
                                             request: pytest.FixtureRequest) -> None:
    folder = tmp_path / "deadletter"
    folder.mkdir()
    bad, reason = POISONS[poison]
    good = [to_json(to_document(article(n))) for n in range(1, 6)]
    (folder / "deadletter-1-x.jsonl").write_text("\n".join([*good[:3], bad, *good[3:]]) + "\n", encoding="utf-8")
    make_store(kind, tmp_path, request).close()

    done = subprocess.run([sys.executable, "-m", "scrapy", "replay", *store_cli_args(kind, tmp_path, request),
                           "-s", f"DEADLETTER_DIR={folder}"], cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr  # a line was set aside
    assert done.stdout.startswith("replayed 1 files into ") and "5 new" in done.stdout
    assert "set aside 1 lines in " in done.stderr and f": 1 {reason}" in done.stderr
    assert "the store failed" not in done.stderr and "Traceback" not in done.stderr
    assert not (folder / "deadletter-1-x.jsonl").exists()
    [rejected] = folder.glob("rejected-*.jsonl")
    [aside] = [json.loads(line) for line in rejected.read_text(encoding="utf-8").splitlines()]
    assert (aside["line"], aside["reason"], aside["text"]) == (4, reason, bad)
    store = make_store(kind, tmp_path, request)
    try:
        assert store.known_ids([f"qutoutiao:{n}" for n in range(1, 10)]) == {f"qutoutiao:{n}" for n in range(1, 6)}
    finally:
        store.close()


def test_a_line_too_long_to_be_an_article_is_never_held_whole(tmp_path: Path) -> None:
    """A line longer than MAX_LINE (no article is that long) and than the memory bound is skipped a
    piece at a time: held whole, it alone would pass the bound. Its file is kept whole."""
    from newscrawler.storage.replay import MAX_LINE

    folder = tmp_path / "deadletter"
    folder.mkdir()
    path = folder / "deadletter-1-x.jsonl"
    line_mib = max(MAX_LINE // 2**20, PEAK_RSS_MIB) + 10
    with path.open("w", encoding="utf-8") as file:
        file.write(to_json(to_document(article(1))) + "\n")
        for _ in range(line_mib):
            file.write("x" * 2**20)  # not even JSON, and never a newline for 260 MiB
        file.write("\n" + to_json(to_document(article(2))) + "\n")
    size = path.stat().st_size

    done, peak = replay_process(["-s", f"NEWSCRAWLER_DB={tmp_path / 'store.sqlite3'}", "-s", "MONGO_URI=",
                                 "-s", f"DEADLETTER_DIR={folder}"])
    print(f"a {size / 2**20:.0f} MiB file with a {line_mib} MiB line: peak RSS {peak} MiB")
    assert done.returncode == 1 and "2 new" in done.stdout, done.stdout
    assert peak < PEAK_RSS_MIB
    assert path.stat().st_size == size  # kept as it was, under its own name
    assert not list(folder.glob("rejected-*"))
