"""``make bench``: each kind of source against its no-op twin, CPU per stage, memory, feeds, store, exports.

Prints figures side by side from one run; asserts nothing. Every crawl is a real
``scrapy crawl`` process with the project's settings against a fresh replica process
(``python -m newscrawler replica``, which answers at once) used as http_proxy, on the two
cores they share. Per listing kind (json: qutoutiao (woshipm with --kinds); html: dockone, zaker; feed:
``scrapy crawl feed`` with and without article pages):

1. the full crawl and its no-op twin (benchmarks/noop_spider.py: the same requests, settings,
   priorities and duplicate filtering, nothing parsed) on about 2,000 articles, in interleaved
   pairs; the CPU ms per article of each, measured inside the crawl process
   (time.process_time), per stage (spider callbacks, each pipeline, store writes), and the
   ratio of the articles/s their CPU allows (twin CPU / full CPU: what the crawl reaches
   against a site that answers at once, whatever else runs on the machine); the wall-clock
   ratio beside it;
2. peak RSS of the full crawl at about 2,000 and 20,000 articles (no JOBDIR), and the ratio;
3. for qutoutiao, the recorded CPU ms per article of the hand-written spider it replaced
   (benchmarks/recorded/), side by side;
4. the latency-bound view: one kind against a replica that waits BENCH_DELAY seconds per response;
5. a 200-entry feed: our feed listing's parse against feedparser.parse of the same bytes;
6. store rate and export time (store_export.py).

Run: .venv/bin/python benchmarks/bench.py [--pairs 5] [--kinds qutoutiao,woshipm,...] [-s NAME=VALUE]
BENCH_QUICK=1: 1 pair, 5,000 articles for the memory figure, fewer repeats (a few minutes).
BENCH_DELAY=0.02: the latency-bound view's delay in seconds (0 skips it).
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
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import scrapy  # noqa: E402

from benchmarks.store_export import export_figures, store_figures  # noqa: E402
from newscrawler import settings as project  # noqa: E402
from newscrawler.pages.feed_listing import FeedListing  # noqa: E402
from newscrawler.replica.site import CHANNEL_ORDER, ReplicaConfig, Site  # noqa: E402
from newscrawler.sources.feeds import feed_profile  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
DELAY = float(os.environ.get("BENCH_DELAY", "0.02"))
RECORDED = ROOT / "benchmarks" / "recorded" / "qutoutiao-hand-written-bb7f5e6.json"

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
FEED = "http://feeds.example.com/rss20.xml"
SMALL_QUTOUTIAO = ["--channels", "1", "--pages", "1", "--per-page", "1"]  # when another source is measured


@dataclass(frozen=True)
class Kind:
    """One source to measure: its spider, arguments and the replica's size at scale ``n`` (~1,000 articles each)."""

    label: str
    kind: str
    spider: str
    args: Any  # (n) -> spider arguments
    replica: Any  # (n) -> replica options
    twin: str = ""

    @property
    def twin_spider(self) -> str:
        return self.twin or f"{self.spider}_noop"


def qutoutiao_args(n: int) -> dict[str, Any]:
    return {"cids": ",".join(map(str, CHANNEL_ORDER[:10])), "pages": 5 * n, "limit": 25}


KINDS = [
    Kind("qutoutiao", "json", "qutoutiao", qutoutiao_args,
         lambda n: ["--channels", "10", "--pages", str(5 * n), "--per-page", "25"]),
    Kind("woshipm", "json", "woshipm", lambda n: {"pages": 50 * n},
         lambda n: [*SMALL_QUTOUTIAO, "--woshipm", f"{50 * n}x20"]),
    Kind("dockone", "html", "dockone", lambda n: {"pages": 50 * n},
         lambda n: [*SMALL_QUTOUTIAO, "--dockone", f"{50 * n}x20"]),
    Kind("zaker", "html", "zaker", lambda n: {},
         lambda n: [*SMALL_QUTOUTIAO, "--zaker", f"15x{67 * n}"]),
    Kind("feed", "feed", "feed", lambda n: {"url": FEED, "name": "blog", "pages": 5 * n},
         lambda n: [*SMALL_QUTOUTIAO, "--feed", f"{5 * n}x200"]),
    Kind("feed+pages", "feed", "feed", lambda n: {"url": FEED, "name": "blog", "pages": 5 * n, "body": ".entry-content"},
         lambda n: [*SMALL_QUTOUTIAO, "--feed", f"{5 * n}x200"]),
]


def machine() -> str:
    model = "unknown CPU"
    try:
        model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    return (f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, Scrapy {scrapy.__version__}; "
            f"{load()}")


def load() -> str:
    """The load average and the other processes busy right now (CPU over half a second, from /proc)."""
    average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    busy = [f"{name} {share:.0%}" for name, share in busiest(0.5) if share >= 0.05][:6]
    return f"load average {average}" + (f"; busy now (share of one core): {', '.join(busy)}" if busy else "")


def cpu_ticks() -> dict[int, tuple[str, int]]:
    """Each process's name and user + system clock ticks so far."""
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        ticks[int(stat.parent.name)] = (name, int(rest[11]) + int(rest[12]))
    return ticks


def busiest(seconds: float) -> list[tuple[str, float]]:
    """Processes by their share of one core over ``seconds``, busiest first."""
    try:
        before = cpu_ticks()
        time.sleep(seconds)
        after = cpu_ticks()
    except OSError:
        return []
    hz = os.sysconf("SC_CLK_TCK")
    shares = [(name, (ticks - before[pid][1]) / hz / seconds) for pid, (name, ticks) in after.items()
              if pid in before and pid != os.getpid()]
    return sorted(shares, key=lambda pair: -pair[1])


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("mongo_uri", "no_proxy", "http_proxy")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def replica(options: list[str], usage: dict[str, float]) -> Iterator[str]:
    """A fresh ``python -m newscrawler replica`` process; yields its URL, then fills ``usage["cpu"]``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newscrawler", "replica", "--port", "0", *options],
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
    with replica([], {}) as url:
        connection = http.client.HTTPConnection(*url[len("http://"):].split(":"))
        started = time.perf_counter()
        for path in paths:
            connection.request("GET", path)
            connection.getresponse().read()
        seconds = (time.perf_counter() - started) / len(paths)
        connection.close()
    return seconds


def crawl(kind: Kind, twin: bool, n: int, tmp: Path, name: str, delay: float = 0.0) -> dict[str, Any]:
    """One ``scrapy crawl`` against a fresh replica; the instruments' report."""
    folder = tmp / name
    folder.mkdir()
    settings = {**CRAWL_SETTINGS, "NEWSCRAWLER_DB": str(folder / "store.sqlite3"),
                "DEADLETTER_DIR": str(folder / "deadletter"), "BENCH_REPORT": str(folder / "report.json"),
                "LOG_FILE": str(folder / "crawl.log")}
    spider = kind.twin_spider if twin else kind.spider
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    command += [part for k, v in kind.args(n).items() for part in ("-a", f"{k}={v}")]
    command += [part for k, v in settings.items() for part in ("-s", f"{k}={v}")]
    usage: dict[str, float] = {}
    options = kind.replica(n) + (["--delay", str(delay)] if delay else [])
    with replica(options, usage) as url:
        run = subprocess.run(command, cwd=ROOT, env={**environment(), "http_proxy": url}, capture_output=True,
                             text=True)
    # The twin stores nothing, so the close monitors fail it (exit 1): its report is what counts.
    if (run.returncode and not twin) or not (folder / "report.json").exists():
        log = (folder / "crawl.log").read_text() if (folder / "crawl.log").exists() else ""
        sys.exit(f"{spider} failed (exit {run.returncode}):\n{run.stderr[-2000:]}\n{log[-3000:]}")
    report = json.loads((folder / "report.json").read_text())
    report["replica_cpu"] = usage["cpu"]
    return report


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def stage_rows(reports: list[dict[str, Any]]) -> dict[str, float]:
    """Median CPU ms per article per stage over runs, with the threads and the rest."""
    def per_article(r: dict[str, Any], seconds: float) -> float:
        return seconds * 1000 / r["articles"]

    names = sorted({name for r in reports for name in r["stages"]})
    rows = {name: median([per_article(r, r["stages"].get(name, 0.0)) for r in reports]) for name in names}
    rows["other threads (the store's writes)"] = median([per_article(r, r["cpu"] - r["cpu_main"]) for r in reports])
    rows["Scrapy and the rest (reactor thread)"] = median(
        [per_article(r, r["cpu_main"] - sum(r["stages"].values())) for r in reports])
    rows["total (process)"] = median([per_article(r, r["cpu"]) for r in reports])
    return rows


def summary(count: int, report: dict[str, Any]) -> str:
    return (f"{report['cpu'] * 1000 / count:5.2f} CPU ms/article, {count / report['wall']:6.1f} articles/s "
            f"({report['wall']:5.1f} s wall, {report['stats']['response_received_count']:,} responses)")


@dataclass
class Result:
    kind: Kind
    twin: list[dict[str, Any]] = field(default_factory=list)
    full: list[dict[str, Any]] = field(default_factory=list)
    large: dict[str, Any] | None = None

    @property
    def cpu_ratio(self) -> float:
        return stage_rows(self.twin)["total (process)"] / stage_rows(self.full)["total (process)"]

    @property
    def wall_ratio(self) -> float:
        return median([r["wall"] for r in self.twin]) / median([r["wall"] for r in self.full])

    @property
    def rss(self) -> tuple[float, float]:
        small = median([r["maxrss_kib"] for r in self.full]) / 1024
        return small, (self.large["maxrss_kib"] / 1024 if self.large else float("nan"))


def measure(kind: Kind, pairs: int, small: int, large: int, tmp: Path) -> Result:
    result = Result(kind)
    print(f"\n## {kind.kind}: {kind.label} (`scrapy crawl {kind.spider} "
          f"{' '.join(f'-a {k}={v}' for k, v in kind.args(small).items())}`), replica "
          f"{' '.join(kind.replica(small))}; twin {kind.twin_spider}; {pairs} interleaved pairs")
    for pair in range(pairs):
        order = (True, False) if pair % 2 == 0 else (False, True)  # ABBA: drift hits both alike
        for twin in order:
            (result.twin if twin else result.full).append(crawl(kind, twin, small, tmp, f"{kind.label}-{twin}-{pair}"))
        full, twin_report = result.full[-1], result.twin[-1]
        count = full["stats"]["item_scraped_count"]
        full["articles"] = twin_report["articles"] = count  # the twin's rate is counted in the full crawl's articles
        print(f"  pair {pair + 1}: no-op twin {summary(count, twin_report)}; full {summary(count, full)}, "
              f"{full['stats'].get('store/new', 0):,} stored; {load()}", flush=True)
    twin_rows, full_rows = stage_rows(result.twin), stage_rows(result.full)
    print(f"  CPU ms per article (median), measured in the crawl process (time.process_time; stages: its reactor thread)")
    print(f"    {'stage':<45} {'no-op':>7} {'full':>7}")
    for name in full_rows:
        print(f"    {name:<45} {twin_rows.get(name, 0.0):7.3f} {full_rows[name]:7.3f}")
    print(f"  ratio of articles/s, full/no-op: by CPU {result.cpu_ratio:.2f} (goal >= 0.75); "
          f"by wall time {result.wall_ratio:.2f} (the replica shares the two cores)")
    result.large = crawl(kind, False, large, tmp, f"{kind.label}-large")
    count = result.large["articles"] = result.large["stats"]["item_scraped_count"]
    small_rss, large_rss = result.rss
    print(f"  peak RSS of the full crawl: {result.full[-1]['articles']:,} articles {small_rss:6.1f} MiB (median); "
          f"{count:,} articles {large_rss:6.1f} MiB ({summary(count, result.large)}, at most "
          f"{result.large['most_waiting']:,} requests waited); ratio {large_rss / small_rss:.2f} (goal <= 1.1)",
          flush=True)
    return result


def hand_written(result: Result) -> None:
    """The qutoutiao profile spider against the recorded figure of the hand-written spider it replaced."""
    recorded = json.loads(RECORDED.read_text())
    rows = stage_rows(result.full)
    twin = stage_rows(result.twin)["total (process)"]
    print(f"\n## qutoutiao: the profile spider now against the hand-written one (recorded, commit {recorded['commit']})")
    print(f"  recorded: {recorded['machine']}")
    print(f"    {'CPU ms per article (median)':<45} {'hand-written':>12} {'now':>7}")
    renames = {"pipeline/ItemValidationPipeline": "pipeline/SchemaCheckPipeline"}
    for name, value in recorded["full_stages_ms_per_article_median"].items():
        now = rows.get(renames.get(name, name), 0.0)
        label = f"{name} -> {renames[name].split('/')[1]}" if name in renames else name
        print(f"    {label:<45} {value:12.3f} {now:7.3f}")
    print(f"    {'total (process)':<45} {recorded['full_cpu_ms_per_article_median']:12.3f} {rows['total (process)']:7.3f}"
          "  (goal: now <= hand-written)")
    print(f"    {'no-op twin total (process)':<45} {recorded['twin_cpu_ms_per_article_median']:12.3f} {twin:7.3f}")


def latency_bound(kind: Kind, pairs: int, small: int, tmp: Path, delay: float) -> None:
    print(f"\n## Latency-bound view: {kind.label} against a replica answering each response {delay * 1000:.0f} ms late "
          f"(--delay; BENCH_DELAY), {pairs} pair(s), 16 requests in flight")
    walls: dict[bool, list[float]] = {True: [], False: []}
    for pair in range(pairs):
        reports = {twin: crawl(kind, twin, small, tmp, f"delay-{twin}-{pair}", delay=delay) for twin in (True, False)}
        count = reports[False]["stats"]["item_scraped_count"]
        for twin, report in reports.items():
            walls[twin].append(count / report["wall"])
        print(f"  pair {pair + 1}: no-op twin {summary(count, reports[True])}; full {summary(count, reports[False])}")
    print(f"  median articles/s: no-op twin {median(walls[True]):.1f}, full {median(walls[False]):.1f}; "
          f"ratio {median(walls[False]) / median(walls[True]):.2f} (both mostly wait)")


def feed_parse(repeats: int) -> None:
    """Our feed listing against feedparser alone, on the same 200-entry feed bytes."""
    print("\n## Feed parse: one 200-entry feed, our feed listing (feedparser, then the profile's rules per entry) "
          "against feedparser.parse of the same bytes; CPU ms (time.process_time), median of "
          f"{repeats}")
    with replica([*SMALL_QUTOUTIAO, "--feed", "200"], {}) as url:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": url}))
        bodies = {path: opener.open(f"http://feeds.example.com{path}", timeout=60).read()
                  for path in ("/rss20.xml", "/atom.xml", "/rss10.rdf")}
    now = datetime.now(timezone.utc)
    for path, body in bodies.items():
        feed_url = f"http://feeds.example.com{path}"
        listing = FeedListing(feed_profile("blog", feed_url, json_feed=False))

        def timed(work: Any) -> float:
            times = []
            for _ in range(repeats):
                started = time.process_time()
                work()
                times.append(time.process_time() - started)
            return median(times) * 1000

        ours = timed(lambda: listing.parse(body, feed_url, now))
        plain = timed(lambda: feedparser.parse(body))
        entries = len(listing.parse(body, feed_url, now).entries)
        print(f"  {path:<12} {len(body) / 1024:6.0f} KiB, {entries} entries: ours {ours:6.1f} ms, "
              f"feedparser.parse {plain:6.1f} ms; ratio {ours / plain:.2f} (goal <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1 if QUICK else 5, help="interleaved pairs per kind (default 5)")
    parser.add_argument("--kinds", default=",".join(k.label for k in KINDS if k.label != "woshipm"),
                        help=f"which, comma-separated, of {','.join(k.label for k in KINDS)} (default all but "
                             "woshipm, a second json source, to keep `make bench` within about 15 minutes)")
    parser.add_argument("--set", "-s", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for every crawl, e.g. to compare with Scrapy's defaults")
    parser.add_argument("--store", type=int, default=2_000 if QUICK else 10_000,
                        help="articles for the store and export figures")
    args = parser.parse_args()
    for override in args.set:
        name, _, value = override.partition("=")
        CRAWL_SETTINGS[name] = value
    wanted = args.kinds.split(",")
    small, large = 2, 5 if QUICK else 20  # ~2,000 and ~20,000 articles (~5,000 quick)
    started = time.perf_counter()
    print(f"# newscrawler benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
          f"{' (BENCH_QUICK)' if QUICK else ''}")
    print(f"machine: {machine()}")
    shown = [f"{k}={v}" for k, v in CRAWL_SETTINGS.items() if not k.startswith(("SPIDER_", "EXTENSIONS", "ITEM_"))]
    print("settings: the project's, with " + ", ".join(shown) + "; fresh SQLite store; robots.txt obeyed")
    print(f"the replica answers a request on a kept-alive connection in {replica_latency() * 1000:.1f} ms")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="newscrawler-bench-") as folder:
        tmp = Path(folder)
        for kind in KINDS:
            if kind.label in wanted:
                results.append(measure(kind, args.pairs, small, large, tmp))
        for result in results:
            if result.kind.label == "qutoutiao":
                hand_written(result)
        if DELAY > 0:
            latency_bound(KINDS[0], 1, small, tmp, DELAY)
    feed_parse(5 if QUICK else 15)
    print("\n## Summary (CPU-bound, medians)")
    print(f"  {'kind':<6} {'source':<11} {'no-op ms':>8} {'full ms':>8} {'ratio':>6} {'(wall)':>6} "
          f"{'RSS 2k':>8} {'RSS 20k':>8} {'ratio':>6}")
    for r in results:
        small_rss, large_rss = r.rss
        print(f"  {r.kind.kind:<6} {r.kind.label:<11} {stage_rows(r.twin)['total (process)']:8.3f} "
              f"{stage_rows(r.full)['total (process)']:8.3f} {r.cpu_ratio:6.2f} {r.wall_ratio:6.2f} "
              f"{small_rss:8.1f} {large_rss:8.1f} {large_rss / small_rss:6.2f}")
    print("  goals: ratio >= 0.75; RSS ratio <= 1.1")
    with tempfile.TemporaryDirectory(prefix="newscrawler-bench-") as folder:
        store_figures(Path(folder), args.store)
        export_figures(Path(folder), args.store)
    print(f"\nmachine after: {machine()}")
    print(f"bench took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
