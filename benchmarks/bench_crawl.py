"""A whole crawl of a large replica (default about 20,000 articles) into SQLite.

Runs the real `scrapy crawl` against `python -m newscrawler replica` in their
own processes and prints articles/s and the crawler's peak memory. Asserts
nothing. Run: .venv/bin/python benchmarks/bench_crawl.py [CHANNELS PAGES PER_PAGE]
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newscrawler.replica.site import CHANNEL_ORDER, ReplicaConfig, Site  # noqa: E402
from tests import oracle  # noqa: E402


def main(channels: int = 10, pages: int = 100, per_page: int = 25) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MONGO_URI", None)
    replica = subprocess.Popen(
        [sys.executable, "-m", "newscrawler", "replica", "--port", "0", "--channels", str(channels),
         "--pages", str(pages), "--per-page", str(per_page)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", replica.stdout.readline()).group(0)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "scrapy", "crawl", "qutoutiao", "-a", f"pages={pages}", "-a", f"limit={per_page}",
                 "-a", f"cids={','.join(map(str, CHANNEL_ORDER[:channels]))}",
                 "-s", f"NEWSCRAWLER_DB={tmp}/bench.sqlite3", "-s", f"DEADLETTER_DIR={tmp}/dl",
                 "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=32",
                 "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "LOG_LEVEL=WARNING"],
                cwd=ROOT, env={**env, "http_proxy": url}, capture_output=True, text=True,
            )
            seconds = time.perf_counter() - started
            import sqlite3

            stored = sqlite3.connect(f"{tmp}/bench.sqlite3").execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        replica.terminate()
        replica.wait()
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"exit status: {run.returncode}")
    expected = len(oracle.expected(Site(ReplicaConfig(channels, pages, per_page)), limit=per_page, pages=pages)["stored"])
    print(f"articles stored: {stored} of {expected} in {seconds:,.1f} s = {stored / seconds:,.0f} articles/s")
    print(f"peak RSS of the largest child process (crawler or replica): {peak_kib / 1024:,.0f} MiB")
    if run.returncode:
        print(run.stderr[-2000:])


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
