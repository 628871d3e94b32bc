"""``make bench``: the crawl against its no-op twin, memory, CPU per stage, store and exports.

Prints figures side by side from one run; asserts nothing. Every crawl is a real
``scrapy crawl`` process with the project's settings against a fresh replica process
(``python -m newscrawler replica``) used as http_proxy, on the two cores they share:

1. the full crawl and the no-op twin (benchmarks/noop_spider.py: the same requests,
   nothing parsed) on a replica of about 2,300 articles, in interleaved pairs: the median
   articles/s of each and their ratio;
2. CPU ms per article per stage (spider callbacks, each pipeline, store writes);
3. peak RSS of the full crawl at about 2,300 and 23,000 articles (no JOBDIR), and the ratio;
4. store rate: 10,000 articles into SQLite, the first 1,000 against the last 1,000;
5. export time per 1,000 articles per format (the first 1,000, then the marginal rate).

Run: .venv/bin/python benchmarks/bench.py [--pairs 5] [--small 10,10,25] [--large 10,100,25]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scrapy  # noqa: E402

from benchmarks.noop_spider import replica_config  # noqa: E402
from benchmarks.store_export import export_figures, store_figures  # noqa: E402
from newscrawler import settings as project  # noqa: E402
from newscrawler.replica.site import CHANNEL_ORDER, ReplicaConfig, Site  # noqa: E402
from tests import oracle  # noqa: E402

# What the issue measured with: 16 concurrent requests, no delay, no AutoThrottle, fresh store.
CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    # Measurement only, the same for both spiders (see instruments.py), beside the project's own.
    "SPIDER_MODULES": "newscrawler.spiders,benchmarks.noop_spider",
    "EXTENSIONS": json.dumps({**getattr(project, "EXTENSIONS", {}), "benchmarks.instruments.CrawlClock": 0}),
    "SPIDER_MIDDLEWARES": json.dumps(
        {**getattr(project, "SPIDER_MIDDLEWARES", {}), "benchmarks.instruments.SpiderClock": 1000}),
    "ITEM_PROCESSOR": "benchmarks.instruments.TimedItemPipelineManager",
}
FULL, TWIN = "qutoutiao", "qutoutiao_noop"


def machine() -> str:
    model = "unknown CPU"
    try:
        model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, Scrapy {scrapy.__version__}; "
            f"load average {load}")


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("mongo_uri", "no_proxy", "http_proxy")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def replica(config: ReplicaConfig, usage: dict[str, float]) -> Iterator[str]:
    """A fresh ``python -m newscrawler replica`` process; yields its URL, then fills ``usage["cpu"]``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newscrawler", "replica", "--port", "0", "--channels", str(config.channels),
         "--pages", str(config.pages), "--per-page", str(config.per_page), "--seed", str(config.seed)],
        cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        yield re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
    finally:
        process.terminate()
        _, _, rusage = os.wait4(process.pid, 0)
        process.returncode = 0
        usage["cpu"] = rusage.ru_utime + rusage.ru_stime  # its start-up (building the site) included


def replica_latency(requests: int = 50) -> float:
    """Seconds per request to a replica, one keep-alive connection, one request at a time."""
    config = ReplicaConfig(channels=5, pages=5, per_page=10)
    paths = [f"http://{a.host}{a.path}" for a in Site(config).articles.values() if a.status == "ok"][:requests]
    with replica(config, {}) as url:
        connection = http.client.HTTPConnection(*url[len("http://"):].split(":"))
        started = time.perf_counter()
        for path in paths:
            connection.request("GET", path)
            connection.getresponse().read()
        seconds = (time.perf_counter() - started) / len(paths)
        connection.close()
    return seconds


def crawl(spider: str, config: ReplicaConfig, tmp: Path, name: str) -> dict[str, Any]:
    """One ``scrapy crawl`` against a fresh replica; the instruments' report."""
    folder = tmp / name
    folder.mkdir()
    settings = {**CRAWL_SETTINGS, "NEWSCRAWLER_DB": str(folder / "store.sqlite3"),
                "DEADLETTER_DIR": str(folder / "deadletter"), "BENCH_REPORT": str(folder / "report.json"),
                "LOG_FILE": str(folder / "crawl.log")}
    args = {"cids": ",".join(map(str, CHANNEL_ORDER[: config.channels])), "pages": config.pages,
            "limit": config.per_page}
    if spider == TWIN:
        args["replica"] = f"{config.channels},{config.pages},{config.per_page},{config.seed}"
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    command += [part for k, v in args.items() for part in ("-a", f"{k}={v}")]
    command += [part for k, v in settings.items() for part in ("-s", f"{k}={v}")]
    usage: dict[str, float] = {}
    with replica(config, usage) as url:
        run = subprocess.run(command, cwd=ROOT, env={**environment(), "http_proxy": url}, capture_output=True,
                             text=True)
    # The twin stores nothing, so the close monitors fail it (exit 1): its report is what counts.
    if (run.returncode and spider == FULL) or not (folder / "report.json").exists():
        log = (folder / "crawl.log").read_text() if (folder / "crawl.log").exists() else ""
        sys.exit(f"{spider} failed (exit {run.returncode}):\n{run.stderr[-2000:]}\n{log[-3000:]}")
    report = json.loads((folder / "report.json").read_text())
    report["replica_cpu"] = usage["cpu"]
    return report


def articles(config: ReplicaConfig) -> int:
    """Articles a complete crawl of this replica stores: the denominator of every rate."""
    site = Site(config)
    return len(oracle.expected(site, limit=config.per_page, pages=config.pages)["stored"])


def ms_per_article(seconds: float, count: int) -> str:
    return f"{seconds * 1000 / count:6.2f}"


def stage_rows(reports: list[dict[str, Any]]) -> dict[str, float]:
    """Median CPU seconds per stage over runs, with the threads and the rest."""
    def median(values: list[float]) -> float:
        return statistics.median(values) if values else 0.0

    names = sorted({name for r in reports for name in r["stages"]})
    rows = {name: median([r["stages"].get(name, 0.0) for r in reports]) for name in names}
    rows["other threads (the store's writes)"] = median([r["cpu"] - r["cpu_main"] for r in reports])
    rows["Scrapy and the rest (reactor thread)"] = median(
        [r["cpu_main"] - sum(r["stages"].values()) for r in reports])
    rows["total (process)"] = median([r["cpu"] for r in reports])
    rows["replica site process (start-up included)"] = median([r["replica_cpu"] for r in reports])
    return rows


def rate(count: int, report: dict[str, Any]) -> str:
    return f"{count / report['wall']:6.1f} articles/s ({report['wall']:5.1f} s, {report['stats']['response_received_count']:,} responses"


def crawl_figures(pairs: int, small: ReplicaConfig, large: ReplicaConfig) -> None:
    count = articles(small)
    print(f"\n## 1. Full crawl against its no-op twin: replica {small.channels} channels x {small.pages} pages x "
          f"{small.per_page} entries = {count:,} articles, {pairs} interleaved pairs")
    shown = [f"{k}={v}" for k, v in CRAWL_SETTINGS.items() if not k.startswith(("SPIDER_", "EXTENSIONS", "ITEM_"))]
    print("settings: the project's, with " + ", ".join(shown) + "; fresh SQLite store; robots.txt obeyed")
    latency = replica_latency()
    print(f"the replica answers a request on a kept-alive connection in {latency * 1000:.1f} ms "
          f"(it answers at once)")
    reports: dict[str, list[dict[str, Any]]] = {FULL: [], TWIN: []}
    with tempfile.TemporaryDirectory(prefix="newscrawler-bench-") as folder:
        tmp = Path(folder)
        for pair in range(pairs):
            order = (TWIN, FULL) if pair % 2 == 0 else (FULL, TWIN)  # ABBA: drift hits both alike
            for spider in order:
                reports[spider].append(crawl(spider, small, tmp, f"{spider}-{pair}"))
            twin, full = reports[TWIN][-1], reports[FULL][-1]
            print(f"  pair {pair + 1}: no-op twin {rate(count, twin)}), "
                  f"full crawl {rate(count, full)}, {full['stats'].get('store/new', 0):,} stored)")
        twin_rate = statistics.median(count / r["wall"] for r in reports[TWIN])
        full_rate = statistics.median(count / r["wall"] for r in reports[FULL])
        print(f"median articles/s: no-op twin {twin_rate:.1f}, full crawl {full_rate:.1f}; "
              f"ratio full/no-op = {full_rate / twin_rate:.2f}  (goal >= 0.85)")

        print("\n## 2. CPU ms per article (median over the runs above)")
        twin_rows, full_rows = stage_rows(reports[TWIN]), stage_rows(reports[FULL])
        print(f"  {'stage':<45} {'no-op':>7} {'full':>7}")
        for name in full_rows:
            print(f"  {name:<45} {ms_per_article(twin_rows.get(name, 0.0), count):>7} "
                  f"{ms_per_article(full_rows[name], count):>7}")
        pipelines = sum(v for k, v in full_rows.items() if k.startswith(("pipeline/", "other threads")))
        print(f"  {'pipelines, store writes included':<45} {'':>7} {ms_per_article(pipelines, count):>7}"
              "  (goal <= 1 ms)")
        twin_busy = statistics.median(r["cpu"] / r["wall"] for r in reports[TWIN])
        full_busy = statistics.median(r["cpu"] / r["wall"] for r in reports[FULL])
        twin_cpu, full_cpu = twin_rows["total (process)"], full_rows["total (process)"]
        print(f"  the crawler used {twin_busy:.0%} (no-op) and {full_busy:.0%} (full) of one core; on a site answering "
              f"at once its CPU alone would allow {count / twin_cpu:,.0f} and {count / full_cpu:,.0f} articles/s "
              f"(ratio {twin_cpu / full_cpu:.2f})")

        large_count = articles(large)
        print(f"\n## 3. Peak RSS of the full crawl, no JOBDIR: {count:,} against {large_count:,} articles")
        big = crawl(FULL, large, tmp, "large")
        small_rss = statistics.median(r["maxrss_kib"] for r in reports[FULL]) / 1024
        small_waiting = max(r["most_waiting"] for r in reports[FULL])
        print(f"  {count:,} articles: {small_rss:6.1f} MiB (median of section 1); at most {small_waiting:,} "
              f"requests waited in the scheduler")
        print(f"  {large_count:,} articles: {big['maxrss_kib'] / 1024:6.1f} MiB; at most {big['most_waiting']:,} "
              f"requests waited; {big['stats'].get('store/new', 0):,} stored, {rate(large_count, big)}), "
              f"{ms_per_article(big['cpu'], large_count)} CPU ms/article")
        print(f"  ratio: {big['maxrss_kib'] / 1024 / small_rss:.2f}  (goal <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="interleaved pairs of crawls (default 5)")
    parser.add_argument("--small", type=replica_config, default=ReplicaConfig(10, 10, 25), help="CHANNELS,PAGES,PER_PAGE")
    parser.add_argument("--large", type=replica_config, default=ReplicaConfig(10, 100, 25), help="CHANNELS,PAGES,PER_PAGE")
    parser.add_argument("--set", "-s", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for every crawl, e.g. to compare with Scrapy's defaults")
    parser.add_argument("--store", type=int, default=10_000, help="articles for the store and export figures")
    args = parser.parse_args()
    for override in args.set:
        name, _, value = override.partition("=")
        CRAWL_SETTINGS[name] = value
    started = time.perf_counter()
    print(f"# newscrawler benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {machine()}")
    crawl_figures(args.pairs, args.small, args.large)
    with tempfile.TemporaryDirectory(prefix="newscrawler-bench-") as folder:
        store_figures(Path(folder), args.store)
        export_figures(Path(folder), args.store)
    print(f"\nmachine after: {machine()}")
    print(f"bench took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
