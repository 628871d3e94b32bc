"""``make demo``: start the replica, crawl every bundled source as production would, report what happened."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcessBase
from scrapy.settings import BaseSettings

from newscrawler.exporters.from_store import export_store
from newscrawler.extensions.monitors import prefixed_total
from newscrawler.replica.served import BEIJING
from newscrawler.replica.server import serve_in_thread
from newscrawler.replica.site import ReplicaConfig
from newscrawler.sources.registry import load_profiles
from newscrawler.storage import Query, open_store

# ZAKER shows times relative to the clock; counting them back from a fixed time long past, every
# row shows a date, so a second demo reads the same publication times (and finds each article unchanged).
DEMO_ZAKER_ANCHOR = datetime(2024, 5, 20, 15, 0, tzinfo=BEIJING)


def demo_settings(settings: BaseSettings, data_dir: Path) -> None:
    """The demo's own values, at command-line priority: a ``-s`` given after them still wins."""
    data_dir.mkdir(parents=True, exist_ok=True)  # the crawler process opens LOG_FILE as it starts
    settings.set("LOG_FILE", str(data_dir / "crawl.log"), priority="cmdline")
    settings.set("LOG_FILE_APPEND", False, priority="cmdline")
    settings.set("NEWSCRAWLER_DB", str(data_dir / "newscrawler.sqlite3"), priority="cmdline")
    settings.set("DEADLETTER_DIR", str(data_dir / "deadletter"), priority="cmdline")
    settings.set("MONGO_URI", "", priority="cmdline")  # the demo always uses the embedded store
    # One file per source: the sources are crawled side by side.
    settings.set("FEEDS", {str(data_dir / "articles" / "%(name)s.jsonl"): {"format": "jsonlines", "overwrite": True}},
                 priority="cmdline")
    # The replica answers at once; the production delays would only make the demo slow.
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="cmdline")


def summary(stats: Mapping[str, Any], source: str) -> list[str]:
    """The figures an operator looks at first, from one source's crawl stats: the one home of the crawl summary."""
    lines = [
        f"articles scraped: {stats.get('item_scraped_count', 0)}",
        f"listing pages: {stats.get(f'{source}/listing/pages', 0)}, "
        f"ads skipped: {stats.get(f'{source}/listing/ads_skipped', 0)}, "
        f"duplicates skipped: {stats.get('dupefilter/filtered', 0)}, "
        f"known articles skipped: {stats.get('incremental/skipped', 0)}",
    ]
    for prefix, title in (("store/", "stored"), ("validate/missing/", "dropped, missing"),
                          (f"{source}/listing/error/", "listing errors"), (f"{source}/detail/error/", "detail errors")):
        found = {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix) and isinstance(v, int)}
        if found:
            lines.append(f"{title}: " + ", ".join(f"{k}={v}" for k, v in found.items()))
    errors = prefixed_total(stats, f"{source}/listing/error/") + prefixed_total(stats, f"{source}/detail/error/")
    lines.append(f"retries: {stats.get('retry/count', 0)}; errors: {errors}; finish reason: {stats.get('finish_reason')}")
    return lines


def problems(log: Path) -> list[str]:
    """The WARNING and ERROR lines of the crawl log (each names a URL and a reason)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if "] WARNING: " in line or "] ERROR: " in line]


def run_demo(process: CrawlerProcessBase, settings: BaseSettings, data_dir: Path, port: int = 0) -> int:
    """Crawl every bundled source with ``process`` (built on ``settings`` after ``demo_settings``), then export."""
    server = serve_in_thread(port, ReplicaConfig(zaker_anchor=DEMO_ZAKER_ANCHOR))
    os.environ["http_proxy"] = server.url  # the crawler keeps the real hosts; the replica answers
    print(f"Replica on {server.url}:")
    print("\n".join(server.site.describe()))
    # What the replica serves of each source: ZAKER serves the first of its channels.
    arguments: dict[str, dict[str, str]] = {name: {} for name in sorted(load_profiles(None).by_name)}
    arguments["zaker"] = {"channels": ",".join(map(str, server.site.sources.zaker.channels))}
    crawlers: dict[str, Crawler] = {}
    for name, args in arguments.items():
        crawlers[name] = process.create_crawler(name)
        # refresh=1: every article is fetched and compared, so a second demo shows them unchanged
        process.crawl(crawlers[name], refresh="1", **args)
    process.start()
    server.shutdown()
    store = open_store(settings)
    print("\nCrawl summary")
    for name, crawler in crawlers.items():
        print(f"  {name}:")
        print("\n".join("    " + line for line in summary(crawler.stats.get_stats(), name)))
    print(f"  articles in {store.description}: {store.count()}")
    store.close()
    log = Path(settings.get("LOG_FILE"))
    print(f"  log: {log}; its warnings and errors:")
    print("\n".join(f"    {line[:200]}" for line in problems(log)))
    print(f"  articles as crawled (scrapy -O): {data_dir / 'articles'}/<source>.jsonl")
    print("\nExports from the store")
    for kind, out in (("hexo", data_dir / "hexo"), ("jsonfeed", data_dir / "feed.json"), ("rss", data_dir / "feed.xml")):
        print(f"  {export_store(kind, settings, Query(), out)}")
    finished = all(c.stats.get_value("finish_reason") == "finished" for c in crawlers.values())
    return 0 if finished else 1
