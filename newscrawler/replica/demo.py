"""``make demo``: start the replica, crawl it as production would, report what happened."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcessBase
from scrapy.settings import BaseSettings

from newscrawler.exporters.from_store import export_store
from newscrawler.replica.server import serve_in_thread
from newscrawler.storage import Query, open_store


def demo_settings(settings: BaseSettings, data_dir: Path) -> None:
    """The demo's own values, at command-line priority: a ``-s`` given after them still wins."""
    data_dir.mkdir(parents=True, exist_ok=True)  # the crawler process opens LOG_FILE as it starts
    settings.set("LOG_FILE", str(data_dir / "crawl.log"), priority="cmdline")
    settings.set("LOG_FILE_APPEND", False, priority="cmdline")
    settings.set("NEWSCRAWLER_DB", str(data_dir / "newscrawler.sqlite3"), priority="cmdline")
    settings.set("DEADLETTER_DIR", str(data_dir / "deadletter"), priority="cmdline")
    settings.set("MONGO_URI", "", priority="cmdline")  # the demo always uses the embedded store
    settings.set(
        "FEEDS", {str(data_dir / "articles.jsonl"): {"format": "jsonlines", "overwrite": True}}, priority="cmdline"
    )
    # The replica answers at once; the production delays would only make the demo slow.
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="cmdline")


def summary(stats: dict[str, Any]) -> list[str]:
    """The figures an operator looks at first, from the crawl's stats."""
    lines = [
        f"articles scraped: {stats.get('item_scraped_count', 0)}",
        f"ads skipped: {stats.get('qutoutiao/listing/ads_skipped', 0)}, "
        f"duplicates skipped: {stats.get('dupefilter/filtered', 0)}, "
        f"known articles skipped: {stats.get('incremental/skipped', 0)}",
    ]
    for prefix, title in (("store/", "stored"), ("validate/missing/", "dropped, missing"),
                          ("qutoutiao/listing/error/", "listing errors"), ("qutoutiao/detail/error/", "detail errors")):
        found = {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix) and isinstance(v, int)}
        if found:
            lines.append(f"{title}: " + ", ".join(f"{k}={v}" for k, v in found.items()))
    lines.append(f"retries: {stats.get('retry/count', 0)}; finish reason: {stats.get('finish_reason')}")
    return lines


def problems(log: Path) -> list[str]:
    """The WARNING and ERROR lines of the crawl log (each names a URL and a reason)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if "] WARNING: " in line or "] ERROR: " in line]


def run_demo(process: CrawlerProcessBase, settings: BaseSettings, data_dir: Path, port: int = 0) -> int:
    """Crawl with ``process`` (built on ``settings`` after ``demo_settings``), then export."""
    server = serve_in_thread(port)
    os.environ["http_proxy"] = server.url  # the crawler keeps the real hosts; the replica answers
    print(f"Replica on {server.url}:")
    print("\n".join(server.site.describe()))
    crawler = process.create_crawler("qutoutiao")
    # refresh=1: every article is fetched and compared, so a second demo shows them unchanged
    process.crawl(crawler, refresh="1")
    process.start()
    server.shutdown()
    stats = crawler.stats.get_stats()
    store = open_store(settings)
    print("\nCrawl summary")
    print("\n".join("  " + line for line in summary(stats)))
    print(f"  articles in {store.description}: {store.count()}")
    store.close()
    log = Path(settings.get("LOG_FILE"))
    print(f"  log: {log}; its warnings and errors:")
    print("\n".join(f"    {line[:200]}" for line in problems(log)))
    print(f"  articles as crawled (scrapy -O): {data_dir / 'articles.jsonl'}")
    print("\nExports from the store")
    for kind, out in (("hexo", data_dir / "hexo"), ("jsonfeed", data_dir / "feed.json"), ("rss", data_dir / "feed.xml")):
        print(f"  {export_store(kind, settings, Query(), out)}")
    return 0 if stats.get("finish_reason") == "finished" else 1
