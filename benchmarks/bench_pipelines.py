"""Throughput of the item pipelines (normalize, body, validate) on replica articles.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_pipelines.py [ARTICLES]
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy.utils.test import get_crawler  # noqa: E402

from newscrawler import settings  # noqa: E402
from newscrawler.pages.article import build_article  # noqa: E402
from newscrawler.pages.detail import parse_detail  # noqa: E402
from newscrawler.pages.listing import parse_listing  # noqa: E402
from newscrawler.pipelines.body import BodyPipeline  # noqa: E402
from newscrawler.pipelines.normalize import NormalizePipeline  # noqa: E402
from newscrawler.pipelines.validate import ValidatePipeline  # noqa: E402
from newscrawler.replica.site import ReplicaConfig, Site  # noqa: E402


def main(count: int = 5000) -> None:
    site = Site(ReplicaConfig(channels=5, pages=max(1, count // 50), per_page=10))
    crawler = get_crawler(settings_dict={k: getattr(settings, k) for k in dir(settings) if k.isupper()})
    stages = [cls.from_crawler(crawler) for cls in (NormalizePipeline, BodyPipeline, ValidatePipeline)]
    now = datetime.now(timezone.utc)
    raw = []
    for cid in site.channels:
        for page in range(1, site.config.pages + 1):
            listing = parse_listing(site.listing(cid, page, 10)[2]) if (cid, page) not in site.malformed else None
            for entry in listing.entries if listing else []:
                article = site.articles[entry.source_id]
                html = site.detail_html(article).decode(article.charset)
                raw.append((entry, cid, html))
    raw = raw[:count]
    body = settings.QUTOUTIAO_BODY_SELECTOR
    # dateparser loads its locale data on first use: keep that out of the figures.
    NormalizePipeline.from_crawler(crawler).process_item(build_article(raw[0][0], raw[0][1], parse_detail(raw[0][2], body), now))
    started = time.perf_counter()
    parsed = [build_article(entry, cid, parse_detail(html, body), now) for entry, cid, html in raw]
    parse_seconds = time.perf_counter() - started
    started = time.perf_counter()
    kept = 0
    for item in parsed:
        try:
            for stage in stages:
                item = stage.process_item(item)
            kept += 1
        except Exception:  # noqa: BLE001 - dropped items count as processed
            pass
    pipe_seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"articles: {len(parsed)} ({kept} kept)")
    print(f"detail parsing: {len(parsed) / parse_seconds:,.0f} pages/s")
    print(f"pipelines (normalize+body+validate): {len(parsed) / pipe_seconds:,.0f} items/s")
    print(f"peak RSS of this process (replica pages held in memory included): {peak_kib / 1024:,.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
