"""Store and export figures for bench.py: SQLite write rate over 10,000 articles, export time per format."""

from __future__ import annotations

import html
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scrapy.settings import Settings

from newscrawler.exporters.from_store import FORMATS, export_store
from newscrawler.items import Article, article_id
from newscrawler.replica.site import ReplicaConfig, Site
from newscrawler.storage import Query, open_store
from newscrawler.storage.documents import to_document

START = datetime(2021, 7, 8, 12, 0, tzinfo=timezone.utc)


def settings_for(folder: Path) -> Settings:
    settings = Settings()
    settings.setmodule("newscrawler.settings", priority="project")
    settings.set("MONGO_URI", "", priority="cmdline")
    settings.set("NEWSCRAWLER_DB", str(folder / "store.sqlite3"), priority="cmdline")
    return settings


def articles(count: int) -> list[Article]:
    """``count`` stored-looking articles, their titles, bodies and tags taken from the replica."""
    site = Site(ReplicaConfig(channels=5, pages=5, per_page=10))
    models = [a for a in site.articles.values() if (a.body or "").strip() and not a.video]
    items = []
    for n in range(count):
        model = models[n % len(models)]
        body = model.body.strip()
        source_id = str(1_000_000 + n)
        items.append(Article(
            id=article_id(source_id), source_id=source_id, url=f"http://{model.host}/detail/{source_id}.html",
            title=f"{html.unescape(model.title)} {n}", summary=None, author=model.author, channel_id=model.cid,
            category_id=1, category="热点", tags=list(model.tags), published_at=START - timedelta(minutes=n),
            crawled_at=START, cover_images=list(model.covers), image_urls=[], headimg=None,
            content_html=body, content_text=re.sub(r"<[^>]+>", "", body).strip(),
            stats={"read": n, "comment": 0, "share": 0, "like": None},
        ))
    return items


def store_figures(folder: Path, count: int) -> None:
    settings = settings_for(folder)
    batch_size = max(1, settings.getint("MONGO_BATCH_SIZE"))
    docs = [to_document(item) for item in articles(count)]
    store = open_store(settings)
    seconds: list[float] = []
    try:
        for start in range(0, len(docs), batch_size):
            batch = docs[start:start + batch_size]
            began = time.perf_counter()
            store.write(batch, datetime.now(timezone.utc))
            seconds.append(time.perf_counter() - began)
    finally:
        store.close()
    per_1k = max(1, 1000 // batch_size)
    first, last = sum(seconds[:per_1k]), sum(seconds[-per_1k:])
    print(f"\n## 4. Store: {count:,} new articles into SQLite, batches of {batch_size} (the store's write alone)")
    print(f"  first 1,000: {1000 / first:8,.0f} articles/s; last 1,000: {1000 / last:8,.0f} articles/s; "
          f"last/first = {first / last:.2f}")


def export_figures(folder: Path, count: int) -> None:
    """Each format twice over the store store_figures filled: 1,000 articles, then all of them."""
    settings = settings_for(folder)
    print(f"\n## 5. Export from the store: seconds for the first 1,000 articles, then per 1,000 more "
          f"(marginal, over {count:,})")
    for kind in FORMATS:
        timings = []
        for run, limit in enumerate((1000, count)):
            out = folder / f"{kind}-{run}" / ("posts" if kind == "hexo" else "export")
            out.parent.mkdir()
            began = time.perf_counter()
            export_store(kind, settings, Query(limit=limit), out)
            timings.append(time.perf_counter() - began)
        marginal = (timings[1] - timings[0]) / max(1, (count - 1000) / 1000)
        goal = "  (goal <= 0.3 s)" if kind == "hexo" else ""
        print(f"  {kind:<9} first 1,000: {timings[0]:6.3f} s; per 1,000 more: {marginal:6.3f} s{goal}")
