"""Store and export figures for bench.py: SQLite write rate over 10,000 articles, export time per format."""

from __future__ import annotations

import html
import re
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scrapy.settings import Settings

from newscrawler.storage.batchsize import store_batch_size
from newscrawler.exporters.from_store import FORMATS, export_store
from newscrawler.exporters.files import replacing
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
            id=article_id("qutoutiao", source_id), source="qutoutiao", source_id=source_id,
            url=f"http://{model.host}/detail/{source_id}.html",
            title=f"{html.unescape(model.title)} {n}", summary=None, author=model.author, channel_id=model.cid,
            category_id=1, category="热点", tags=list(model.tags), published_at=START - timedelta(minutes=n),
            crawled_at=START, cover_images=list(model.covers), image_urls=[], headimg=None,
            content_html=body, content_text=re.sub(r"<[^>]+>", "", body).strip(),
            stats={"read": n, "comment": 0, "share": 0, "like": None},
        ))
    return items


def store_figures(folder: Path, count: int, repeats: int = 3) -> None:
    """``count`` new articles into fresh SQLite stores, ``repeats`` times; the last store stays for the exports."""
    settings = settings_for(folder)
    batch_size = store_batch_size(settings)
    docs = [to_document(item) for item in articles(count)]
    per_1k = max(1, 1000 // batch_size)
    firsts, lasts = [], []
    for _ in range(repeats):
        Path(settings.get("NEWSCRAWLER_DB")).unlink(missing_ok=True)
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
        firsts.append(1000 / sum(seconds[:per_1k]))
        lasts.append(1000 / sum(seconds[-per_1k:]))
    first, last = statistics.median(firsts), statistics.median(lasts)
    print(f"\n## 4. Store: {count:,} new articles into SQLite, batches of {batch_size} (the store's write alone, "
          f"median of {repeats} fresh stores)")
    print(f"  first 1,000: {first:8,.0f} articles/s; last 1,000: {last:8,.0f} articles/s; last/first = {last / first:.2f}")


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def export_figures(folder: Path, count: int, repeats: int = 2) -> None:
    """Each format over the store store_figures filled: 1,000 articles, then all; best of ``repeats``.

    10,000 Hexo posts are 10,000 new files: their wall time follows the kernel's file-system
    work (system CPU, disk), which other processes sway; user CPU is the export's own code.
    """
    settings = settings_for(folder)
    print(f"\n## 5. Export from the store, per format: the first 1,000 articles, then each 1,000 more "
          f"(marginal, over {count:,}; best of {repeats}): wall seconds, and user + system CPU seconds")
    per_1k = max(1, (count - 1000) / 1000)
    for kind in FORMATS:
        best: list[tuple[float, float, float]] = []
        for limit in (1000, count):
            runs = []
            for _ in range(repeats):
                out = Path(tempfile.mkdtemp(dir=folder)) / ("posts" if kind == "hexo" else "export")
                wall, (user, system) = time.perf_counter(), _cpu()
                export_store(kind, settings, Query(limit=limit), out)
                now = _cpu()
                runs.append((time.perf_counter() - wall, now[0] - user, now[1] - system))
            best.append(min(runs))
        (wall1, user1, sys1), (wall_all, user_all, sys_all) = best
        goal = "  (goal <= 0.3 s)" if kind == "hexo" else ""
        print(f"  {kind:<9} first 1,000: {wall1:6.3f} s (CPU {user1:5.3f} + {sys1:5.3f}); each 1,000 more: "
              f"{(wall_all - wall1) / per_1k:6.3f} s (CPU {(user_all - user1) / per_1k:5.3f} + "
              f"{(sys_all - sys1) / per_1k:5.3f}){goal}")
    first, every = file_floor(folder, 1000), file_floor(folder, count)
    print(f"  the file system's share: files of a post's size written as export_posts does (files.replacing), "
          f"the first 1,000: {first[0]:.3f} s (CPU {first[1]:5.3f} + {first[2]:5.3f}); each 1,000 more: "
          f"{(every[0] - first[0]) / per_1k:.3f} s (CPU {(every[1] - first[1]) / per_1k:5.3f} + "
          f"{(every[2] - first[2]) / per_1k:5.3f})")


def file_floor(folder: Path, files: int) -> tuple[float, float, float]:
    """Wall, user and system seconds to write ``files`` Hexo-sized files into a new folder, as export_posts does."""
    post = next(Path(folder).rglob("*.md")).read_bytes()
    out = Path(tempfile.mkdtemp(dir=folder))
    wall, (user, system) = time.perf_counter(), _cpu()
    for n in range(files):
        path = out / f"{n}.md"
        if not path.exists():
            with replacing(path) as file:
                file.write(post)
    now = _cpu()
    return time.perf_counter() - wall, now[0] - user, now[1] - system
