"""Seconds for one huge page through the detail parse and the body stage, per page shape.

Prints figures; asserts nothing. Each page is under DOWNLOAD_MAXSIZE and goes through what a
crawl runs on it: the article page reader (the spider's parse of the page, by the 趣头条 profile), then the body stage
(``BodyPipeline.process_item`` with the project's settings: cleaning, image rewriting, nh3, text
and the stored-size check). The reactor would be blocked for that long.

Run: .venv/bin/python benchmarks/bench_body.py [REPEATS]
"""

from __future__ import annotations

import logging
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy.exceptions import DropItem  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from newscrawler.items import Article  # noqa: E402
from newscrawler.pages.detail import ArticlePageReader  # noqa: E402
from newscrawler.pipelines.body import BodyPipeline  # noqa: E402
from newscrawler.replica import content  # noqa: E402
from newscrawler.sources.registry import load_profiles  # noqa: E402
from tests.crawling import project_settings_dict  # noqa: E402

URL = "http://html2.qktoutiao.com/detail/2021/07/08/1.html"
READER = ArticlePageReader(load_profiles().get("qutoutiao"))


def page(body: str) -> str:
    return content.page_html(title="标题", author="作者", time_text="2021-07-08 18:55", body=body, charset="utf-8",
                             like=1)


# Each shape: what one hostile (or merely huge) page holds in its body.
PAGES: dict[str, Callable[[], str]] = {
    "the seed article (real size)": lambda: page(content.seed_body()),
    "160,000 distinct <img>": lambda: page("".join(f"<img src=/{n}.png>" for n in range(160_000))),
    "160,000 distinct <a href>": lambda: page("".join(f"<a href=/{n}>{n}</a>" for n in range(160_000))),
    "80,000 <img> with a lazy src": lambda: page("".join(f'<img src=l.gif data-src="/{n}.png">' for n in range(80_000))),
    "4.5 MB of '&'": lambda: page("<p>" + "&" * 4_500_000 + "</p>"),
    "100,000 paragraphs": lambda: page("".join(f"<p>第{n}段</p>" for n in range(100_000))),
}


def through_body_stage(stage: BodyPipeline, html: str) -> str:
    """The spider's parse then the body stage; what became of the article."""
    detail = READER.parse(html, URL, datetime.now(timezone.utc))
    article = Article(id="qutoutiao:1", source="qutoutiao", url=URL, title="t", content_html=detail.content_html,
                      crawled_at=datetime.now(timezone.utc))
    try:
        stage.process_item(article)
    except DropItem as exc:
        return f"dropped ({str(exc).split(':')[0]})"
    return f"kept, {len(article.content_html.encode()) / 1e6:.1f} MB of HTML, {len(article.image_urls):,} images"


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    logging.disable(logging.WARNING)  # the stage's own lines (a page dropped as too large) are not figures
    stage = BodyPipeline.from_crawler(get_crawler(settings_dict=project_settings_dict()))
    print(f"# The body path: the article page reader + the body stage, one page at a time, median of {repeats}")
    print("  (CPU seconds, then wall seconds: other processes on the machine stretch the wall time; goal <= 2 s)")
    for name, build in PAGES.items():
        html = build()
        cpu, wall = [], []
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            outcome = through_body_stage(stage, html)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        print(f"  {name:<30} {len(html.encode()) / 1e6:5.2f} MB: {statistics.median(cpu):6.2f} s CPU, "
              f"{statistics.median(wall):6.2f} s wall; {outcome}")


if __name__ == "__main__":
    main()
